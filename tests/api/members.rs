//! Members (C15): invitations by e-mail with a role, role changes and removals that take
//! effect at once and are audited, and an account that never loses its last owner.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, on_both_backends};
use crate::people::{PASSWORD, invite, member, person};
use crate::recovery::with_mailbox;

async fn send(app: &TestApp, method: Method, path: &str, body: Value, token: &str) -> u16 {
    app.send_json(method, path, body, Some(token)).await.0
}

async fn audited(app: &TestApp, action: &str) -> bool {
    let sql = format!("SELECT CAST(COUNT(*) AS TEXT) FROM audit_events WHERE action = '{action}'");
    app.db_text(&sql).await != "0"
}

on_both_backends! {
    async fn c15_an_invitation_by_mail_lets_that_address_join_with_its_role(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let (owner, me) = person(&app, &mailbox, "owner@a.example").await;
        let a = me["memberships"][0]["account_id"].as_str().unwrap().to_owned();
        let (kari, kari_id) = member(&app, &mailbox, &owner, &a, "kari@a.example", "member").await;
        assert!(audited(&app, "member_invited").await && audited(&app, "member_joined").await);

        let kari_me = app.get_json("/api/v1/me", &kari).await.1;
        let memberships = kari_me["memberships"].as_array().unwrap();
        assert!(memberships.iter().any(|m| m["account_id"] == a.as_str() && m["role"] == "member"), "{kari_me}");
        let members = app.get_json(&format!("/api/v1/accounts/{a}/members"), &owner).await.1;
        // Oldest first; both joined within the same second here, so compare as a set.
        let mut roles: Vec<(&str, &str)> = members.as_array().unwrap().iter()
            .map(|m| (m["email"].as_str().unwrap(), m["role"].as_str().unwrap())).collect();
        roles.sort();
        assert_eq!(roles, [("kari@a.example", "member"), ("owner@a.example", "owner")]);
        assert!(members.to_string().contains(&kari_id));

        // The link works only for the address it went to, and only once.
        let token = invite(&app, &mailbox, &owner, &a, "per@a.example", "admin").await;
        let accept = format!("/api/v1/invitations/{token}/accept");
        let (status, problem) = app.post_json(&accept, json!({}), Some(&kari)).await;
        assert_eq!(status, 400, "kari cannot use per's invitation: {problem}");
        let (per, _) = person(&app, &mailbox, "per@a.example").await;
        assert_eq!(app.post_json(&accept, json!({}), Some(&per)).await.0, 200);
        assert_eq!(app.post_json(&accept, json!({}), Some(&per)).await.0, 400, "single use");

        // Who may invite whom.
        let invitations = format!("/api/v1/accounts/{a}/invitations");
        let asks = json!({"email": "x@a.example", "role": "member"});
        assert_eq!(app.post_json(&invitations, asks, Some(&kari)).await.0, 403, "a member may not invite");
        let owner_invite = json!({"email": "x@a.example", "role": "owner"});
        assert_eq!(app.post_json(&invitations, owner_invite, Some(&per)).await.0, 403, "an admin may not make owners");
        app.sign_up("unverified@b.example", PASSWORD).await;
        let unverified = app.sign_in("unverified@b.example", PASSWORD).await.unwrap();
        let b = app.get_json("/api/v1/me", &unverified).await.1["memberships"][0]["account_id"].as_str().unwrap().to_owned();
        let (status, problem) = app
            .post_json(&format!("/api/v1/accounts/{b}/invitations"), json!({"email": "y@b.example", "role": "member"}), Some(&unverified))
            .await;
        assert_eq!(status, 403);
        assert_eq!(problem["type"], "urn:skjold:problem:verification-required");
    }

    async fn c15_role_changes_and_removals_take_effect_on_the_next_request(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let (owner, me) = person(&app, &mailbox, "owner@a.example").await;
        let a = me["memberships"][0]["account_id"].as_str().unwrap().to_owned();
        let (kari, kari_id) = member(&app, &mailbox, &owner, &a, "kari@a.example", "admin").await;
        let tokens = format!("/api/v1/accounts/{a}/tokens");
        assert_eq!(app.get_json(&tokens, &kari).await.0, 200, "an admin manages tokens");

        let kari_path = format!("/api/v1/accounts/{a}/members/{kari_id}");
        assert_eq!(send(&app, Method::PATCH, &kari_path, json!({"role": "restricted"}), &owner).await, 204);
        assert!(audited(&app, "role_changed").await);
        assert_eq!(app.get_json(&tokens, &kari).await.0, 401, "the old session ended with the change");
        let kari = app.sign_in("kari@a.example", PASSWORD).await.unwrap();
        assert_eq!(app.get_json(&tokens, &kari).await.0, 403, "restricted now");
        let members = app.get_json(&format!("/api/v1/accounts/{a}/members"), &kari).await.1;
        let owner_seen = members.as_array().unwrap().iter().find(|m| m["role"] == "owner").unwrap();
        assert_eq!(owner_seen["email"], "o***@a.example", "restricted sees colleagues' addresses masked");

        assert_eq!(send(&app, Method::DELETE, &kari_path, Value::Null, &owner).await, 204);
        assert!(audited(&app, "member_removed").await);
        assert_eq!(app.get_json("/api/v1/me", &kari).await.0, 401);
        let kari = app.sign_in("kari@a.example", PASSWORD).await.unwrap();
        assert_eq!(app.get_json(&format!("/api/v1/accounts/{a}"), &kari).await.0, 404, "no longer a member");
        assert_eq!(send(&app, Method::DELETE, &kari_path, Value::Null, &owner).await, 404);
    }

    async fn c15_an_account_always_keeps_an_owner_and_ownership_moves_only_by_an_owner(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let (owner, me) = person(&app, &mailbox, "owner@a.example").await;
        let a = me["memberships"][0]["account_id"].as_str().unwrap().to_owned();
        let owner_id = me["id"].as_str().unwrap().to_owned();
        let (admin, admin_id) = member(&app, &mailbox, &owner, &a, "admin@a.example", "admin").await;
        let owner_path = format!("/api/v1/accounts/{a}/members/{owner_id}");

        assert_eq!(send(&app, Method::PATCH, &owner_path, json!({"role": "admin"}), &owner).await, 422, "the last owner stays owner");
        assert_eq!(send(&app, Method::DELETE, &owner_path, Value::Null, &owner).await, 422, "and cannot leave");
        assert_eq!(send(&app, Method::PATCH, &owner_path, json!({"role": "member"}), &admin).await, 403, "an admin cannot touch an owner");
        assert_eq!(send(&app, Method::DELETE, &owner_path, Value::Null, &admin).await, 403);
        let transfer = format!("/api/v1/accounts/{a}/transfer-ownership");
        assert_eq!(app.post_json(&transfer, json!({"user_id": owner_id}), Some(&admin)).await.0, 403);

        let (status, session) = app.post_json(&transfer, json!({"user_id": admin_id}), Some(&owner)).await;
        assert_eq!(status, 201, "{session}");
        assert!(audited(&app, "ownership_transferred").await);
        let former = session["token"].as_str().unwrap();
        assert_eq!(app.get_json("/api/v1/me", &owner).await.0, 401, "the old session was replaced");
        let me = app.get_json("/api/v1/me", former).await.1;
        assert_eq!(me["memberships"][0]["role"], "admin", "{me}");
        assert_eq!(app.get_json("/api/v1/me", &admin).await.0, 401, "the new owner signs in again");
        let new_owner = app.sign_in("admin@a.example", PASSWORD).await.unwrap();
        // Now the former owner may leave: another owner remains.
        assert_eq!(send(&app, Method::DELETE, &owner_path, Value::Null, &new_owner).await, 204);
    }
}
