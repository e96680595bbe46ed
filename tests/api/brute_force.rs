//! Brute-force defence that cannot lock the owner out (C14): delays per (address tried,
//! client) after five failures, at most 100 failures from unrecognised devices per
//! account, and recognised devices spared throughout.

use std::time::Duration;

use reqwest::header::RETRY_AFTER;
use serde_json::{Value, json};

use crate::helpers::{TestApp, on_both_backends};
use crate::mailbox::Mailbox;
use crate::people::{PASSWORD, member, person};

const EMAIL: &str = "owner@a.example";
const BOSS: &str = "boss@b.example";
const WRONG: &str = "a wrong password, long enough";

async fn with_mailbox_behind_proxy(backend: crate::helpers::Backend) -> Option<(TestApp, Mailbox)> {
    launch_behind_proxy(backend, &[]).await
}

/// [`with_mailbox_behind_proxy`] with more arguments for `skjold serve`.
pub(crate) async fn launch_behind_proxy(
    backend: crate::helpers::Backend,
    args: &[String],
) -> Option<(TestApp, Mailbox)> {
    let mailbox = Mailbox::start().await;
    let mut launch = crate::helpers::Launch::new(backend).await?;
    for arg in args {
        launch = launch.arg(arg.clone());
    }
    let app = launch
        .mail_to(&mailbox)
        .arg("--trusted-proxies")
        .arg("127.0.0.1/32")
        .arg("--test-clock-file")
        .arg("clock.txt")
        .start()
        .await;
    set_clock(&app, 0);
    Some((app, mailbox))
}

/// Sets the server's clock to the start of the coming hour plus `seconds`, so hourly
/// and per-minute windows are where the test expects them.
pub(crate) fn set_clock(app: &TestApp, seconds: u64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let offset = 3600 - now % 3600 + 1 + seconds;
    std::fs::write(app.dir.path().join("clock.txt"), offset.to_string()).unwrap();
}

