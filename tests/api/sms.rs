//! 2-step security by text message (C13), against local servers that speak each
//! provider's API: Twilio's Messages API (form POST, HTTP Basic auth) and the signed
//! JSON webhook. The tests read the codes where a phone would: at the provider.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, Launch, TestApp, on_both_backends};
use crate::mailbox::Mailbox;
use crate::people::{PASSWORD, person};

const EMAIL: &str = "owner@a.example";
const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "twilio auth token for tests";

/// What a provider received: headers of interest and the body.
pub(crate) type Received = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A local server at `path` that records each request and answers `status`.
pub(crate) async fn provider(path: &'static str, status: StatusCode) -> (SocketAddr, Received) {
    let received: Received = Arc::new(Mutex::new(Vec::new()));
    let store = Arc::clone(&received);
    let app = axum::Router::new().route(
        path,
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let store = Arc::clone(&store);
            async move {
                store.lock().unwrap().push((headers, body));
                (status, r#"{"sid":"SM0001","status":"queued"}"#)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, received)
}

/// The form fields of a Twilio request.
pub(crate) fn form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap();
            let decode = |s: &str| {
                let s = s.replace('+', " ");
                let mut out = Vec::new();
                let bytes = s.as_bytes();
                let mut i = 0;
                while i < bytes.len() {
                    if bytes[i] == b'%' {
                        out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                        i += 3;
                    } else {
                        out.push(bytes[i]);
                        i += 1;
                    }
                }
                String::from_utf8(out).unwrap()
            };
            (decode(k), decode(v))
        })
        .collect()
}

/// The six digits in a text message.
pub(crate) fn code_in(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap()
        .to_owned()
}

pub(crate) async fn with_twilio(backend: Backend, addr: SocketAddr) -> Option<(TestApp, Mailbox)> {
    let mailbox = Mailbox::start().await;
    let secrets = tempfile::tempdir().unwrap().keep();
    let token_file = secrets.join("twilio-token");
    std::fs::write(&token_file, TOKEN).unwrap();
    let app = Launch::new(backend)
        .await?
        .mail_to(&mailbox)
        .arg("--sms-provider")
        .arg("twilio")
        .arg("--twilio-api-url")
        .arg(format!("http://{addr}"))
        .arg("--twilio-account-sid")
        .arg(SID)
        .arg("--twilio-auth-token-file")
        .arg(token_file.display().to_string())
        .arg("--twilio-from")
        .arg("Skjold")
        .arg("--test-clock-file")
        .arg("clock.txt")
        .start()
        .await;
    Some((app, mailbox))
}

pub(crate) fn set_clock(app: &TestApp, seconds: u64) {
    std::fs::write(app.dir.path().join("clock.txt"), seconds.to_string()).unwrap();
}

