//! Mail senders for the `app` layer's `Mailer` port.

use std::io::Write;

use async_trait::async_trait;
use skjold_app::Mailer;

/// Development only: prints each mail to standard output instead of sending it. Mails
/// carry personal data and links that act as credentials, so this is refused in
/// production.
#[derive(Debug)]
pub struct ConsoleMailer;

#[async_trait]
impl Mailer for ConsoleMailer {
    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "skjold: mail to {to}: {subject}\n    {body}").map_err(|e| e.to_string())
    }
}
