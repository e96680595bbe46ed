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

use secrecy::{ExposeSecret, SecretString};
use skjold_app::SmsSender;

use crate::config::SmsConfig;
use crate::outbound::{failure, http_client, post_signed_json, read_secret_file};

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
            client: http_client("the SMS provider")?,
            url: format!(
                "{}/2010-04-01/Accounts/{account_sid}/Messages.json",
                api_url.trim_end_matches('/')
            ),
            account_sid: account_sid.clone(),
            auth_token: read_secret_file(auth_token_file, "Twilio auth token", 0)?,
            from: from.clone(),
        })),
        SmsConfig::Webhook { url, secret_file } => Some(Box::new(WebhookSms {
            client: http_client("the SMS provider")?,
            url: url.clone(),
            secret: read_secret_file(secret_file, "SMS webhook secret", 0)?,
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
            .map_err(|e| failure("Twilio", e))?;
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
        post_signed_json(&self.client, &self.url, &self.secret, body, "SMS webhook").await
    }
}