on_both_backends! {
    async fn c13_sign_in_with_a_code_sent_through_twilio(backend: Backend) {
        let (addr, received) = provider("/2010-04-01/Accounts/{sid}/Messages.json", StatusCode::CREATED).await;
        let Some((app, mailbox)) = with_twilio(backend, addr).await else { return };
        let (token, _) = person(&app, &mailbox, EMAIL).await;

        let sms = "/api/v1/me/second-step/sms";
        let (status, answer) = app.post_json(sms, json!({"phone": "+47 912 34 567", "password": PASSWORD}), Some(&token)).await;
        assert_eq!(status, 202, "{answer}");
        assert!(answer["risk"].as_str().unwrap().contains("authenticator app"), "the risk is told: {answer}");
        assert_eq!(answer["stronger_option"], "totp");
        let (headers, body) = received.lock().unwrap()[0].clone();
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TOKEN}"));
        assert_eq!(headers["authorization"], format!("Basic {basic}").as_str());
        assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
        let fields = form(&body);
        assert_eq!(fields[0], ("To".to_owned(), "+4791234567".to_owned()));
        assert_eq!(fields[1], ("From".to_owned(), "Skjold".to_owned()));
        assert_eq!(fields[2].0, "Body");
        let code = code_in(&fields[2].1);

        let confirm = "/api/v1/me/second-step/sms/confirm";
        let wrong = if code == "000000" { "000001" } else { "000000" };
        assert_eq!(app.post_json(confirm, json!({"code": wrong}), Some(&token)).await.0, 422);
        let (status, enabled) = app.post_json(confirm, json!({"code": code}), Some(&token)).await;
        assert_eq!(status, 201, "{enabled}");
        assert_eq!(enabled["recovery_codes"].as_array().unwrap().len(), 10);
        assert_eq!(app.get_json("/api/v1/me", &token).await.0, 401, "the stamp rose");
        assert_eq!(app.post_json(confirm, json!({"code": code}), Some(enabled["token"].as_str().unwrap())).await.0, 422, "used");

        // Sign-in: the code goes to the phone, bound to that sign-in.
        set_clock(&app, 31);
        let (status, first) = app.post_json("/api/v1/sessions", json!({"email": EMAIL, "password": PASSWORD}), None).await;
        assert_eq!(status, 202, "{first}");
        assert_eq!(first["methods"], json!(["sms", "recovery_code"]));
        let sent = received.lock().unwrap().len();
        assert_eq!(sent, 2, "a code was sent with the challenge");
        let code = code_in(&form(&received.lock().unwrap()[1].1)[2].1);
        set_clock(&app, 62);
        let (_, second) = app.post_json("/api/v1/sessions", json!({"email": EMAIL, "password": PASSWORD}), None).await;
        let second_code = code_in(&form(&received.lock().unwrap()[2].1)[2].1);
        let answer = |challenge: &Value, code: &str| {
            let body = json!({"challenge": challenge, "code": code});
            let app = &app;
            async move { app.post_json("/api/v1/sessions/second-step", body, None).await.0 }
        };
        assert_eq!(answer(&first["challenge"], &code).await, 401, "a newer sign-in's code replaced it");
        assert_eq!(answer(&first["challenge"], &second_code).await, 401, "a code works only for its own sign-in");
        assert_eq!(answer(&second["challenge"], &second_code).await, 201);
        assert_eq!(answer(&second["challenge"], &second_code).await, 401, "once");

        // At most one code every 30 seconds: a sign-in right after sends none.
        let (status, _) = app.post_json("/api/v1/sessions", json!({"email": EMAIL, "password": PASSWORD}), None).await;
        assert_eq!(status, 202);
        assert_eq!(received.lock().unwrap().len(), 3, "no code within 30 s of the last");
    }

    async fn c13_changing_the_phone_needs_the_password_and_a_fresh_code_and_ends_other_sessions(backend: Backend) {
        let (addr, received) = provider("/2010-04-01/Accounts/{sid}/Messages.json", StatusCode::CREATED).await;
        let Some((app, mailbox)) = with_twilio(backend, addr).await else { return };
        let (token, _) = person(&app, &mailbox, EMAIL).await;
        let last_code = || code_in(&form(&received.lock().unwrap().last().unwrap().1)[2].1);
        let last_to = || form(&received.lock().unwrap().last().unwrap().1)[0].1.clone();
        let sms = "/api/v1/me/second-step/sms";
        let send = "/api/v1/me/second-step/sms/code";
        assert_eq!(app.post_json(send, json!({}), Some(&token)).await.0, 404, "no phone yet");

        // An attacker holding a session and the password cannot add their own phone: that
        // needs a fresh code of the authenticator app the person has (ASVS 6.4.3).
        let (token, _, codes) = crate::second_step::enable_totp_with_codes(&app, &token).await;
        let (status, problem) = app.post_json(sms, json!({"phone": "+46701234567", "password": PASSWORD}), Some(&token)).await;
        assert_eq!(status, 422, "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains("fresh code"), "{problem}");
        let made_up = json!({"phone": "+46701234567", "password": PASSWORD, "code": "123456"});
        assert_eq!(app.post_json(sms, made_up, Some(&token)).await.0, 422);
        assert_eq!(received.lock().unwrap().len(), 0, "no text message went out");
        // And had they added one, the code it brings would not take the app off.
        let with_code = json!({"phone": "+46701234567", "password": PASSWORD, "code": codes[0]});
        assert_eq!(app.post_json(sms, with_code, Some(&token)).await.0, 202);
        let theirs = last_code();
        let remove_totp = json!({"password": PASSWORD, "code": theirs});
        let (status, problem) = app.send_json(reqwest::Method::DELETE, "/api/v1/me/second-step/totp", remove_totp, Some(&token)).await;
        assert_eq!(status, 422, "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains("fresh code"), "{problem}");
        // The phone being added goes with the password alone: it guarded nothing.
        let (status, removed) = app.send_json(reqwest::Method::DELETE, sms, json!({"password": PASSWORD}), Some(&token)).await;
        assert_eq!(status, 201, "{removed}");
        let token = removed["token"].as_str().unwrap().to_owned();

        set_clock(&app, 31);
        let add = json!({"phone": "+4791234567", "password": PASSWORD, "code": codes[1]});
        assert_eq!(app.post_json(sms, add, Some(&token)).await.0, 202);
        let (status, enabled) = app.post_json("/api/v1/me/second-step/sms/confirm", json!({"code": last_code()}), Some(&token)).await;
        assert_eq!(status, 201, "{enabled}");
        let token = enabled["token"].as_str().unwrap().to_owned();
        let recovery = enabled["recovery_codes"].as_array().map(|c| c[0].as_str().unwrap().to_owned());
        assert!(recovery.is_none(), "the app's recovery codes stay");
        let other = app.sign_in(EMAIL, PASSWORD).await;
        assert!(other.is_err(), "a second step is asked now");

        // A code for the change goes to the confirmed phone; it lives five minutes.
        set_clock(&app, 62);
        let (status, sent) = app.post_json(send, json!({}), Some(&token)).await;
        assert_eq!(status, 202, "{sent}");
        assert_eq!(sent["sent_to"], "+47 *** ** 567");
        assert_eq!(last_to(), "+4791234567");
        let expired = last_code();
        set_clock(&app, 62 + 301);
        let remove = |body: Value, token: String| {
            let app = &app;
            async move { app.send_json(reqwest::Method::DELETE, sms, body, Some(&token)).await }
        };
        assert_eq!(remove(json!({"password": PASSWORD, "code": expired}), token.clone()).await.0, 422, "expired after five minutes");
        assert_eq!(remove(json!({"password": PASSWORD}), token.clone()).await.0, 422, "no code");
        assert_eq!(app.post_json(send, json!({}), Some(&token)).await.0, 202);
        let fresh = last_code();
        assert_eq!(remove(json!({"password": "not the password at all", "code": fresh}), token.clone()).await.0, 403);
        let (status, removed) = remove(json!({"password": PASSWORD, "code": fresh}), token.clone()).await;
        assert_eq!(status, 201, "{removed}");
        assert_eq!(app.get_json("/api/v1/me", &token).await.0, 401, "the stamp rose: other sessions ended");
        let token = removed["token"].as_str().unwrap().to_owned();
        assert_eq!(remove(json!({"password": PASSWORD, "code": fresh}), token.clone()).await.0, 404, "gone");

        // The new phone is added as any phone is, and takes over.
        set_clock(&app, 62 + 301 + 31);
        let add = json!({"phone": "+4798765432", "password": PASSWORD, "code": codes[2]});
        assert_eq!(app.post_json(sms, add, Some(&token)).await.0, 202);
        assert_eq!(last_to(), "+4798765432");
        let (status, enabled) = app.post_json("/api/v1/me/second-step/sms/confirm", json!({"code": last_code()}), Some(&token)).await;
        assert_eq!(status, 201, "{enabled}");
        let me = app.get_json("/api/v1/me", enabled["token"].as_str().unwrap()).await.1;
        assert_eq!(me["second_steps"], json!(["sms", "totp"]), "{me}");
        let count = "SELECT CAST(COUNT(*) AS TEXT) FROM audit_events WHERE action = 'second_step_change_failed'";
        assert_eq!(app.db_text(count).await, "6", "every refused change is audited");
    }

    async fn c13_a_provider_that_fails_is_retried_and_reported_without_its_details(backend: Backend) {
        let (addr, received) = provider("/2010-04-01/Accounts/{sid}/Messages.json", StatusCode::INTERNAL_SERVER_ERROR).await;
        let Some((app, mailbox)) = with_twilio(backend, addr).await else { return };
        let (token, _) = person(&app, &mailbox, EMAIL).await;
        let (status, problem) = app.post_json("/api/v1/me/second-step/sms", json!({"phone": "91234567", "password": PASSWORD}), Some(&token)).await;
        assert_eq!(status, 503, "{problem}");
        assert_eq!(problem["type"], "urn:skjold:problem:sms-not-sent");
        assert!(!problem.to_string().contains("Twilio") && !problem.to_string().contains("500"), "{problem}");
        assert_eq!(received.lock().unwrap().len(), 3, "three tries");
    }
}

on_both_backends! {
    async fn c13_the_webhook_provider_posts_signed_json(backend: Backend) {
        const SECRET: &str = "sms gateway shared secret";
        let (addr, received) = provider("/sms", StatusCode::OK).await;
        let mailbox = Mailbox::start().await;
        let secrets = tempfile::tempdir().unwrap().keep();
        std::fs::write(secrets.join("sms-secret"), SECRET).unwrap();
        let Some(launch) = Launch::new(backend).await else { return };
        let app = launch
            .mail_to(&mailbox)
            .arg("--sms-provider").arg("webhook")
            .arg("--sms-webhook-url").arg(format!("http://{addr}/sms"))
            .arg("--sms-webhook-secret-file").arg(secrets.join("sms-secret").display().to_string())
            .start()
            .await;
        let (token, _) = person(&app, &mailbox, EMAIL).await;
        let (status, _) = app.post_json("/api/v1/me/second-step/sms", json!({"phone": "+4791234567", "password": PASSWORD}), Some(&token)).await;
        assert_eq!(status, 202);
        let (headers, body) = received.lock().unwrap()[0].clone();
        let message: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(message["to"], "+4791234567");
        let signature = headers["skjold-signature"].to_str().unwrap();
        let t: i64 = signature.strip_prefix("t=").unwrap().split(',').next().unwrap().parse().unwrap();
        assert_eq!(signature, skjold_crypto::sign_webhook(SECRET.as_bytes(), t, body.as_bytes()));
        let code = code_in(message["text"].as_str().unwrap());
        let (status, _) = app.post_json("/api/v1/me/second-step/sms/confirm", json!({"code": code}), Some(&token)).await;
        assert_eq!(status, 201);
    }
}
