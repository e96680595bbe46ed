//! People for tests that need several: each signs up, verifies their address by the link
//! in their mail, and joins accounts by invitation, all through the API.

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::mailbox::{Mailbox, token_in};

pub const PASSWORD: &str = "korrekt hest batteri stift";

/// A new user with a verified address and an account of their own: their session token
/// and `GET /me`.
pub async fn person(app: &TestApp, mailbox: &Mailbox, email: &str) -> (String, Value) {
    app.sign_up(email, PASSWORD).await;
    let link = mailbox.wait_for(email, "Confirm your e-mail address").await;
    let (status, _) = app
        .post_json(
            "/api/v1/email-verification",
            json!({"token": token_in(&link)}),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let token = app.sign_in(email, PASSWORD).await.unwrap();
    let me = app.get_json("/api/v1/me", &token).await.1;
    (token, me)
}

/// The invitation token `inviter` had sent to `email` for `account` with `role`.
pub async fn invite(
    app: &TestApp,
    mailbox: &Mailbox,
    inviter: &str,
    account: &str,
    email: &str,
    role: &str,
) -> String {
    let path = format!("/api/v1/accounts/{account}/invitations");
    let (status, answer) = app
        .post_json(&path, json!({"email": email, "role": role}), Some(inviter))
        .await;
    assert_eq!(status, 202, "{answer}");
    mailbox.wait_for(email, "Invitation to join").await;
    let newest = mailbox
        .to(email)
        .into_iter()
        .rfind(|m| m.subject.contains("Invitation to join"))
        .unwrap();
    token_in(&newest)
}

/// A new person who joins `account` with `role` by invitation: their session and id.
pub async fn member(
    app: &TestApp,
    mailbox: &Mailbox,
    inviter: &str,
    account: &str,
    email: &str,
    role: &str,
) -> (String, String) {
    let (token, me) = person(app, mailbox, email).await;
    let invitation = invite(app, mailbox, inviter, account, email, role).await;
    let path = format!("/api/v1/invitations/{invitation}/accept");
    let (status, joined) = app.post_json(&path, json!({}), Some(&token)).await;
    assert_eq!(status, 200, "{joined}");
    assert_eq!(joined["role"], role);
    (token, me["id"].as_str().unwrap().to_owned())
}
