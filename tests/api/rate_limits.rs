//! Rate limits on the authentication endpoints (C14) as a client sees them: per client
//! address (after the trusted proxies), `429` with `Retry-After` past the budget, the
//! same count on every instance, and counted in the metrics.

use reqwest::header::RETRY_AFTER;
use serde_json::{Value, json};

use crate::helpers::{Backend, Launch, TestApp, on_both_backends};

/// A server that trusts 127.0.0.1 as a proxy, so each test request can name its client,
/// with its clock set just past the start of an hour: every budget's window (a minute,
/// an hour) has only begun, so a slow test run cannot cross into the next one.
async fn behind_proxy(launch: Launch) -> TestApp {
    let app = launch
        .arg("--trusted-proxies")
        .arg("127.0.0.1/32")
        .arg("--test-clock-file")
        .arg("clock.txt")
        .start()
        .await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let offset = 3600 - now % 3600 + 1;
    std::fs::write(app.dir.path().join("clock.txt"), offset.to_string()).unwrap();
    app
}

/// `POST path` with `body`, as client `ip`: the status, `Retry-After` and the body.
async fn attempt(app: &TestApp, path: &str, body: &Value, ip: &str) -> (u16, Option<u64>, Value) {
    let response = app
        .client
        .post(app.url(path))
        .header("x-forwarded-for", ip)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry = response
        .headers()
        .get(RETRY_AFTER)
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (status, retry, response.json().await.unwrap_or(Value::Null))
}

/// A wrong sign-in, each at another address: only the per-client budget applies, not
/// the delays of one (address, client) pair (see `brute_force.rs`).
fn sign_in() -> Value {
    let email = format!("nobody-{}@example.no", uuid::Uuid::new_v4());
    json!({"email": email, "password": "a wrong password, long enough"})
}

on_both_backends! {
    async fn c14_every_authentication_endpoint_limits_each_client_address(backend: Backend) {
        let Some(launch) = Launch::new(backend).await else { return };
        let app = behind_proxy(launch).await;
        for n in 0..20 {
            let (status, _, _) = attempt(&app, "/api/v1/sessions", &sign_in(), "203.0.113.7").await;
            assert_eq!(status, 401, "attempt {n} is checked");
        }
        let (status, retry, problem) = attempt(&app, "/api/v1/sessions", &sign_in(), "203.0.113.7").await;
        assert_eq!(status, 429, "{problem}");
        assert!(retry.is_some_and(|s| (1..=60).contains(&s)), "Retry-After {retry:?}");
        assert_eq!(problem["type"], "urn:skjold:problem:too-many-requests");
        let (status, _, _) = attempt(&app, "/api/v1/sessions", &sign_in(), "198.51.100.9").await;
        assert_eq!(status, 401, "another address has its own budget");

        // Every other endpoint that checks who someone is has a budget too.
        let endpoints = [
            ("/api/v1/sessions/second-step", json!({"challenge": "skjc_guess", "code": "123456"}), 20),
            ("/api/v1/signup", json!({"account_name": "X", "email": "not an address", "password": "x"}), 10),
            ("/api/v1/password-reset", json!({"email": "nobody@example.no"}), 10),
            ("/api/v1/password-reset/confirm", json!({"token": "skjr_guess", "new_password": "a new password, long enough"}), 20),
            ("/api/v1/email-verification", json!({"token": "skjv_guess"}), 20),
        ];
        for (path, body, budget) in endpoints {
            for _ in 0..budget {
                let (status, _, answer) = attempt(&app, path, &body, "192.0.2.44").await;
                assert_ne!(status, 429, "{path} within budget: {answer}");
            }
            let (status, retry, _) = attempt(&app, path, &body, "192.0.2.44").await;
            assert_eq!(status, 429, "{path} past its budget of {budget}");
            assert!(retry.is_some(), "{path}");
        }

        let metrics = crate::helpers::http_client().get(format!("http://{}/metrics", app.metrics)).send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains("skjold_rate_limited_total{endpoint=\"sign_in\"} 1"), "{metrics}");
        assert!(metrics.contains("skjold_auth_attempts_total{outcome=\"wrong_password\"} 21"), "{metrics}");
        let stored: Vec<u8> = app.db_value("SELECT bucket FROM rate_limits LIMIT 1").await;
        assert_eq!(stored.len(), 32, "a keyed hash, not an address");
    }
}

#[tokio::test]
async fn c14_rate_limits_hold_across_two_instances_over_one_postgresql() {
    let Some(launch) = Launch::new(Backend::Postgres).await else {
        return;
    };
    let first = behind_proxy(launch).await;
    let second = behind_proxy(first.relaunch()).await;
    for n in 0..20 {
        let app = if n % 2 == 0 { &first } else { &second };
        assert_eq!(
            attempt(app, "/api/v1/sessions", &sign_in(), "203.0.113.7")
                .await
                .0,
            401
        );
    }
    for app in [&first, &second] {
        let (status, retry, _) = attempt(app, "/api/v1/sessions", &sign_in(), "203.0.113.7").await;
        assert_eq!(status, 429, "the budget is spent on both instances");
        assert!(retry.is_some());
    }
}
