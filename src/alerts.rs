//! Where security alerts go (C14): a webhook that receives each alert as JSON signed with
//! HMAC-SHA256 (`Skjold-Signature: t=<unix seconds>,v1=<hex>`, see
//! `skjold_crypto::sign_webhook`), and/or the operator's mailbox. Delivery failures are
//! logged by the caller; the log has every alert in any case.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use skjold_app::{AlertSink, Mailer, SecurityAlert};
use skjold_crypto::sign_webhook;
use skjold_domain::EmailAddress;
use time::format_description::well_known::Rfc3339;

use crate::config::AlertConfig;

/// A receiver of signed alert webhooks.
struct Webhook {
    client: reqwest::Client,
    url: String,
    secret: SecretString,
}

/// The alert destinations of one instance.
pub struct Alerts {
    webhook: Option<Webhook>,
    operator: Option<(EmailAddress, Arc<dyn Mailer>)>,
}

/// The secret and the mailer stay out of any `Debug` print.
impl std::fmt::Debug for Alerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alerts")
            .field("webhook", &self.webhook.as_ref().map(|w| &w.url))
            .field("operator", &self.operator.as_ref().map(|(to, _)| to))
            .finish()
    }
}

fn read_secret(file: &Path) -> anyhow::Result<SecretString> {
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(file).with_context(|| {
        format!(
            "cannot read the alert webhook secret file {}",
            file.display()
        )
    })?);
    let secret = text.trim();
    anyhow::ensure!(
        secret.len() >= 16,
        "the alert webhook secret in {} is shorter than 16 characters; use a long random one",
        file.display()
    );
    Ok(SecretString::from(secret.to_owned()))
}

impl Alerts {
    pub fn new(config: &AlertConfig, mailer: Arc<dyn Mailer>) -> anyhow::Result<Alerts> {
        let webhook = match &config.webhook {
            Some((url, secret_file)) => {
                // reqwest is built without a bundled crypto provider: Skjold uses ring only.
                let _ = rustls::crypto::ring::default_provider().install_default();
                Some(Webhook {
                    client: reqwest::Client::builder()
                        .timeout(std::time::Duration::from_secs(10))
                        .build()
                        .context("cannot build the HTTP client for alert webhooks")?,
                    url: url.clone(),
                    secret: read_secret(secret_file)?,
                })
            }
            None => None,
        };
        Ok(Alerts {
            webhook,
            operator: config.operator_email.clone().map(|to| (to, mailer)),
        })
    }
}

#[async_trait::async_trait]
impl AlertSink for Alerts {
    async fn send(&self, alert: &SecurityAlert) -> Result<(), String> {
        let at = alert.at.format(&Rfc3339).map_err(|e| e.to_string())?;
        if let Some(hook) = &self.webhook {
            let body = serde_json::json!({
                "event": alert.event,
                "at": at,
                "summary": alert.summary,
            })
            .to_string();
            let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
            let signature = sign_webhook(
                hook.secret.expose_secret().as_bytes(),
                timestamp,
                body.as_bytes(),
            );
            let response = hook
                .client
                .post(&hook.url)
                .header("content-type", "application/json")
                .header("skjold-signature", signature)
                .body(body)
                .send()
                .await
                .map_err(|e| format!("alert webhook: {e}"))?;
            if !response.status().is_success() {
                return Err(format!("alert webhook answered {}", response.status()));
            }
        }
        if let Some((to, mailer)) = &self.operator {
            let subject = format!("Skjold security alert: {}", alert.event);
            let body = format!("{at}: {}\n\nEvent: {}", alert.summary, alert.event);
            mailer.send(to.as_str(), &subject, &body).await?;
        }
        Ok(())
    }
}
