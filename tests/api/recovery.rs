//! E-mail verification and password reset through mails read from a real SMTP server on
//! loopback (ASVS 6.4.1, 6.3 enumeration, 7.4.3).

use serde_json::json;

use crate::helpers::{Backend, Launch, TestApp, on_both_backends};
use crate::mailbox::{Mailbox, token_in};

const EMAIL: &str = "kari.nordmann@example.no";
const PASSWORD: &str = "korrekt hest batteri stift";
const NEW_PASSWORD: &str = "a completely different passphrase";

pub(crate) async fn with_mailbox(backend: Backend) -> Option<(TestApp, Mailbox)> {
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

on_both_backends! {
    async fn api_tokens_need_a_verified_manager_are_shown_once_and_die_with_their_creators_right(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        app.sign_up(EMAIL, PASSWORD).await;
        let session = app.sign_in(EMAIL, PASSWORD).await.unwrap();
        let me = app.get_json("/api/v1/me", &session).await.1;
        let account = me["memberships"][0]["account_id"].as_str().unwrap().to_owned();
        assert_eq!(me["memberships"][0]["role"], "owner");
        let tokens = format!("/api/v1/accounts/{account}/tokens");
        let new_token = json!({"name": "CI export", "scope": "read", "expires_in_days": 30});

        let (status, answer) = app.post_json(&tokens, new_token.clone(), Some(&session)).await;
        assert_eq!(status, 403, "{answer}");
        assert_eq!(answer["type"], "urn:skjold:problem:verification-required");
        let verify = token_in(&mailbox.wait_for(EMAIL, "Confirm your e-mail address").await);
        assert_eq!(app.post_json("/api/v1/email-verification", json!({"token": verify}), None).await.0, 204);

        let too_long = json!({"name": "x", "scope": "read", "expires_in_days": 366});
        assert_eq!(app.post_json(&tokens, too_long, Some(&session)).await.0, 422, "at most a year");
        let (status, created) = app.post_json(&tokens, new_token, Some(&session)).await;
        assert_eq!(status, 201, "{created}");
        let secret = created["token"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("skjt_"));
        let (_, list) = app.get_json(&tokens, &session).await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert!(list[0].get("token").is_none(), "shown once, never listed");
        assert!(list[0]["last_used_at"].is_null());

        let account_url = format!("/api/v1/accounts/{account}");
        let (status, body) = app.get_json(&account_url, &secret).await;
        assert_eq!((status, body["name"].as_str()), (200, Some("Integrera AS")));
        assert!(!app.get_json(&tokens, &session).await.1[0]["last_used_at"].is_null(), "use is recorded");

        // Another tenant: the same answer as for nothing at all (ASVS 8.4.1).
        app.sign_up("mallory@example.no", "mallory's own long passphrase").await;
        let mallory = app.sign_in("mallory@example.no", "mallory's own long passphrase").await.unwrap();
        let theirs = app.get_json("/api/v1/me", &mallory).await.1["memberships"][0]["account_id"].as_str().unwrap().to_owned();
        assert_eq!(app.get_json(&account_url, &mallory).await.0, 404);
        assert_eq!(app.get_json(&tokens, &mallory).await.0, 404);
        assert_eq!(app.get_json(&format!("/api/v1/accounts/{theirs}"), &secret).await.0, 404, "a token works for its own account only");
        assert_eq!(app.get_json(&format!("/api/v1/accounts/{}", uuid::Uuid::new_v4()), &mallory).await.0, 404);

        // When its creator is no longer an owner or admin, the token stops working.
        app.db_execute("UPDATE memberships SET role = $1 WHERE role = 'owner'", "member").await;
        assert_eq!(app.get_json(&account_url, &secret).await.0, 401);
        app.db_execute("UPDATE memberships SET role = $1 WHERE role = 'member'", "owner").await;
        assert_eq!(app.get_json(&account_url, &secret).await.0, 200);

        let id = created["id"].as_str().unwrap();
        let revoke = app.client.delete(app.url(&format!("{tokens}/{id}"))).bearer_auth(&session).send().await.unwrap();
        assert_eq!(revoke.status(), 204);
        assert_eq!(app.get_json(&account_url, &secret).await.0, 401);
        assert!(app.get_json(&tokens, &session).await.1.as_array().unwrap().is_empty());
    }
}
