//! E-mail verification and password reset through mails read from a real SMTP server on
//! loopback (ASVS 6.4.1, 6.3 enumeration, 7.4.3).

use serde_json::json;

use crate::helpers::{Backend, Launch, TestApp, on_both_backends};
use crate::mailbox::{Mailbox, token_in};

const EMAIL: &str = "kari.nordmann@example.no";
const PASSWORD: &str = "korrekt hest batteri stift";
const NEW_PASSWORD: &str = "a completely different passphrase";

async fn with_mailbox(backend: Backend) -> Option<(TestApp, Mailbox)> {
    let mailbox = Mailbox::start().await;
    let launch = Launch::new(backend).await?;
    let app = launch
        .mail_to(&mailbox)
        .arg("--test-clock-file")
        .arg("clock.txt")
        .start()
        .await;
    Some((app, mailbox))
}

on_both_backends! {
    async fn the_address_is_verified_by_a_single_use_link_sent_over_smtp(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        app.sign_up(EMAIL, PASSWORD).await;
        let mail = mailbox.wait_for(EMAIL, "Confirm your e-mail address").await;
        let token = token_in(&mail);
        assert!(token.starts_with("skjv_"), "{mail:?}");
        assert!(mail.body.contains(&format!("https://localhost:{}/verify-email#token=", app.https.port())), "{}", mail.body);

        let session = app.sign_in(EMAIL, PASSWORD).await.unwrap();
        assert_eq!(app.get_json("/api/v1/me", &session).await.1["email_verified"], false);
        let (status, _) = app.post_json("/api/v1/email-verification", json!({"token": token}), None).await;
        assert_eq!(status, 204);
        assert_eq!(app.get_json("/api/v1/me", &session).await.1["email_verified"], true);
        let (status, again) = app.post_json("/api/v1/email-verification", json!({"token": token}), None).await;
        assert_eq!(status, 400, "single use");
        assert_eq!(again["type"], "urn:skjold:problem:invalid-link");
        mailbox.wait_for(EMAIL, "New sign-in to your account").await;
    }

    async fn asvs_6_4_1_a_password_reset_link_works_once_and_ends_every_session(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        app.sign_up(EMAIL, PASSWORD).await;
        let a = app.sign_in(EMAIL, PASSWORD).await.unwrap();
        let b = app.sign_in(EMAIL, PASSWORD).await.unwrap();

        let known = app.post_json("/api/v1/password-reset", json!({"email": EMAIL}), None).await;
        let unknown = app.post_json("/api/v1/password-reset", json!({"email": "nobody@example.no"}), None).await;
        assert_eq!(known, unknown, "the same answer for any address");
        assert_eq!(known.0, 202);
        let mail = mailbox.wait_for(EMAIL, "Reset your password").await;
        assert!(mailbox.to("nobody@example.no").is_empty());
        let token = token_in(&mail);
        assert!(token.starts_with("skjr_"));

        let weak = app.post_json("/api/v1/password-reset/confirm", json!({"token": token, "new_password": "short"}), None).await;
        assert_eq!(weak.0, 422, "the policy applies, and the token is not spent by a refusal");
        let (status, _) = app.post_json("/api/v1/password-reset/confirm", json!({"token": token, "new_password": NEW_PASSWORD}), None).await;
        assert_eq!(status, 204);
        for session in [&a, &b] {
            assert_eq!(app.get_json("/api/v1/me", session).await.0, 401, "every session ends");
        }
        assert_eq!(app.sign_in(EMAIL, PASSWORD).await.unwrap_err().0, 401);
        assert!(app.sign_in(EMAIL, NEW_PASSWORD).await.is_ok());
        let (status, _) = app.post_json("/api/v1/password-reset/confirm", json!({"token": token, "new_password": "yet another fine passphrase"}), None).await;
        assert_eq!(status, 400, "single use");
        mailbox.wait_for(EMAIL, "Your password was changed").await;
    }

    async fn a_password_reset_link_expires_after_30_minutes(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        app.sign_up(EMAIL, PASSWORD).await;
        app.post_json("/api/v1/password-reset", json!({"email": EMAIL}), None).await;
        let token = token_in(&mailbox.wait_for(EMAIL, "Reset your password").await);
        std::fs::write(app.dir.path().join("clock.txt"), (31 * 60).to_string()).unwrap();
        let (status, _) = app.post_json("/api/v1/password-reset/confirm", json!({"token": token, "new_password": NEW_PASSWORD}), None).await;
        assert_eq!(status, 400);
        assert!(app.sign_in(EMAIL, PASSWORD).await.is_ok(), "the password is unchanged");
    }
}
