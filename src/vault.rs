//! Master keys held by HashiCorp Vault's transit engine (C2, C17): account data keys are
//! wrapped and unwrapped by Vault, and the key that wraps them never leaves it. Speaks
//! the transit API (`POST /v1/transit/encrypt/:name`, `/decrypt/:name`) with the
//! account and data key version as associated data, so a wrapped key moved to another
//! account or version does not unwrap.

use std::path::Path;

use crate::outbound::{http_client, read_secret_file};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use skjold_app::MasterKeys;
use skjold_crypto::{DataKey, DataKeyError};
use time::OffsetDateTime;

/// A transit key in a Vault server.
pub struct VaultTransit {
    client: reqwest::Client,
    /// `<addr>/v1/transit`.
    base: String,
    key: String,
    token: SecretString,
}

/// The token stays out of any `Debug` print.
impl std::fmt::Debug for VaultTransit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultTransit")
            .field("base", &self.base)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl VaultTransit {
    pub fn new(addr: &str, key: &str, token_file: &Path) -> anyhow::Result<VaultTransit> {
        Ok(VaultTransit {
            client: http_client("Vault")?,
            base: format!("{}/v1/transit", addr.trim_end_matches('/')),
            key: key.to_owned(),
            token: read_secret_file(token_file, "Vault token", 0)?,
        })
    }

    /// What a wrapped key is bound to.
    fn associated_data(account: &str, version: u32) -> String {
        BASE64.encode(format!("data-key\0{account}\0{version}"))
    }

    /// One transit call; any failure is logged (never the token) and reported as a
    /// data key failure.
    async fn call(&self, operation: &str, body: Value) -> Result<Value, DataKeyError> {
        let url = format!("{}/{operation}/{}", self.base, self.key);
        let response = self
            .client
            .post(&url)
            .header("X-Vault-Token", self.token.expose_secret())
            .json(&body)
            .send()
            .await
            .map_err(|error| {
                tracing::error!(%error, operation, "Vault cannot be reached");
                DataKeyError
            })?;
        let status = response.status();
        if !status.is_success() {
            tracing::error!(%status, operation, "Vault refused a transit request");
            return Err(DataKeyError);
        }
        let answer: Value = response.json().await.map_err(|_| DataKeyError)?;
        Ok(answer["data"].clone())
    }
}

#[async_trait::async_trait]
impl MasterKeys for VaultTransit {
    fn current_id(&self) -> String {
        format!("vault:{}", self.key)
    }

    /// Vault versions and rotates its transit key itself, under its own policy: for
    /// Skjold's maximum key age it is always fresh.
    fn current_key(&self) -> (String, OffsetDateTime) {
        (self.current_id(), OffsetDateTime::now_utc())
    }

    async fn wrap(&self, key: &DataKey, account: &str) -> Result<(String, Vec<u8>), DataKeyError> {
        let body = json!({
            "plaintext": BASE64.encode(key.material()),
            "associated_data": Self::associated_data(account, key.version()),
        });
        let data = self.call("encrypt", body).await?;
        let ciphertext = data["ciphertext"].as_str().ok_or(DataKeyError)?;
        Ok((self.current_id(), ciphertext.as_bytes().to_vec()))
    }

    async fn unwrap(
        &self,
        master_key_id: &str,
        wrapped: &[u8],
        account: &str,
        version: u32,
    ) -> Result<DataKey, DataKeyError> {
        if master_key_id != self.current_id() {
            tracing::error!(
                master_key_id,
                "a data key is wrapped by another key than Vault's"
            );
            return Err(DataKeyError);
        }
        let ciphertext = std::str::from_utf8(wrapped).map_err(|_| DataKeyError)?;
        let body = json!({
            "ciphertext": ciphertext,
            "associated_data": Self::associated_data(account, version),
        });
        let data = self.call("decrypt", body).await?;
        let plaintext = zeroize::Zeroizing::new(
            BASE64
                .decode(data["plaintext"].as_str().ok_or(DataKeyError)?)
                .map_err(|_| DataKeyError)?,
        );
        let material: [u8; 32] = plaintext.as_slice().try_into().map_err(|_| DataKeyError)?;
        Ok(DataKey::from_material(version, material))
    }
}
