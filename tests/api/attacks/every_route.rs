//! Every route, attacked (ASVS 8.2.1, 8.2.2, 8.3.1, 8.4.1, 7.2.1, 3.5.1, 6.4.3): the
//! suite reads the running server's OpenAPI document and the site's router, so a route
//! added tomorrow is tried tomorrow without anyone remembering to. An API operation the
//! suite does not know how to judge fails it: whoever adds an account route says here
//! which [`Operation`] it needs, and from then on it is tried by every caller who must
//! be refused:
//!
//! - no credential, a made-up one, and the half-signed-in challenge (a right password
//!   without its code): 401 on every protected operation;
//! - API tokens on a person's own routes (`/me`, sessions): 401, tokens are no session;
//! - every lower role, and both API token scopes, on each account operation their role
//!   or scope does not allow: 403 (or 401 for a token where only a person may act);
//! - the owner of another account: 404 on every account operation, exactly as for an
//!   account that does not exist, and 404 for this account's objects reached through
//!   their own account's path;
//! - a cross-site request carrying the owner's session cookie, on every unsafe API
//!   operation and every form of the site: 403, nothing done;
//! - a session with the password alone on every change of 2-step security: refused.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};
use skjold_app::{Operation, role_allows};
use skjold_domain::Role;

use crate::contacts::{ola, world};
use crate::helpers::{TestApp, on_both_backends};
use crate::people::{PASSWORD, person};
use crate::recovery::with_mailbox;
use crate::second_step::enable_totp;

/// What each account operation of the API needs, and a body that passes its schema (so
/// a refusal is about who asks, not about what they sent).
fn account_operation(method: &str, path: &str) -> Option<(Operation, Value)> {
    let rest = path.strip_prefix("/api/v1/accounts/{account_id}")?;
    let none = Value::Null;
    Some(match (method, rest) {
        ("get", "") => (Operation::ViewAccount, none),
        ("patch", "") => (
            Operation::RequireSecondStep,
            json!({"require_second_step": false}),
        ),
        ("get" | "delete", "/tokens" | "/tokens/{token_id}") => (Operation::ManageApiTokens, none),
        ("post", "/tokens") => (
            Operation::ManageApiTokens,
            json!({"name": "attack", "scope": "write", "expires_in_days": 1}),
        ),
        ("get", "/contacts" | "/contacts/{contact_id}") => (Operation::ReadContacts, none),
        ("post", "/contacts") => (Operation::WriteContacts, json!({"name": "Planted"})),
        ("patch", "/contacts/{contact_id}") => {
            (Operation::WriteContacts, json!({"company": "Planted"}))
        }
        ("delete", "/contacts/{contact_id}") => (Operation::WriteContacts, none),
        ("get", "/contacts/export") => (Operation::ExportContacts, none),
        ("get", "/members") => (Operation::ListMembers, none),
        ("post", "/members" | "/invitations") => (
            Operation::ManageMembers,
            json!({"email": "planted@attacker.example", "role": "admin"}),
        ),
        ("patch", "/members/{user_id}") => (Operation::ManageMembers, json!({"role": "admin"})),
        ("delete", "/members/{user_id}" | "/invitations/{invitation_id}") => {
            (Operation::ManageMembers, none)
        }
        ("get", "/invitations") => (Operation::ManageMembers, none),
        ("post", "/transfer-ownership") => (
            Operation::TransferOwnership,
            json!({"user_id": "{user_id}"}),
        ),
        ("get", "/audit") => (Operation::ReadAudit, none),
        _ => return None,
    })
}

/// The documented operations: (method, path template, protected by the bearer scheme).
async fn documented(app: &TestApp) -> Vec<(String, String, bool)> {
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let protected = operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty());
            operations.push((method.clone(), path.clone(), protected));
        }
    }
    assert!(
        operations.len() > 40,
        "the document lists {} operations",
        operations.len()
    );
    operations
}

/// The POST routes of the site's router, read from its source: `(path, method)`.
fn site_forms() -> Vec<String> {
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/skjold-http/src/site/mod.rs"
    ))
    .unwrap();
    let mut forms = Vec::new();
    for route in source.split(".route(").skip(1) {
        let route = route.split(".route_layer(").next().unwrap();
        let path = route.split('"').nth(1).unwrap();
        if route.contains("post(") {
            forms.push(path.to_owned());
        }
    }
    assert!(forms.len() > 20, "the site has {} forms", forms.len());
    forms
}

