//! Text-message providers (C13), chosen by `sms_provider`:
//! - `twilio`: Twilio's Messages API (or a compatible one at `twilio_api_url`): a form
//!   POST to `/2010-04-01/Accounts/{sid}/Messages.json` with HTTP Basic auth;
//! - `webhook`: a company's own gateway, or a Nordic provider behind one: a JSON POST
//!   `{"to", "text"}` signed like the alert webhooks (`Skjold-Signature`);
//! - `console`: prints the message to the terminal, for development; refused in
//!   production.
//!
//! Errors say what failed for the log; the user only hears that sending failed.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use skjold_app::SmsSender;
use skjold_crypto::sign_webhook;

use crate::config::SmsConfig;

fn http_client() -> anyhow::Result<reqwest::Client> {
    // reqwest is built without a bundled crypto provider: Skjold uses ring only.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .context("cannot build the HTTP client for text messages")
}

fn read_secret(file: &Path, what: &str) -> anyhow::Result<SecretString> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(file)
            .with_context(|| format!("cannot read the {what} file {}", file.display()))?,
    );
    Ok(SecretString::from(text.trim().to_owned()))
}

/// The sender `config` names, or `None` where text messages are off.
pub fn from_config(config: &SmsConfig) -> anyhow::Result<Option<Box<dyn SmsSender>>> {
    Ok(match config {
        SmsConfig::Off => None,
        SmsConfig::Console => Some(Box::new(ConsoleSms)),
        SmsConfig::Twilio {
            api_url,
            account_sid,
            auth_token_file,
            from,
        } => Some(Box::new(TwilioSms {
            client: http_client()?,
            url: format!(
                "{}/2010-04-01/Accounts/{account_sid}/Messages.json",
                api_url.trim_end_matches('/')
            ),
            account_sid: account_sid.clone(),
            auth_token: read_secret(auth_token_file, "Twilio auth token")?,
            from: from.clone(),
        })),
        SmsConfig::Webhook { url, secret_file } => Some(Box::new(WebhookSms {
            client: http_client()?,
            url: url.clone(),
            secret: read_secret(secret_file, "SMS webhook secret")?,
        })),
    })
}

struct ConsoleSms;

#[async_trait::async_trait]
impl SmsSender for ConsoleSms {
    async fn send(&self, to: &str, text: &str) -> Result<(), String> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "skjold: text message to {to}: {text}").map_err(|e| e.to_string())
    }
}

struct TwilioSms {
    client: reqwest::Client,
    url: String,
    account_sid: String,
    auth_token: SecretString,
    from: String,
}

#[async_trait::async_trait]
impl SmsSender for TwilioSms {
    async fn send(&self, to: &str, text: &str) -> Result<(), String> {
        let response = self
            .client
            .post(&self.url)
            .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
            .form(&[("To", to), ("From", self.from.as_str()), ("Body", text)])
            .send()
            .await
            .map_err(|e| format!("Twilio: {e}"))?;
        match response.status() {
            status if status.is_success() => Ok(()),
            status => Err(format!("Twilio answered {status}")),
        }
    }
}

struct WebhookSms {
    client: reqwest::Client,
    url: String,
    secret: SecretString,
}

#[async_trait::async_trait]
impl SmsSender for WebhookSms {
    async fn send(&self, to: &str, text: &str) -> Result<(), String> {
        let body = serde_json::json!({"to": to, "text": text}).to_string();
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let signature = sign_webhook(
            self.secret.expose_secret().as_bytes(),
            timestamp,
            body.as_bytes(),
        );
        let response = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("skjold-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| format!("SMS webhook: {e}"))?;
        match response.status() {
            status if status.is_success() => Ok(()),
            status => Err(format!("SMS webhook answered {status}")),
        }
    }
}
