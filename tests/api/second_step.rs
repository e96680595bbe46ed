//! 2-step security (C13) through the API: an authenticator app set up with the password
//! and a code, asked for at every sign-in; codes single-use and bound to their sign-in;
//! recovery codes; every change ends the other sessions.

use serde_json::{Value, json};
use skjold_crypto::TotpSecret;

use crate::helpers::{TestApp, on_both_backends};
use crate::people::{PASSWORD, person};
use crate::recovery::with_mailbox;

const EMAIL: &str = "owner@a.example";

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Moves the server's clock `seconds` ahead of the real one.
fn set_clock(app: &TestApp, seconds: u64) {
    std::fs::write(app.dir.path().join("clock.txt"), seconds.to_string()).unwrap();
}

/// Signs in with the password: the challenge of the second step it asks for.
async fn challenge(app: &TestApp) -> String {
    let (status, answer) = app
        .post_json(
            "/api/v1/sessions",
            json!({"email": EMAIL, "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["second_step_required"], true);
    assert_eq!(answer["methods"], json!(["totp", "recovery_code"]));
    let challenge = answer["challenge"].as_str().unwrap();
    assert!(challenge.starts_with("skjc_"), "{challenge}");
    challenge.to_owned()
}

async fn answer(app: &TestApp, challenge: &str, code: &str) -> (u16, Value) {
    app.post_json(
        "/api/v1/sessions/second-step",
        json!({"challenge": challenge, "code": code}),
        None,
    )
    .await
}

/// A six-digit code that is not right at any step near `time`.
pub(crate) fn wrong_code(secret: &TotpSecret, time: u64) -> String {
    let near: Vec<String> = [time - 30, time, time + 30]
        .iter()
        .map(|t| secret.code_at(*t).unwrap())
        .collect();
    (0..)
        .map(|n| format!("{n:06}"))
        .find(|c| !near.contains(c))
        .unwrap()
}

on_both_backends! {
    async fn c13_an_authenticator_app_guards_every_sign_in_with_single_use_codes(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let (token, _) = person(&app, &mailbox, EMAIL).await;
        let other = app.sign_in(EMAIL, PASSWORD).await.unwrap();

        // Set-up needs the password, and then a code from the app.
        let totp = "/api/v1/me/second-step/totp";
        let (status, _) = app.post_json(totp, json!({"password": "not the password at all"}), Some(&token)).await;
        assert_eq!(status, 403);
        let (status, setup) = app.post_json(totp, json!({"password": PASSWORD}), Some(&token)).await;
        assert_eq!(status, 201, "{setup}");
        let secret_text = setup["secret"].as_str().unwrap();
        let secret = TotpSecret::from_base32(secret_text).unwrap();
        let uri = setup["otpauth_uri"].as_str().unwrap();
        assert!(uri.starts_with("otpauth://totp/Skjold:owner%40a.example?") && uri.contains(secret_text), "{uri}");
        let svg = setup["qr_svg"].as_str().unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"), "{svg}");
        let stored: Vec<u8> = app.db_value("SELECT secret_sealed FROM second_steps").await;
        assert!(!stored.windows(8).any(|w| w == &secret_text.as_bytes()[..8]), "the secret is sealed");
        assert_eq!(app.get_json("/api/v1/me", &token).await.1["second_steps"], json!([]), "not on before it is confirmed");

        let confirm = "/api/v1/me/second-step/totp/confirm";
        let (status, problem) = app.post_json(confirm, json!({"code": wrong_code(&secret, now())}), Some(&token)).await;
        assert_eq!(status, 422, "{problem}");
        let first = secret.code_at(now()).unwrap();
        let (status, enabled) = app.post_json(confirm, json!({"code": first}), Some(&token)).await;
        assert_eq!(status, 201, "{enabled}");
        let recovery: Vec<String> = serde_json::from_value(enabled["recovery_codes"].clone()).unwrap();
        assert_eq!(recovery.len(), 10);
        assert!(recovery.iter().all(|c| c.len() == 29), "{recovery:?}");
        let token = enabled["token"].as_str().unwrap().to_owned();
        for old in [&other] {
            assert_eq!(app.get_json("/api/v1/me", old).await.0, 401, "other sessions ended with the change");
        }
        let me = app.get_json("/api/v1/me", &token).await.1;
        assert_eq!((me["second_steps"].clone(), me["recovery_codes_left"].clone()), (json!(["totp"]), json!(10)));
        let (status, problem) = app.post_json(totp, json!({"password": PASSWORD}), Some(&token)).await;
        assert_eq!(status, 422, "a second app needs the first removed: {problem}");

        // The password alone gives no session; the code used to confirm is spent.
        let c = challenge(&app).await;
        let (status, problem) = answer(&app, &c, &first).await;
        assert_eq!((status, problem["type"].as_str()), (401, Some("urn:skjold:problem:invalid-code")));
        let next = secret.code_at(now() + 30).unwrap();
        let (status, session) = answer(&app, &c, &next).await;
        assert_eq!(status, 201, "{session}");
        assert_eq!(app.get_json("/api/v1/me", session["token"].as_str().unwrap()).await.0, 200);
        assert_eq!(answer(&app, &c, &next).await.0, 401, "a challenge is spent by its sign-in");
        assert_eq!(answer(&app, &challenge(&app).await, &next).await.0, 401, "a code is spent too");
        assert_eq!(answer(&app, "skjc_made_up", &next).await.0, 401);

        // Five wrong codes end a challenge; the right one then no longer helps.
        set_clock(&app, 120);
        let later = secret.code_at(now() + 120).unwrap();
        let c = challenge(&app).await;
        for _ in 0..5 {
            assert_eq!(answer(&app, &c, &wrong_code(&secret, now() + 120)).await.0, 401);
        }
        assert_eq!(answer(&app, &c, &later).await.0, 401, "a sixth try is refused, even right");
        assert_eq!(answer(&app, &challenge(&app).await, &later).await.0, 201, "a new sign-in works");

        // A challenge lives five minutes.
        let c = challenge(&app).await;
        set_clock(&app, 120 + 301);
        let fresh = secret.code_at(now() + 120 + 301).unwrap();
        assert_eq!(answer(&app, &c, &fresh).await.0, 401, "expired");

        // A recovery code works once, typed any way.
        let c = challenge(&app).await;
        let typed = recovery[0].to_uppercase().replace('-', " ");
        let (status, session) = answer(&app, &c, &typed).await;
        assert_eq!(status, 201, "{session}");
        let token = session["token"].as_str().unwrap().to_owned();
        assert_eq!(answer(&app, &challenge(&app).await, &recovery[0]).await.0, 401, "used");
        assert_eq!(app.get_json("/api/v1/me", &token).await.1["recovery_codes_left"], 9);

        // New recovery codes replace the old ones, with a fresh code of what was there
        // (ASVS 6.4.3): the change re-issues the session.
        let (status, problem) = app.post_json("/api/v1/me/recovery-codes", json!({"password": PASSWORD}), Some(&token)).await;
        assert_eq!(status, 422, "{problem}");
        let (status, fresh_codes) = app.post_json("/api/v1/me/recovery-codes", json!({"password": PASSWORD, "code": recovery[2]}), Some(&token)).await;
        assert_eq!(status, 201, "{fresh_codes}");
        assert_eq!(app.get_json("/api/v1/me", &token).await.0, 401, "the stamp rose");
        assert_eq!(answer(&app, &challenge(&app).await, &recovery[1]).await.0, 401, "an old code is void");
        let new_code = fresh_codes["recovery_codes"][0].as_str().unwrap();
        let (status, session) = answer(&app, &challenge(&app).await, new_code).await;
        assert_eq!(status, 201);
        let token = session["token"].as_str().unwrap().to_owned();

        // Removing it needs the password and a fresh code, ends other sessions, and sign-in
        // is one step again.
        let remove = "/api/v1/me/second-step/totp";
        let code = fresh_codes["recovery_codes"][1].as_str().unwrap();
        let (status, _) = app.send_json(reqwest::Method::DELETE, remove, json!({"password": "not the password at all", "code": code}), Some(&token)).await;
        assert_eq!(status, 403);
        let (status, problem) = app.send_json(reqwest::Method::DELETE, remove, json!({"password": PASSWORD}), Some(&token)).await;
        assert_eq!(status, 422, "a session and the password are not enough: {problem}");
        let (status, removed) = app.send_json(reqwest::Method::DELETE, remove, json!({"password": PASSWORD, "code": code}), Some(&token)).await;
        assert_eq!(status, 201, "{removed}");
        assert_eq!(app.get_json("/api/v1/me", &token).await.0, 401, "the old session ended");
        let token = removed["token"].as_str().unwrap();
        let me = app.get_json("/api/v1/me", token).await.1;
        assert_eq!((me["second_steps"].clone(), me["recovery_codes_left"].clone()), (json!([]), json!(0)));
        assert!(app.sign_in(EMAIL, PASSWORD).await.is_ok(), "one step again");
        let (status, _) = app.send_json(reqwest::Method::DELETE, "/api/v1/me/second-step/sms", json!({"password": PASSWORD}), Some(token)).await;
        assert_eq!(status, 404);

        let count = |action: &str| format!("SELECT CAST(COUNT(*) AS TEXT) FROM audit_events WHERE action = '{action}'");
        assert_eq!(app.db_text(&count("second_step_enabled")).await, "1");
        assert_eq!(app.db_text(&count("second_step_removed")).await, "1");
        // Two reused TOTP codes, five wrong ones, two spent recovery codes: every wrong
        // code against a live challenge (dead challenges are refused before any check).
        assert_eq!(app.db_text(&count("second_step_failed")).await, "9");
        let log = app.wait_for_output("second_step_removed").await;
        let security: Vec<&str> = log.lines().filter(|l| l.contains("skjold::security")).collect();
        assert!(security.iter().any(|l| l.contains("second_step_enabled")), "on the security log target: {log}");
        assert!(security.iter().filter(|l| l.contains("second_step_failed")).count() == 9, "{security:?}");
        let changed = mailbox.wait_for(EMAIL, "Your 2-step security changed").await;
        assert!(changed.body.contains("other sessions were signed out"), "{}", changed.body);
    }
}

/// Sets up an authenticator app for the signed-in `token`: the new session's token.
pub(crate) async fn enable_totp(app: &TestApp, token: &str) -> String {
    enable_totp_secret(app, token).await.0
}

/// [`enable_totp`], with the app's secret, to make later codes with.
pub(crate) async fn enable_totp_secret(app: &TestApp, token: &str) -> (String, TotpSecret) {
    let (token, secret, _) = enable_totp_with_codes(app, token).await;
    (token, secret)
}

/// [`enable_totp_secret`], with the ten recovery codes the set-up gave.
pub(crate) async fn enable_totp_with_codes(
    app: &TestApp,
    token: &str,
) -> (String, TotpSecret, Vec<String>) {
    let (status, setup) = app
        .post_json(
            "/api/v1/me/second-step/totp",
            json!({"password": PASSWORD}),
            Some(token),
        )
        .await;
    assert_eq!(status, 201, "{setup}");
    let secret = TotpSecret::from_base32(setup["secret"].as_str().unwrap()).unwrap();
    let code = secret.code_at(now()).unwrap();
    let (status, enabled) = app
        .post_json(
            "/api/v1/me/second-step/totp/confirm",
            json!({"code": code}),
            Some(token),
        )
        .await;
    assert_eq!(status, 201, "{enabled}");
    let codes = serde_json::from_value(enabled["recovery_codes"].clone()).unwrap();
    (enabled["token"].as_str().unwrap().to_owned(), secret, codes)
}

on_both_backends! {
    async fn c13_an_owner_can_require_2_step_security_of_every_member(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let (owner, me) = person(&app, &mailbox, EMAIL).await;
        let a = me["memberships"][0]["account_id"].as_str().unwrap().to_owned();
        let admin = crate::people::member(&app, &mailbox, &owner, &a, "admin@a.example", "admin").await.0;
        let member = crate::people::member(&app, &mailbox, &owner, &a, "member@a.example", "member").await.0;
        let account = format!("/api/v1/accounts/{a}");
        let contacts = format!("{account}/contacts");
        let require = |on: bool| json!({"require_second_step": on});

        let (status, problem) = app.send_json(reqwest::Method::PATCH, &account, require(true), Some(&owner)).await;
        assert_eq!(status, 422, "the owner needs it first: {problem}");
        let (status, _) = app.send_json(reqwest::Method::PATCH, &account, require(true), Some(&admin)).await;
        assert_eq!(status, 403, "owners only");
        let owner = enable_totp(&app, &owner).await;
        let (status, changed) = app.send_json(reqwest::Method::PATCH, &account, require(true), Some(&owner)).await;
        assert_eq!((status, changed["require_second_step"].clone()), (200, json!(true)), "{changed}");

        // A member without a second step is sent to set one up, and only that works.
        let (status, problem) = app.get_json(&contacts, &member).await;
        assert_eq!((status, problem["type"].as_str()), (403, Some("urn:skjold:problem:second-step-required")));
        assert_eq!(app.get_json(&account, &admin).await.0, 403, "admins too");
        assert_eq!(app.get_json("/api/v1/me", &member).await.0, 200, "their own settings stay reachable");
        let member = enable_totp(&app, &member).await;
        assert_eq!(app.get_json(&contacts, &member).await.0, 200);
        assert_eq!(app.get_json(&contacts, &owner).await.0, 200);

        let (status, changed) = app.send_json(reqwest::Method::PATCH, &account, require(false), Some(&owner)).await;
        assert_eq!((status, changed["require_second_step"].clone()), (200, json!(false)));
        assert_eq!(app.get_json(&account, &admin).await.0, 200);
        let sql = "SELECT CAST(COUNT(*) AS TEXT) FROM audit_events WHERE action = 'second_step_policy_changed'";
        assert_eq!(app.db_text(sql).await, "2");
    }
}
