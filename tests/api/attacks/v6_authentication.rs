//! ASVS chapter 6, authentication, attacked: a stolen session with the password against
//! 2-step security (6.4.3, 7.5.1), a stolen session as a password oracle (6.3.1), and a
//! known password with a code-guessing loop from many networks (6.6.3).

use reqwest::header::RETRY_AFTER;
use serde_json::{Value, json};

use crate::brute_force::{launch_behind_proxy, sign_in};
use crate::helpers::{TestApp, on_both_backends};
use crate::people::{PASSWORD, person};
use crate::recovery::with_mailbox;
use crate::second_step::{enable_totp_with_codes, wrong_code};

const EMAIL: &str = "victim@a.example";
const WRONG: &str = "a wrong password, long enough";

fn count(action: &str) -> String {
    format!("SELECT CAST(COUNT(*) AS TEXT) FROM audit_events WHERE action = '{action}'")
}

/// Answers a challenge as client `ip`: status, Retry-After, body.
async fn answer(app: &TestApp, challenge: &str, code: &str, ip: &str) -> (u16, Option<u64>, Value) {
    let response = app
        .client
        .post(app.url("/api/v1/sessions/second-step"))
        .header("x-forwarded-for", ip)
        .json(&json!({"challenge": challenge, "code": code}))
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

/// How many seconds the server's clock runs ahead of the real one.
fn clock_offset(app: &TestApp) -> u64 {
    std::fs::read_to_string(app.dir.path().join("clock.txt"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Moves the server's clock `seconds` further ahead.
fn advance_clock(app: &TestApp, seconds: u64) {
    let offset = clock_offset(app) + seconds;
    std::fs::write(app.dir.path().join("clock.txt"), offset.to_string()).unwrap();
}

/// The server's time now, in Unix seconds.
fn server_time(app: &TestApp) -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + clock_offset(app)
}

on_both_backends! {
    /// Finding 1 of the review: new recovery codes needed only the password, and one of
    /// them then removed the authenticator app; nothing was mailed.
    async fn asvs_6_4_3_a_stolen_session_and_the_password_cannot_change_2_step_security(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let (token, _) = person(&app, &mailbox, EMAIL).await;
        let (stolen, _, codes) = enable_totp_with_codes(&app, &token).await;

        // The attacker holds the session and knows the password, nothing more.
        let renew = "/api/v1/me/recovery-codes";
        for body in [json!({"password": PASSWORD}), json!({"password": PASSWORD, "code": "123456"}), json!({"password": PASSWORD, "code": ""})] {
            let (status, problem) = app.post_json(renew, body, Some(&stolen)).await;
            assert_eq!(status, 422, "{problem}");
            assert!(problem["detail"].as_str().unwrap().contains("fresh code"), "{problem}");
        }
        for method in ["totp", "sms"] {
            let path = format!("/api/v1/me/second-step/{method}");
            let status = app.send_json(reqwest::Method::DELETE, &path, json!({"password": PASSWORD}), Some(&stolen)).await.0;
            assert!(status == 422 || status == 404, "{method}: {status}");
        }
        let me = app.get_json("/api/v1/me", &stolen).await.1;
        assert_eq!((me["second_steps"].clone(), me["recovery_codes_left"].clone()), (json!(["totp"]), json!(10)), "nothing changed");

        // The person, with a code they had, renews their codes: mailed, every other
        // session ended, this one replaced, the old codes void.
        let (status, renewed) = app.post_json(renew, json!({"password": PASSWORD, "code": codes[0]}), Some(&stolen)).await;
        assert_eq!(status, 201, "{renewed}");
        let fresh: Vec<String> = serde_json::from_value(renewed["recovery_codes"].clone()).unwrap();
        assert_eq!(fresh.len(), 10);
        assert!(fresh.iter().all(|c| !codes.contains(c)));
        assert_eq!(app.get_json("/api/v1/me", &stolen).await.0, 401, "the stamp rose");
        let token = renewed["token"].as_str().unwrap().to_owned();
        let mail = mailbox.wait_for_nth(EMAIL, "Your 2-step security changed", 2).await;
        assert!(mail.body.contains("other sessions were signed out"), "{}", mail.body);
        let (status, _) = app.post_json(renew, json!({"password": PASSWORD, "code": codes[1]}), Some(&token)).await;
        assert_eq!(status, 422, "an old code is void");
        assert_eq!(app.db_text(&count("recovery_codes_replaced")).await, "1");
        assert_eq!(app.db_text(&count("second_step_change_failed")).await, "5");
    }

    /// Finding 5: the password check behind every change of key information took 40
    /// wrong tries in 2.6 s, then the right one.
    async fn asvs_6_3_1_a_stolen_session_is_no_password_oracle(backend: Backend) {
        let Some((app, mailbox)) = launch_behind_proxy(backend, &[]).await else { return };
        let (token, _) = person(&app, &mailbox, EMAIL).await;
        let elsewhere = app.sign_in(EMAIL, PASSWORD).await.unwrap();
        let change = |current: &str| json!({"current_password": current, "new_password": "a brand new passphrase here"});

        // Two wrong guesses are refused; the third ends the stolen session.
        for _ in 0..2 {
            let (status, problem) = app.post_json("/api/v1/me/password", change(WRONG), Some(&token)).await;
            assert_eq!(status, 403, "{problem}");
        }
        let (status, problem) = app.post_json("/api/v1/me/password", change(WRONG), Some(&token)).await;
        assert_eq!((status, problem["type"].as_str()), (401, Some("urn:skjold:problem:unauthenticated")), "{problem}");
        assert_eq!(app.get_json("/api/v1/me", &token).await.0, 401, "ended");
        let (status, _) = app.post_json("/api/v1/me/password", change(PASSWORD), Some(&token)).await;
        assert_eq!(status, 401, "the right password is no use to it now");
        assert_eq!(app.get_json("/api/v1/me", &elsewhere).await.0, 200, "the person's other sessions stay");
        assert_eq!(app.db_text(&count("password_change_failed")).await, "3");
        assert_eq!(app.db_text(&count("session_ended_after_wrong_passwords")).await, "1");
        app.wait_for_output("security alert").await;

        // The guesses counted where sign-in's do: the same address from the same client
        // is made to wait after two more failures instead of five.
        let mut waited = None;
        for _ in 0..4 {
            let (status, retry, _) = sign_in(&app, EMAIL, WRONG, None, "127.0.0.1").await;
            if status == 429 {
                waited = retry;
                break;
            }
            assert_eq!(status, 401);
        }
        assert!(waited.is_some_and(|s| s >= 1), "no wait after the session's wrong passwords");
    }

    /// Finding 6: 320 wrong authenticator codes for one person in 35 s from 16 IPv6 /64s,
    /// none refused, then the right one worked.
    async fn asvs_6_6_3_wrong_codes_are_limited_per_person_across_challenges_and_networks(backend: Backend) {
        let Some((app, mailbox)) = launch_behind_proxy(backend, &[]).await else { return };
        // The set-up's code is made from the real time: the server keeps it until then.
        std::fs::write(app.dir.path().join("clock.txt"), "0").unwrap();
        let (token, _) = person(&app, &mailbox, EMAIL).await;
        let (_, secret, _) = enable_totp_with_codes(&app, &token).await;
        let network = |n: u32| format!("2001:db8:{n:x}::1");
        let challenge = |n: u32| {
            let app = &app;
            async move {
                let (status, _, answer) = sign_in(app, EMAIL, PASSWORD, None, &network(n)).await;
                assert_eq!(status, 202, "{answer}");
                answer["challenge"].as_str().unwrap().to_owned()
            }
        };

        // Ten wrong codes, two challenges' worth, from ten networks: each refused as wrong.
        for n in 0..10 {
            let c = challenge(n).await;
            let (status, _, _) = answer(&app, &c, &wrong_code(&secret, server_time(&app)), &network(n)).await;
            assert_eq!(status, 401);
        }
        // The tenth raised the alert and told the person their password is known.
        let told = mailbox.wait_for(EMAIL, "Someone is trying to sign in as you").await;
        assert!(told.body.contains("choose a new one"), "{}", told.body);
        assert_eq!(app.db_text(&count("second_step_guessing")).await, "1");
        app.wait_for_output("security alert").await;

        // From then on each wrong code makes the person's next one wait twice as long,
        // whichever network it comes from; even a right code waits, so the guesser
        // cannot tell a right one from a wrong one.
        let mut wait = 1;
        let mut last = String::new();
        for n in 10..14 {
            advance_clock(&app, wait + 2);
            let (checked, refused, right) = (challenge(n).await, challenge(100 + n).await, challenge(200 + n).await);
            let (status, _, _) = answer(&app, &checked, &wrong_code(&secret, server_time(&app)), &network(n)).await;
            assert_eq!(status, 401, "after the wait a code is checked again");
            wait *= 2;
            let (status, retry, _) = answer(&app, &refused, &wrong_code(&secret, server_time(&app)), &network(100 + n)).await;
            assert_eq!(status, 429, "wrong code {} waits", n + 2);
            assert!(retry.is_some_and(|s| (1..=wait + 1).contains(&s)), "{retry:?} for a wait of {wait} s");
            let code = secret.code_at(server_time(&app) + 30).unwrap();
            let (status, _, _) = answer(&app, &right, &code, &network(200 + n)).await;
            assert_eq!(status, 429, "a right code waits too");
            last = right;
        }

        // Once the wait is over the person signs in, and the count starts again.
        advance_clock(&app, wait + 2);
        let code = secret.code_at(server_time(&app) + 30).unwrap();
        let (status, _, session) = answer(&app, &last, &code, &network(213)).await;
        assert_eq!(status, 201, "{session}");
        let c = challenge(300).await;
        let (status, _, _) = answer(&app, &c, &wrong_code(&secret, server_time(&app)), &network(300)).await;
        assert_eq!(status, 401, "a fresh count");
    }

    /// Finding 6, from the code: the five-code limit of a challenge was read before the
    /// code was checked and raised after, so codes sent at once all got checked.
    async fn asvs_6_6_3_a_challenge_checks_five_codes_even_when_they_race(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let (token, _) = person(&app, &mailbox, EMAIL).await;
        let (_, secret, _) = enable_totp_with_codes(&app, &token).await;
        let (status, started) = app.post_json("/api/v1/sessions", json!({"email": EMAIL, "password": PASSWORD}), None).await;
        assert_eq!(status, 202, "{started}");
        let challenge = started["challenge"].as_str().unwrap().to_owned();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let wrong = wrong_code(&secret, now);
        let mut racing = tokio::task::JoinSet::new();
        for _ in 0..12 {
            let request = app
                .client
                .post(app.url("/api/v1/sessions/second-step"))
                .json(&json!({"challenge": challenge, "code": wrong}));
            racing.spawn(async move { request.send().await.unwrap().status().as_u16() });
        }
        let statuses = racing.join_all().await;
        assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
        assert_eq!(app.db_text(&count("second_step_failed")).await, "5", "only five codes were checked");
        let right = secret.code_at(now + 30).unwrap();
        assert_eq!(answer(&app, &challenge, &right, "127.0.0.1").await.0, 401, "the challenge is dead");
    }
}
