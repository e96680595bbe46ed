//! The OpenAPI document at `/api/v1/openapi.json` describes the API as it is: version 3.1,
//! every operation, and each one it names is really served.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::{Backend, spawn_app};

/// Every operation of the API. A route added without documentation, or documentation
/// left behind by a removed route, makes this list disagree with the document.
const OPERATIONS: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("post", "/api/v1/signup"),
    ("post", "/api/v1/sessions"),
    ("get", "/api/v1/sessions"),
    ("delete", "/api/v1/sessions"),
    ("delete", "/api/v1/sessions/current"),
    ("delete", "/api/v1/sessions/{id}"),
    ("get", "/api/v1/me"),
    ("patch", "/api/v1/me"),
    ("post", "/api/v1/me/email/confirm"),
    ("post", "/api/v1/me/password"),
    ("post", "/api/v1/me/second-step/totp"),
    ("delete", "/api/v1/me/second-step/totp"),
    ("post", "/api/v1/me/second-step/totp/confirm"),
    ("post", "/api/v1/me/second-step/sms"),
    ("delete", "/api/v1/me/second-step/sms"),
    ("post", "/api/v1/me/second-step/sms/confirm"),
    ("post", "/api/v1/me/second-step/sms/code"),
    ("delete", "/api/v1/me/second-step/{method}"),
    ("post", "/api/v1/me/recovery-codes"),
    ("post", "/api/v1/sessions/second-step"),
    ("post", "/api/v1/email-verification"),
    ("post", "/api/v1/password-reset"),
    ("post", "/api/v1/password-reset/confirm"),
    ("get", "/api/v1/accounts/{account_id}"),
    ("patch", "/api/v1/accounts/{account_id}"),
    ("get", "/api/v1/accounts/{account_id}/tokens"),
    ("post", "/api/v1/accounts/{account_id}/tokens"),
    ("delete", "/api/v1/accounts/{account_id}/tokens/{token_id}"),
    ("get", "/api/v1/accounts/{account_id}/contacts"),
    ("post", "/api/v1/accounts/{account_id}/contacts"),
    ("get", "/api/v1/accounts/{account_id}/contacts/export"),
    ("get", "/api/v1/accounts/{account_id}/contacts/{contact_id}"),
    (
        "patch",
        "/api/v1/accounts/{account_id}/contacts/{contact_id}",
    ),
    (
        "delete",
        "/api/v1/accounts/{account_id}/contacts/{contact_id}",
    ),
    ("get", "/api/v1/accounts/{account_id}/members"),
    ("post", "/api/v1/accounts/{account_id}/members"),
    ("patch", "/api/v1/accounts/{account_id}/members/{user_id}"),
    ("delete", "/api/v1/accounts/{account_id}/members/{user_id}"),
    ("get", "/api/v1/accounts/{account_id}/invitations"),
    ("post", "/api/v1/accounts/{account_id}/invitations"),
    (
        "delete",
        "/api/v1/accounts/{account_id}/invitations/{invitation_id}",
    ),
    ("post", "/api/v1/invitations/{token}/accept"),
    ("post", "/api/v1/accounts/{account_id}/transfer-ownership"),
    ("get", "/api/v1/accounts/{account_id}/audit"),
];

/// Operations anyone may call; every other one must declare the bearer scheme.
const PUBLIC: &[&str] = &[
    "/healthz",
    "/readyz",
    "/api/v1/signup",
    "/api/v1/email-verification",
    "/api/v1/password-reset",
    "/api/v1/password-reset/confirm",
    "/api/v1/sessions/second-step",
];

#[tokio::test]
async fn the_openapi_document_is_3_1_and_lists_every_operation_the_server_answers() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let document: Value = response.json().await.unwrap();
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        document["openapi"]
    );

    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            documented.insert((method.clone(), path.clone()));
            let public =
                PUBLIC.contains(&path.as_str()) || (method == "post" && path == "/api/v1/sessions");
            let security = &operation["security"];
            assert_eq!(
                security.is_array(),
                !public,
                "{method} {path}: security {security}"
            );
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{method} {path} documents no response"
            );
        }
    }
    let expected: BTreeSet<_> = OPERATIONS
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, expected);

    // Each documented operation is routed: without credentials it answers something
    // other than the 404 or 405 of a path or method the server does not know.
    for (method, path) in &expected {
        let url = app.url(
            &path
                .replace("{id}", "x")
                .replace("{account_id}", "x")
                .replace("{token_id}", "x")
                .replace("{contact_id}", "x")
                .replace("{user_id}", "x")
                .replace("{token}", "x"),
        );
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let status = app
            .client
            .request(method.clone(), url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap()
            .status();
        assert!(
            status != 404 && status != 405,
            "{method} {path} is documented but answers {status}"
        );
    }

    // Secrets are marked as such, so generated clients and UIs mask them.
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["SessionRequest"]["properties"]["password"]["format"],
        "password"
    );
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}
