//! `PATCH /api/v1/me`: a name, stored encrypted, and a change of e-mail address that
//! counts only once the new address confirms it, needs the password, tells the old
//! address and ends every other session (C12 "key information"; ASVS 6.2.3, 7.4.3).

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, on_both_backends};
use crate::mailbox::token_in;
use crate::recovery::with_mailbox;

const EMAIL: &str = "kari.nordmann@example.no";
const NEW_EMAIL: &str = "kari@nordmann.example";
const OTHER: &str = "ola.nordmann@example.no";
const PASSWORD: &str = "korrekt hest batteri stift";

async fn patch_me(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    app.send_json(Method::PATCH, "/api/v1/me", body, Some(token))
        .await
}

on_both_backends! {
    async fn a_name_is_trimmed_checked_stored_encrypted_and_changes_no_session(backend: Backend) {
        let Some((app, _mailbox)) = with_mailbox(backend).await else { return };
        app.sign_up(EMAIL, PASSWORD).await;
        let a = app.sign_in(EMAIL, PASSWORD).await.unwrap();
        let b = app.sign_in(EMAIL, PASSWORD).await.unwrap();
        assert_eq!(app.get_json("/api/v1/me", &a).await.1["name"], Value::Null);

        let (status, me) = patch_me(&app, &a, json!({"name": "  Kari Nordmann "})).await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["name"], "Kari Nordmann");
        assert_eq!(me["email"], EMAIL);
        assert_eq!(app.get_json("/api/v1/me", &b).await.1["name"], "Kari Nordmann", "a name is not key information: b lives");

        let (status, problem) = patch_me(&app, &a, json!({"name": "Kari\r\nBcc: all@example.no"})).await;
        assert_eq!(status, 422);
        assert_eq!(problem["detail"], "the name may not contain control characters");
        let (status, problem) = patch_me(&app, &a, json!({"nickname": "Kari"})).await;
        assert_eq!(status, 422, "an unknown field is refused, not ignored: {problem}");
        assert_eq!(app.get_json("/api/v1/me", &a).await.1["name"], "Kari Nordmann");

        let sealed: Vec<u8> = app.db_value("SELECT name_sealed FROM users").await;
        assert!(!sealed.windows(4).any(|w| w == b"Kari"), "the name is stored encrypted");
        assert_eq!(app.db_text("SELECT name_key_id FROM users").await, "k1");
    }

    async fn a_new_address_needs_the_password_and_its_own_confirmation_then_ends_other_sessions(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        app.sign_up(EMAIL, PASSWORD).await;
        app.sign_up(OTHER, PASSWORD).await;
        let a = app.sign_in(EMAIL, PASSWORD).await.unwrap();
        let b = app.sign_in(EMAIL, PASSWORD).await.unwrap();
        let stranger = app.sign_in(OTHER, PASSWORD).await.unwrap();

        let (status, problem) = patch_me(&app, &a, json!({"email": NEW_EMAIL})).await;
        assert_eq!(status, 422);
        assert_eq!(problem["detail"], "changing the e-mail address needs your current password");
        let (status, _) = patch_me(&app, &a, json!({"email": NEW_EMAIL, "current_password": "a wrong but long password"})).await;
        assert_eq!(status, 403);
        let (status, _) = patch_me(&app, &a, json!({"email": "not an address", "current_password": PASSWORD})).await;
        assert_eq!(status, 422);
        assert!(mailbox.to(NEW_EMAIL).is_empty(), "nothing was sent for a refused change");

        let (status, me) = patch_me(&app, &a, json!({"email": NEW_EMAIL, "current_password": PASSWORD})).await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["email"], EMAIL, "the address changes only when the new one confirms");
        let link = mailbox.wait_for(NEW_EMAIL, "Confirm your new e-mail address").await;
        mailbox.wait_for(EMAIL, "A change of your e-mail address was requested").await;
        let token = token_in(&link);
        assert!(link.body.contains(&format!("https://localhost:{}/confirm-email-change#token=", app.https.port())), "{}", link.body);
        assert_eq!(app.get_json("/api/v1/me", &b).await.0, 200, "asking changes nothing yet");

        let (status, _) = app.post_json("/api/v1/me/email/confirm", json!({"token": token}), Some(&stranger)).await;
        assert_eq!(status, 400, "the link is worthless in another user's session");
        let (status, _) = app.post_json("/api/v1/me/email/confirm", json!({"token": token}), None).await;
        assert_eq!(status, 401);

        let (status, session) = app.post_json("/api/v1/me/email/confirm", json!({"token": token}), Some(&a)).await;
        assert_eq!(status, 201, "{session}");
        let reissued = session["token"].as_str().unwrap();
        assert_ne!(reissued, a);
        for old in [&a, &b] {
            assert_eq!(app.get_json("/api/v1/me", old).await.0, 401, "a session from before the change died");
        }
        let me = app.get_json("/api/v1/me", reissued).await.1;
        assert_eq!(me["email"], NEW_EMAIL);
        assert_eq!(me["email_verified"], true, "following the link verified it");
        assert_eq!(app.get_json("/api/v1/me", &stranger).await.0, 200, "other users are untouched");
        mailbox.wait_for(EMAIL, "Your e-mail address was changed").await;

        assert_eq!(app.sign_in(EMAIL, PASSWORD).await.unwrap_err().0, 401);
        assert!(app.sign_in(NEW_EMAIL, PASSWORD).await.is_ok());
        let (status, _) = app.post_json("/api/v1/me/email/confirm", json!({"token": token}), Some(reissued)).await;
        assert_eq!(status, 400, "single use");
    }

    async fn a_taken_address_gets_a_warning_and_the_asker_the_usual_answer(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        app.sign_up(EMAIL, PASSWORD).await;
        app.sign_up(OTHER, PASSWORD).await;
        let a = app.sign_in(EMAIL, PASSWORD).await.unwrap();

        let taken = patch_me(&app, &a, json!({"email": OTHER, "current_password": PASSWORD})).await;
        let fresh = patch_me(&app, &a, json!({"email": NEW_EMAIL, "current_password": PASSWORD})).await;
        assert_eq!(taken, fresh, "no way to learn who has an account");
        mailbox.wait_for(OTHER, "Someone tried to use your e-mail address").await;
        assert!(!mailbox.to(OTHER).iter().any(|m| m.subject.contains("Confirm your new")), "no link to a taken address");

        // A day later the link is dead.
        let token = token_in(&mailbox.wait_for(NEW_EMAIL, "Confirm your new e-mail address").await);
        std::fs::write(app.dir.path().join("clock.txt"), (24 * 60 * 60 + 60).to_string()).unwrap();
        let a = app.sign_in(EMAIL, PASSWORD).await.unwrap();
        let (status, problem) = app.post_json("/api/v1/me/email/confirm", json!({"token": token}), Some(&a)).await;
        assert_eq!(status, 400);
        assert_eq!(problem["type"], "urn:skjold:problem:invalid-link");
        assert_eq!(app.get_json("/api/v1/me", &a).await.1["email"], EMAIL);
    }
}