/// Signs in as client `ip`, with a device token if given: status, Retry-After, body.
pub(crate) async fn sign_in(
    app: &TestApp,
    email: &str,
    password: &str,
    device: Option<&str>,
    ip: &str,
) -> (u16, Option<u64>, Value) {
    let response = app
        .client
        .post(app.url("/api/v1/sessions"))
        .header("x-forwarded-for", ip)
        .json(&json!({"email": email, "password": password, "device_token": device}))
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

/// The owner's device token, from a sign-in on their own address.
async fn owners_device(app: &TestApp) -> String {
    let (status, _, session) = sign_in(app, EMAIL, PASSWORD, None, "192.0.2.1").await;
    assert_eq!(status, 201, "{session}");
    let device = session["device_token"].as_str().unwrap().to_owned();
    assert!(device.starts_with("skjd_"), "{device}");
    let (_, _, again) = sign_in(app, EMAIL, PASSWORD, Some(&device), "192.0.2.1").await;
    assert_eq!(
        again["device_token"],
        Value::Null,
        "a recognised device gets no new token"
    );
    device
}

on_both_backends! {
    async fn c14_failures_slow_one_client_down_but_never_the_owner_on_a_known_device(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox_behind_proxy(backend).await else { return };
        person(&app, &mailbox, EMAIL).await;
        let device = owners_device(&app).await;
        let attacker = "203.0.113.7";
        for target in [EMAIL, "nobody@a.example"] {
            for n in 0..5 {
                assert_eq!(sign_in(&app, target, WRONG, None, attacker).await.0, 401, "{target}: failure {n} is free");
            }
            let (status, retry, _) = sign_in(&app, target, WRONG, None, attacker).await;
            assert_eq!(status, 429, "{target}: the sixth waits, existing or not");
            assert!(matches!(retry, Some(1..=2)), "{target}: a second (and the rest of one): {retry:?}");
        }
        let (_, retry, _) = sign_in(&app, EMAIL, WRONG, None, attacker).await;
        tokio::time::sleep(Duration::from_millis(retry.unwrap() * 1000 + 100)).await;
        assert_eq!(sign_in(&app, EMAIL, WRONG, None, attacker).await.0, 401, "after the wait, one more try");
        let (status, retry, _) = sign_in(&app, EMAIL, WRONG, None, attacker).await;
        assert_eq!(status, 429);
        assert!(matches!(retry, Some(2..=3)), "and the wait doubles: {retry:?}");

        // The owner: on their device even from the attacker's address; without it,
        // from anywhere else.
        let (status, _, _) = sign_in(&app, EMAIL, PASSWORD, Some(&device), attacker).await;
        assert_eq!(status, 201, "a known device is spared");
        let (status, _, _) = sign_in(&app, EMAIL, PASSWORD, None, "198.51.100.20").await;
        assert_eq!(status, 201, "another client has its own count");
        let (status, _, _) = sign_in(&app, EMAIL, PASSWORD, Some("skjd_made_up"), attacker).await;
        assert_eq!(status, 429, "a made-up device token is no device");
    }

    async fn c14_after_100_failures_only_known_devices_sign_in_and_the_owner_is_told(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox_behind_proxy(backend).await else { return };
        // The user is also a member of somebody else's account, whose owner hears of it.
        let (boss, boss_me) = person(&app, &mailbox, BOSS).await;
        let account = boss_me["memberships"][0]["account_id"].as_str().unwrap();
        member(&app, &mailbox, &boss, account, EMAIL, "member").await;
        let device = owners_device(&app).await;
        let attack = |round: u8| {
            let app = &app;
            async move {
                // 20 clients, five free failures each: 100 failures, none delayed.
                for client in 0..20 {
                    for _ in 0..5 {
                        let ip = format!("10.{round}.0.{}", client + 10);
                        assert_eq!(sign_in(app, EMAIL, WRONG, None, &ip).await.0, 401);
                    }
                }
            }
        };
        attack(0).await;
        let sql = "SELECT CAST(COUNT(*) AS TEXT) FROM audit_events WHERE action = 'sign_in_locked_for_new_devices'";
        assert_eq!(app.db_text(sql).await, "1", "reaching the cap is a security event");
        let mail = mailbox.wait_for(EMAIL, "Sign-in from new devices stopped").await;
        assert!(mail.body.contains("/reset-password#token=skjr_"), "{}", mail.body);
        let told = mailbox.wait_for(BOSS, "Sign-in attacks on a member of your account").await;
        assert!(told.body.contains("a member of Integrera AS") && told.body.contains("o***@a.example"), "{}", told.body);
        assert!(!told.body.contains(EMAIL) && !told.body.contains("token"), "no address in full, no link: {}", told.body);
        assert!(mailbox.to(EMAIL).iter().all(|m| !m.subject.contains("member of your account")), "the user is not told as an owner of their own account");

        let (status, _, answer) = sign_in(&app, EMAIL, PASSWORD, None, "198.51.100.30").await;
        assert_eq!(status, 401, "a new device is refused, even with the right password: {answer}");
        let (status, _, _) = sign_in(&app, EMAIL, PASSWORD, Some(&device), "198.51.100.30").await;
        assert_eq!(status, 201, "the owner's device signs in");
        let (status, _, _) = sign_in(&app, EMAIL, PASSWORD, None, "198.51.100.31").await;
        assert_eq!(status, 401, "but during the attack that lifts nothing");

        // The link in the mail lifts the stop with a new password.
        let new_password = "a fresh passphrase after the attack";
        let confirm = json!({"token": crate::mailbox::token_in(&mail), "new_password": new_password});
        assert_eq!(app.post_json("/api/v1/password-reset/confirm", confirm, None).await.0, 204);
        let (status, _, _) = sign_in(&app, EMAIL, new_password, None, "198.51.100.32").await;
        assert_eq!(status, 201, "new devices work again after the reset");

        // After another hundred, a recognised device lifts it once the attempts stopped
        // for a quarter of an hour.
        attack(1).await;
        assert_eq!(sign_in(&app, EMAIL, new_password, None, "198.51.100.33").await.0, 401);
        set_clock(&app, 16 * 60);
        assert_eq!(sign_in(&app, EMAIL, new_password, Some(&device), "198.51.100.33").await.0, 201);
        assert_eq!(sign_in(&app, EMAIL, new_password, None, "198.51.100.34").await.0, 201, "lifted");
    }
}

on_both_backends! {
    async fn c14_one_client_failing_on_many_addresses_is_stopped_and_reported(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox_behind_proxy(backend).await else { return };
        person(&app, &mailbox, EMAIL).await;
        let device = owners_device(&app).await;
        let stuffer = "203.0.113.99";
        // Thirty stolen pairs, one try each: no account sees more than one failure. The
        // per-minute budget (20) is renewed half-way by moving the clock a minute on.
        for n in 0..30 {
            if n == 20 {
                set_clock(&app, 61);
            }
            let (status, _, answer) = sign_in(&app, &format!("victim{n}@example.no"), WRONG, None, stuffer).await;
            assert_eq!(status, 401, "pair {n}: {answer}");
        }
        let (status, retry, _) = sign_in(&app, "victim31@example.no", WRONG, None, stuffer).await;
        assert_eq!(status, 429, "the client waits for the hour to end");
        assert!(retry.is_some_and(|s| s > 3000), "{retry:?}");
        let sql = "SELECT CAST(COUNT(*) AS TEXT) FROM audit_events WHERE action = 'credential_stuffing_suspected'";
        assert_eq!(app.db_text(sql).await, "1", "raised once");
        assert_eq!(sign_in(&app, EMAIL, PASSWORD, None, "198.51.100.40").await.0, 201, "other clients are not touched");
        assert_eq!(sign_in(&app, EMAIL, PASSWORD, Some(&device), stuffer).await.0, 201, "nor known devices");
    }
}

/// A local receiver of alert webhooks: each request's `Skjold-Signature` and body.
async fn webhook_receiver() -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
) {
    use axum::http::HeaderMap;
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let store = std::sync::Arc::clone(&received);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let store = std::sync::Arc::clone(&store);
            async move {
                let signature = headers["skjold-signature"].to_str().unwrap().to_owned();
                store.lock().unwrap().push((signature, body));
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, received)
}

