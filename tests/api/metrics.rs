//! Prometheus metrics on a loopback-only plain-HTTP listener: the password hashing pool
//! bounds how many hashes run at once, and how long logins wait for it is measured (C11).

use crate::helpers::{Backend, Launch, http_client};

const EMAIL: &str = "kari.nordmann@example.no";
const PASSWORD: &str = "korrekt hest batteri stift";

/// The value of the sample line `name value` in a Prometheus text exposition.
fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample {name} in:\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn logins_queue_for_the_bounded_hashing_pool_and_the_wait_is_a_metric() {
    let Some(launch) = Launch::new(Backend::Sqlite).await else {
        return;
    };
    let app = launch.arg("--hash-concurrency").arg("1").start().await;
    assert!(app.metrics.ip().is_loopback(), "{}", app.metrics);
    app.sign_up(EMAIL, PASSWORD).await;

    // Six sign-ins at once through a pool of one: all succeed, most of them wait.
    let sign_in = || app.sign_in(EMAIL, PASSWORD);
    let (a, b, c, d, e, f) = tokio::join!(
        sign_in(),
        sign_in(),
        sign_in(),
        sign_in(),
        sign_in(),
        sign_in()
    );
    for result in [a, b, c, d, e, f] {
        assert!(result.is_ok(), "{result:?}");
    }

    let response = http_client()
        .get(format!("http://{}/metrics", app.metrics))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    assert!(
        text.contains("# HELP skjold_password_hash_queue_seconds "),
        "{text}"
    );
    let count = sample(&text, "skjold_password_hash_queue_seconds_count");
    assert!(
        count >= 7.0,
        "one sign-up and six sign-ins were hashed: {count}"
    );
    // A hash at OWASP cost takes well over a millisecond, so with one slot most of the
    // six concurrent sign-ins waited longer than that for their turn.
    let quick = sample(
        &text,
        "skjold_password_hash_queue_seconds_bucket{le=\"0.001\"}",
    );
    assert!(
        count - quick >= 3.0,
        "only {} of {count} waited over 1 ms:\n{text}",
        count - quick
    );
    assert_eq!(sample(&text, "skjold_password_hash_queue_depth"), 0.0);

    // The public listener does not serve them.
    assert_eq!(app.get("/metrics").await.status(), 404);
}
