//! Account data keys wrapped by HashiCorp Vault's transit engine (C2, C17). A local HTTP
//! server plays Vault, speaking the transit API; it checks the token and binds each
//! wrapped key to the associated data it was wrapped with, as Vault's AEAD keys do.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use crate::helpers::{Backend, Launch, TestApp};

const TOKEN: &str = "hvs.test-token-that-must-never-be-logged";
const PASSWORD: &str = "korrekt hest batteri stift";

/// What the peer received: operation, key name and body.
type Seen = Arc<Mutex<Vec<(String, String, Value)>>>;

async fn transit(
    State(seen): State<Seen>,
    Path((operation, key)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    seen.lock()
        .unwrap()
        .push((operation.clone(), key, body.clone()));
    if headers.get("x-vault-token").and_then(|t| t.to_str().ok()) != Some(TOKEN) {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({"errors": ["permission denied"]})),
        );
    }
    let ad = body["associated_data"].as_str().unwrap_or_default();
    match operation.as_str() {
        "encrypt" => {
            let envelope = json!({"ad": ad, "p": body["plaintext"]}).to_string();
            let ciphertext = format!("vault:v1:{}", BASE64.encode(envelope));
            (
                StatusCode::OK,
                Json(json!({"data": {"ciphertext": ciphertext, "key_version": 1}})),
            )
        }
        "decrypt" => {
            let text = body["ciphertext"].as_str().unwrap_or_default();
            let envelope: Value = text
                .strip_prefix("vault:v1:")
                .and_then(|b| BASE64.decode(b).ok())
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or(Value::Null);
            if envelope["ad"] != ad {
                let refusal = json!({"errors": ["cipher: message authentication failed"]});
                return (StatusCode::BAD_REQUEST, Json(refusal));
            }
            (
                StatusCode::OK,
                Json(json!({"data": {"plaintext": envelope["p"]}})),
            )
        }
        _ => (StatusCode::NOT_FOUND, Json(json!({"errors": []}))),
    }
}

async fn vault() -> (SocketAddr, Seen) {
    let seen = Seen::default();
    let app = axum::Router::new()
        .route("/v1/transit/{operation}/{key}", post(transit))
        .with_state(Arc::clone(&seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, seen)
}

async fn start(addr: SocketAddr, token: &str) -> Option<TestApp> {
    let mut launch = Launch::new(Backend::Sqlite).await?;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("vault-token"), token).unwrap();
    launch.dir = Some(Arc::new(dir));
    let launch = launch
        .arg("--kms")
        .arg("vault")
        .arg("--vault-addr")
        .arg(format!("http://{addr}"))
        .arg("--vault-token-file")
        .arg("vault-token");
    Some(launch.start().await)
}

async fn owner_with_contact(app: &TestApp, email: &str) -> (String, String, String) {
    app.sign_up(email, PASSWORD).await;
    let token = app.sign_in(email, PASSWORD).await.unwrap();
    let me = app.get_json("/api/v1/me", &token).await.1;
    let account = me["memberships"][0]["account_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/accounts/{account}/contacts");
    let (status, contact) = app
        .post_json(&path, json!({"name": "Ola Nordmann"}), Some(&token))
        .await;
    assert_eq!(status, 201, "{contact}");
    (
        token,
        account,
        format!("{path}/{}", contact["id"].as_str().unwrap()),
    )
}

#[tokio::test]
async fn c17_vault_transit_wraps_the_data_keys_bound_to_their_account() {
    let (addr, seen) = vault().await;
    let Some(app) = start(addr, TOKEN).await else {
        return;
    };
    let (token, a, ola) = owner_with_contact(&app, "owner@a.example").await;

    let (operation, key, body) = seen.lock().unwrap()[0].clone();
    assert_eq!((operation.as_str(), key.as_str()), ("encrypt", "skjold"));
    let ad = BASE64
        .decode(body["associated_data"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        ad,
        format!("data-key\0{a}\01").into_bytes(),
        "bound to the account and version"
    );
    assert_eq!(
        app.db_text("SELECT master_key_id FROM account_keys").await,
        "vault:skjold"
    );
    let wrapped: Vec<u8> = app.db_value("SELECT wrapped FROM account_keys").await;
    assert!(
        wrapped.starts_with(b"vault:v1:"),
        "Vault's ciphertext is stored"
    );

    let (status, contact) = app.get_json(&ola, &token).await;
    assert_eq!(
        (status, contact["name"].as_str()),
        (200, Some("Ola Nordmann"))
    );
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|(op, _, _)| op == "decrypt")
    );

    // Another account's wrapped key copied here does not unwrap: Vault refuses it.
    let (b_token, b, b_contact) = owner_with_contact(&app, "owner@b.example").await;
    let copy = format!(
        "UPDATE account_keys SET wrapped = (SELECT wrapped FROM account_keys WHERE account_id = $1) WHERE account_id = '{b}'"
    );
    app.db_execute(&copy, &a).await;
    assert_eq!(app.get_json(&b_contact, &b_token).await.0, 500);
    assert!(!app.output().contains(TOKEN), "the token is never logged");
}

#[tokio::test]
async fn c2_a_wrong_vault_token_fails_closed_without_showing_it() {
    let (addr, _seen) = vault().await;
    let Some(app) = start(addr, "hvs.a-wrong-token-nobody-should-see").await else {
        return;
    };
    app.sign_up("owner@a.example", PASSWORD).await;
    let token = app.sign_in("owner@a.example", PASSWORD).await.unwrap();
    let me = app.get_json("/api/v1/me", &token).await.1;
    let account = me["memberships"][0]["account_id"].as_str().unwrap();
    let path = format!("/api/v1/accounts/{account}/contacts");
    let (status, problem) = app
        .post_json(&path, json!({"name": "Ola"}), Some(&token))
        .await;
    assert_eq!(status, 500, "no data key, no contact: {problem}");
    assert_eq!(
        app.db_text("SELECT CAST(COUNT(*) AS TEXT) FROM contacts")
            .await,
        "0"
    );
    let output = app.wait_for_output("Vault refused a transit request").await;
    assert!(!output.contains("a-wrong-token"), "{output}");
}