on_both_backends! {
    async fn c14_stuffing_and_a_failure_spike_alert_the_operator_by_signed_webhook_and_mail(backend: Backend) {
        const SECRET: &str = "a shared webhook secret of some length";
        let (hook, received) = webhook_receiver().await;
        let secrets = tempfile::tempdir().unwrap();
        let secret_file = secrets.path().join("alert-secret");
        std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
        let args = [
            "--alert-webhook-url".to_owned(), format!("http://{hook}/hook"),
            "--alert-webhook-secret-file".to_owned(), secret_file.display().to_string(),
            "--operator-email".to_owned(), "ops@example.no".to_owned(),
        ];
        let Some((app, mailbox)) = launch_behind_proxy(backend, &args).await else { return };
        for n in 0..30 {
            if n == 20 {
                set_clock(&app, 61);
            }
            sign_in(&app, &format!("victim{n}@example.no"), WRONG, None, "203.0.113.99").await;
        }
        for client in 0..4 {
            for _ in 0..5 {
                sign_in(&app, EMAIL, WRONG, None, &format!("10.1.0.{client}")).await;
            }
        }

        let alerts = received.lock().unwrap().clone();
        let events: Vec<String> = alerts.iter().map(|(_, body)| serde_json::from_str::<Value>(body).unwrap()["event"].as_str().unwrap().to_owned()).collect();
        assert_eq!(events, ["credential_stuffing_suspected", "sign_in_failure_spike"], "{alerts:?}");
        for (signature, body) in &alerts {
            let t: i64 = signature.strip_prefix("t=").unwrap().split(',').next().unwrap().parse().unwrap();
            assert_eq!(signature, &skjold_crypto::sign_webhook(SECRET.as_bytes(), t, body.as_bytes()), "signed with the shared secret");
            let alert: Value = serde_json::from_str(body).unwrap();
            assert!(alert["summary"].as_str().unwrap().len() > 20 && alert["at"].is_string(), "{alert}");
            assert!(!body.contains("203.0.113.99"), "no full address in an alert: {body}");
        }
        let mail = mailbox.wait_for("ops@example.no", "Skjold security alert: credential_stuffing_suspected").await;
        assert!(mail.body.contains("refused until the hour ends"), "{}", mail.body);
        mailbox.wait_for("ops@example.no", "Skjold security alert: sign_in_failure_spike").await;
    }
}