/// `template` with its parameters (`{name}`) filled in from `values`.
fn substitute(template: &str, values: &BTreeMap<&str, String>) -> String {
    let mut text = template.to_owned();
    for (name, value) in values {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// A path template filled in; every parameter must have a value.
fn fill(template: &str, values: &BTreeMap<&str, String>) -> String {
    let path = substitute(template, values);
    assert!(
        !path.contains('{'),
        "no value for a parameter of {template}"
    );
    path
}

/// A request with `credential` as the bearer token (or none) and `body` (or none).
async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    credential: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    let method: Method = method.to_uppercase().parse().unwrap();
    let mut request = app.client.request(method, app.url(path));
    if let Some(credential) = credential {
        request = request.bearer_auth(credential);
    }
    if !body.is_null() {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

on_both_backends! {
    async fn c5_every_route_refuses_every_caller_who_must_be_refused(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let w = world(&app, &mailbox).await;
        let a = format!("/api/v1/accounts/{}", w.a);
        let (status, contact) = app.post_json(&format!("{a}/contacts"), ola(), Some(&w.owner)).await;
        assert_eq!(status, 201, "{contact}");
        let mut tokens = BTreeMap::new();
        let mut token_id = String::new();
        for scope in ["read", "write"] {
            let body = json!({"name": scope, "scope": scope, "expires_in_days": 30});
            let (status, made) = app.post_json(&format!("{a}/tokens"), body, Some(&w.owner)).await;
            assert_eq!(status, 201, "{made}");
            tokens.insert(scope, made["token"].as_str().unwrap().to_owned());
            token_id = made["id"].as_str().unwrap().to_owned();
        }
        let (status, _) = app.post_json(&format!("{a}/invitations"), json!({"email": "pending@a.example", "role": "member"}), Some(&w.owner)).await;
        assert_eq!(status, 202);
        let invitation = app.get_json(&format!("{a}/invitations"), &w.owner).await.1[0]["id"].as_str().unwrap().to_owned();
        let members = app.get_json(&format!("{a}/members"), &w.owner).await.1;
        let member_id = members.as_array().unwrap().iter().find(|m| m["role"] == "member").unwrap()["user_id"].as_str().unwrap().to_owned();
        // Someone whose password is known but whose code is not: the challenge they get.
        let (two_step, _) = person(&app, &mailbox, "two.step@c.example").await;
        let two_step = enable_totp(&app, &two_step).await;
        let (status, started) = app.post_json("/api/v1/sessions", json!({"email": "two.step@c.example", "password": PASSWORD}), None).await;
        assert_eq!(status, 202, "{started}");
        let challenge = started["challenge"].as_str().unwrap().to_owned();

        let values = BTreeMap::from([
            ("account_id", w.a.clone()),
            ("contact_id", contact["id"].as_str().unwrap().to_owned()),
            ("user_id", member_id.clone()),
            ("token_id", token_id.clone()),
            ("invitation_id", invitation.clone()),
            ("method", "totp".to_owned()),
            ("id", "00000000-0000-4000-8000-000000000000".to_owned()),
            ("token", "skji_made_up".to_owned()),
        ]);
        let roles = [(Role::Admin, &w.admin), (Role::Member, &w.member), (Role::Restricted, &w.restricted)];
        let mut tried = 0;
        for (method, template, protected) in documented(&app).await {
            let path = fill(&template, &values);
            let account = account_operation(&method, &template);
            if template.starts_with("/api/v1/accounts/") {
                assert!(account.is_some(), "{method} {template}: say in account_operation which operation it needs");
            }
            let body = account.as_ref().map_or(json!({}), |(_, body)| {
                serde_json::from_str(&substitute(&body.to_string(), &values)).unwrap()
            });
            if protected {
                for (who, credential) in [("no one", None), ("a made-up token", Some("skjs_made_up")), ("a challenge", Some(challenge.as_str()))] {
                    let (status, answer) = call(&app, &method, &path, credential, &body).await;
                    assert_eq!(status, 401, "{who}: {method} {template}: {answer}");
                    tried += 1;
                }
            }
            let Some((operation, _)) = account else {
                if protected && !template.starts_with("/api/v1/invitations/") {
                    // A person's own routes: an API token is no session.
                    for token in tokens.values() {
                        let (status, answer) = call(&app, &method, &path, Some(token), &body).await;
                        assert_eq!(status, 401, "a token on {method} {template}: {answer}");
                        tried += 1;
                    }
                }
                continue;
            };
            // Every role below the owner that may not: 403.
            for (role, session) in roles {
                if !role_allows(role, operation) {
                    let (status, answer) = call(&app, &method, &path, Some(session), &body).await;
                    assert_eq!(status, 403, "{role:?}: {method} {template}: {answer}");
                    tried += 1;
                }
            }
            // API tokens: only reading (and, with the write scope, changing) contacts.
            for (scope, token) in &tokens {
                let allowed = matches!(operation, Operation::ViewAccount | Operation::ReadContacts)
                    || (*scope == "write" && operation == Operation::WriteContacts);
                if !allowed {
                    let (status, answer) = call(&app, &method, &path, Some(token), &body).await;
                    assert!(status == 403 || status == 401, "a {scope} token: {method} {template}: {status} {answer}");
                    tried += 1;
                }
            }
            // Another tenant's owner: this account does not exist for them, and this
            // account's objects are not found through theirs either.
            let (status, answer) = call(&app, &method, &path, Some(&w.b_owner), &body).await;
            assert_eq!(status, 404, "another owner: {method} {template}: {answer}");
            let through_b = path.replacen(&w.a, &w.b, 1);
            if template.matches('{').count() > 1 {
                let (status, answer) = call(&app, &method, &through_b, Some(&w.b_owner), &body).await;
                assert_eq!(status, 404, "another owner, through their account: {method} {template}: {answer}");
                tried += 1;
            }
            tried += 1;
        }

        // Cross-site requests with the owner's session cookie change nothing.
        let cookie = format!("__Host-skjold_session={}", w.owner);
        for (method, template, protected) in documented(&app).await {
            if !protected || method == "get" {
                continue;
            }
            let path = fill(&template, &values);
            let request = app.client.request(method.to_uppercase().parse().unwrap(), app.url(&path))
                .header("cookie", &cookie)
                .header("origin", "https://attacker.example")
                .json(&json!({}));
            let response = request.send().await.unwrap();
            assert_eq!(response.status().as_u16(), 403, "cross-site {method} {template}");
            let answer: Value = response.json().await.unwrap();
            assert_eq!(answer["type"], "urn:skjold:problem:cross-site-request", "{method} {template}");
            tried += 1;
        }
        for form in site_forms() {
            let path = fill(&form, &values);
            let response = app.client.post(app.url(&path))
                .header("cookie", &cookie)
                .header("origin", "https://attacker.example")
                .form(&[("account", w.a.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 403, "cross-site form {form}");
            tried += 1;
        }

        // Changes of 2-step security with a session and the password alone.
        for (method, template, _) in documented(&app).await {
            if !(template.starts_with("/api/v1/me/second-step") || template.starts_with("/api/v1/me/recovery-codes")) || method == "get" {
                continue;
            }
            if template.ends_with("/confirm") || template.ends_with("/sms/code") {
                continue; // confirming needs the new method's own code; sending one changes nothing
            }
            let path = fill(&template, &values);
            let body = json!({"password": PASSWORD, "phone": "+4791234567"});
            let (status, answer) = call(&app, &method, &path, Some(&two_step), &body).await;
            assert!(!(200..300).contains(&status), "the password alone: {method} {template}: {status} {answer}");
            tried += 1;
        }
        let me = app.get_json("/api/v1/me", &two_step).await.1;
        assert_eq!(me["second_steps"], json!(["totp"]), "nothing changed: {me}");

        // Nothing planted anywhere, nobody removed.
        let (_, list) = app.get_json(&format!("{a}/members"), &w.owner).await;
        assert_eq!(list.as_array().unwrap().len(), 4, "{list}");
        let (_, list) = app.get_json(&format!("{a}/contacts?company=Planted"), &w.owner).await;
        assert_eq!(list["contacts"], json!([]), "{list}");
        assert!(tried > 150, "only {tried} attempts");
    }
}
