//! Where security alerts go (C14): a webhook that receives each alert as JSON signed with
//! HMAC-SHA256 (`Skjold-Signature: t=<unix seconds>,v1=<hex>`, see
//! `skjold_crypto::sign_webhook`), and/or the operator's mailbox. Delivery failures are
//! logged by the caller; the log has every alert in any case.

use std::sync::Arc;

use secrecy::SecretString;
use skjold_app::{AlertSink, Mailer, SecurityAlert};
use skjold_domain::EmailAddress;
use time::format_description::well_known::Rfc3339;

use crate::config::AlertConfig;
use crate::outbound::{http_client, post_signed_json, read_secret_file};

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

impl Alerts {
    pub fn new(config: &AlertConfig, mailer: Arc<dyn Mailer>) -> anyhow::Result<Alerts> {
        let webhook = match &config.webhook {
            Some((url, secret_file)) => Some(Webhook {
                client: http_client("alert webhooks")?,
                url: url.clone(),
                secret: read_secret_file(secret_file, "alert webhook secret", 16)?,
            }),
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
            post_signed_json(&hook.client, &hook.url, &hook.secret, body, "alert webhook").await?;
        }
        if let Some((to, mailer)) = &self.operator {
            let subject = format!("Skjold security alert: {}", alert.event);
            let body = format!("{at}: {}\n\nEvent: {}", alert.summary, alert.event);
            mailer.send(to.as_str(), &subject, &body).await?;
        }
        Ok(())
    }
}