/// Signs in through the site's login form as client `ip`, with the browser's device
/// cookie if given: the status and the `Set-Cookie` values.
async fn sign_in_by_form(
    app: &TestApp,
    password: &str,
    device: Option<&str>,
    ip: &str,
) -> (u16, Vec<String>) {
    let mut request = app
        .client
        .post(app.url("/login"))
        .header("x-forwarded-for", ip)
        .header("origin", app.url(""))
        .form(&[("email", EMAIL), ("password", password)]);
    if let Some(device) = device {
        request = request.header("cookie", format!("__Host-skjold-device={device}"));
    }
    let response = request.send().await.unwrap();
    let cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    (response.status().as_u16(), cookies)
}

#[tokio::test]
async fn c14_a_browser_keeps_its_device_in_a_cookie_and_is_spared_the_wait_others_get() {
    let Some((app, mailbox)) = with_mailbox_behind_proxy(crate::helpers::Backend::Sqlite).await
    else {
        return;
    };
    person(&app, &mailbox, EMAIL).await;
    // A first sign-in from a browser: the session and a device cookie, both __Host-,
    // HttpOnly and Secure; the device cookie outlives the session.
    let (status, cookies) = sign_in_by_form(&app, PASSWORD, None, "192.0.2.1").await;
    assert_eq!(status, 303, "{cookies:?}");
    let device_cookie = cookies
        .iter()
        .find(|c| c.starts_with("__Host-skjold-device=skjd_"))
        .unwrap_or_else(|| panic!("no device cookie: {cookies:?}"));
    for attribute in [
        "Secure",
        "HttpOnly",
        "Path=/",
        "SameSite=Lax",
        "Max-Age=31536000",
    ] {
        assert!(device_cookie.contains(attribute), "{device_cookie}");
    }
    let device = device_cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("__Host-skjold-device=")
        .to_owned();
    let (_, again) = sign_in_by_form(&app, PASSWORD, Some(&device), "192.0.2.1").await;
    assert!(
        !again.iter().any(|c| c.starts_with("__Host-skjold-device=")),
        "a recognised browser gets no new device: {again:?}"
    );

    // Someone guessing from another address is slowed down after five failures…
    let attacker = "203.0.113.9";
    for n in 0..5 {
        let (status, _) = sign_in_by_form(&app, WRONG, None, attacker).await;
        assert_eq!(status, 401, "failure {n} is free");
    }
    assert_eq!(sign_in_by_form(&app, WRONG, None, attacker).await.0, 429);
    assert_eq!(
        sign_in_by_form(&app, PASSWORD, None, attacker).await.0,
        429,
        "the right password waits too, from a browser not known"
    );
    // …but the owner's browser, with its device cookie, signs in from there at once.
    let (status, cookies) = sign_in_by_form(&app, PASSWORD, Some(&device), attacker).await;
    assert_eq!(status, 303, "{cookies:?}");
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("__Host-skjold_session="))
    );
}
