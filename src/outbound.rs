//! Calls Skjold makes to other servers (Vault, alert webhooks, SMS providers): one way
//! to build the HTTP client, to read the secret a peer is called with, and to POST JSON
//! signed with `Skjold-Signature` (see `skjold_crypto::sign_webhook`).

use std::path::Path;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use skjold_crypto::sign_webhook;

/// Makes ring the process's TLS crypto provider, for every HTTP client built from now on
/// (Skjold's own and the log store's): reqwest is built without a bundled provider, since
/// Skjold uses ring only. Called first thing in `main`.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client for calls to `peer`, with a 10 s timeout, over rustls with ring.
pub fn http_client(peer: &str) -> anyhow::Result<reqwest::Client> {
    install_crypto_provider();
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .with_context(|| format!("cannot build the HTTP client for {peer}"))
}

/// The secret in `file` (surrounding whitespace removed), refused if shorter than
/// `min_len`. The message names the file, never its content.
pub fn read_secret_file(file: &Path, what: &str, min_len: usize) -> anyhow::Result<SecretString> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(file)
            .with_context(|| format!("cannot read the {what} file {}", file.display()))?,
    );
    let secret = text.trim();
    anyhow::ensure!(
        secret.len() >= min_len,
        "the {what} in {} is shorter than {min_len} characters; use a long random one",
        file.display()
    );
    Ok(SecretString::from(secret.to_owned()))
}

/// What went wrong calling `peer`, for the log. reqwest's own message names the URL,
/// which may carry a token in its query; it is left out.
pub fn failure(peer: &str, error: reqwest::Error) -> String {
    format!("{peer}: {}", error.without_url())
}

/// POSTs `body` (JSON) to `url` with its `Skjold-Signature` under `secret`; an error
/// unless the peer answers 2xx.
pub async fn post_signed_json(
    client: &reqwest::Client,
    url: &str,
    secret: &SecretString,
    body: String,
    peer: &str,
) -> Result<(), String> {
    let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let signature = sign_webhook(
        secret.expose_secret().as_bytes(),
        timestamp,
        body.as_bytes(),
    );
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("skjold-signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|e| failure(peer, e))?;
    match response.status() {
        status if status.is_success() => Ok(()),
        status => Err(format!("{peer} answered {status}")),
    }
}
