//! Mail senders for the `app` layer's `Mailer` port.

use std::io::Write;

use anyhow::Context;
use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use skjold_app::Mailer;

use crate::config::MailConfig;
use crate::settings::SmtpTls;

/// The sender `config` asks for.
pub fn from_config(config: &MailConfig) -> anyhow::Result<Box<dyn Mailer>> {
    Ok(match config {
        MailConfig::Console => Box::new(ConsoleMailer),
        MailConfig::Smtp {
            host,
            port,
            tls,
            username,
            password_file,
            from,
        } => {
            let mut builder = match tls {
                SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
                SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
                // Checked in config.rs: only to a loopback relay.
                SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            }
            .port(*port)
            .timeout(Some(std::time::Duration::from_secs(20)));
            if let Some(user) = username {
                let password = match password_file {
                    Some(file) => std::fs::read_to_string(file)
                        .with_context(|| {
                            format!("cannot read the SMTP password file {}", file.display())
                        })?
                        .trim_end_matches(['\n', '\r'])
                        .to_owned(),
                    None => String::new(),
                };
                builder = builder.credentials(Credentials::new(user.clone(), password));
            }
            let from: Mailbox = from
                .parse()
                .with_context(|| format!("mail_from {from:?} is not an e-mail address"))?;
            Box::new(SmtpMailer {
                transport: builder.build(),
                from,
            })
        }
    })
}

/// Sends through an SMTP server, over TLS unless the server is this machine.
struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let to: Mailbox = to
            .parse()
            .map_err(|_| "the recipient is not an e-mail address".to_owned())?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body.to_owned())
            .map_err(|e| e.to_string())?;
        // The SMTP error names the server's answer, never the message.
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

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
