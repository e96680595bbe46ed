//! The resolved configuration of `skjold serve`: defaults applied, combinations checked.
//! Every refusal says what to change.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use ipnet::IpNet;
use skjold_app::SessionSettings;
use skjold_crypto::{HashParams, PasswordHashing};
use skjold_domain::{Environment, PasswordPolicy};
use skjold_ops::backup_retention::{BackupPolicy, CEILING_DAYS, FLOOR_DAYS};

use crate::log_vault::LogVaultConfig;

use crate::settings::{KmsKind, LogFormat, MailerKind, Settings, SmsProviderKind, SmtpTls};
use crate::stores::{StoreConfig, StoreLocation};

/// Where the database lives.
#[derive(Debug, Clone)]
pub enum DatabaseConfig {
    /// The embedded SQLCipher file inside the data directory.
    Embedded,
    Postgres {
        url: String,
        password_file: Option<PathBuf>,
    },
}

#[derive(Debug, Clone)]
pub struct TlsFilesConfig {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub data_dir: PathBuf,
    pub key_dir: PathBuf,
    pub environment: Environment,
    pub listen: SocketAddr,
    pub redirect_listen: SocketAddr,
    /// Plain HTTP, always a loopback address.
    pub metrics_listen: SocketAddr,
    pub database: DatabaseConfig,
    /// `None`: the generated development certificate.
    pub tls: Option<TlsFilesConfig>,
    pub tls_reload: Duration,
    pub trusted_proxies: Vec<IpNet>,
    pub log_format: LogFormat,
    pub log: String,
    pub shutdown_grace: Duration,
    pub sessions: SessionSettings,
    pub password_policy: PasswordPolicy,
    pub hash_params: HashParams,
    pub hash_concurrency: usize,
    /// Past this age the current master key is overdue for rotation.
    pub max_key_age: time::Duration,
    /// `Some` only in the test and development environments.
    pub test_clock_file: Option<PathBuf>,
    pub mail: MailConfig,
    pub kms: KmsConfig,
    /// Where users reach the site, without a trailing slash: the base of links in mails.
    /// `None`: `https://localhost:<the bound HTTPS port>`.
    pub public_url: Option<String>,
    /// security.txt's `Contact:`.
    pub security_contact: String,
    pub alerts: AlertConfig,
    pub sms: SmsConfig,
    pub logs: LogVaultConfig,
    pub audit_retention: time::Duration,
    pub backups: BackupConfig,
}

/// Where backups go and who can read them (C9).
#[derive(Debug, Clone)]
pub struct BackupConfig {
    pub store: StoreConfig,
    /// `None`: the development identity's recipient (refused in production).
    pub recipients: Option<Vec<String>>,
    pub policy: BackupPolicy,
    /// The hour (UTC) of the daily backup.
    pub hour: u8,
}

/// Where backups go when no backup_store is given.
pub const DEFAULT_BACKUP_STORE: &str = "skjold-backups";

/// Where the master keys that wrap account data keys live.
#[derive(Debug, Clone)]
pub enum KmsConfig {
    /// The keyring files in the key directory.
    Keyring,
    /// HashiCorp Vault's transit engine.
    Vault {
        addr: String,
        key: String,
        token_file: PathBuf,
    },
}

/// How codes are sent by text message.
#[derive(Debug, Clone)]
pub enum SmsConfig {
    /// Not offered.
    Off,
    Console,
    Twilio {
        api_url: String,
        account_sid: String,
        auth_token_file: PathBuf,
        from: String,
    },
    Webhook {
        url: String,
        secret_file: PathBuf,
    },
}

/// Where security alerts go besides the log.
#[derive(Debug, Clone, Default)]
pub struct AlertConfig {
    /// The webhook's URL and the file of the secret that signs it.
    pub webhook: Option<(String, PathBuf)>,
    pub operator_email: Option<skjold_domain::EmailAddress>,
}

/// How mail is delivered.
#[derive(Debug, Clone)]
pub enum MailConfig {
    Console,
    Smtp {
        host: String,
        port: u16,
        tls: SmtpTls,
        username: Option<String>,
        password_file: Option<PathBuf>,
        from: String,
    },
}

pub const DEFAULT_DATA_DIR: &str = "skjold-data";
pub const DEFAULT_KEY_DIR: &str = "skjold-keys";
/// sqlx reports every PostgreSQL notice at info ("relation already exists, skipping"),
/// which is noise to an operator.
pub const DEFAULT_LOG: &str = "info,sqlx=warn";

impl ServeConfig {
    pub fn resolve(s: Settings) -> anyhow::Result<ServeConfig> {
        let environment = s.environment.unwrap_or_default();
        let mail = mail_config(&s, environment)?;
        let kms = kms_config(&s)?;
        let alerts = alert_config(&s)?;
        let data_dir = s
            .data_dir
            .clone()
            .unwrap_or_else(|| DEFAULT_DATA_DIR.into());
        let logs = LogVaultConfig::resolve(&s, environment, &data_dir)?;
        let backup_store = StoreConfig::resolve(
            StoreLocation::of_backups(&s),
            DEFAULT_BACKUP_STORE.into(),
            "backup_store",
        )?;
        let sms = sms_config(&s, environment)?;
        let listen = s.listen.unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8443)));
        let redirect_listen = s
            .redirect_listen
            .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080)));
        let metrics_listen = s
            .metrics_listen
            .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 9464)));
        if !metrics_listen.ip().is_loopback() {
            bail!(
                "metrics_listen is {metrics_listen}, but metrics are served without TLS or \
                 authentication and so only on a loopback address; use 127.0.0.1:<port> and \
                 scrape from the same host"
            );
        }

        let database = match s.database_url {
            None => {
                if s.database_password_file.is_some() {
                    bail!(
                        "database_password_file is set but database_url is not; set both or neither"
                    );
                }
                DatabaseConfig::Embedded
            }
            Some(url) => DatabaseConfig::Postgres {
                url: refuse_password_in_url(url)?,
                password_file: s.database_password_file,
            },
        };

        let tls = match (s.tls_cert_file, s.tls_key_file) {
            (Some(cert), Some(key)) => Some(TlsFilesConfig { cert, key }),
            (None, None) => None,
            _ => bail!("tls_cert_file and tls_key_file go together: set both or neither"),
        };

        for (name, addr) in [("listen", listen), ("redirect_listen", redirect_listen)] {
            let public = !addr.ip().is_loopback();
            if public && !environment.may_listen_publicly() {
                bail!(
                    "the development environment listens on loopback addresses only, but \
                     {name} is {addr}; use 127.0.0.1, or set --environment to the environment \
                     this instance really belongs to"
                );
            }
            if public && tls.is_none() && s.allow_dev_certificate_publicly != Some(true) {
                bail!(
                    "{name} is the non-loopback address {addr}, but no certificate is \
                     configured and the development certificate is not fit for a public \
                     address; set tls_cert_file and tls_key_file (or, knowingly, \
                     --allow-dev-certificate-publicly)"
                );
            }
        }

        let sessions = SessionSettings {
            idle: time::Duration::minutes(i64::from(s.session_idle_minutes.unwrap_or(30).max(1))),
            absolute: time::Duration::hours(i64::from(
                s.session_lifetime_hours.unwrap_or(12).max(1),
            )),
        };
        let password_policy = match s.password_min_length {
            Some(n) => PasswordPolicy::with_min_length(n)?,
            None => PasswordPolicy::default(),
        };
        let minimum = HashParams::OWASP_MINIMUM;
        let hash_params = HashParams {
            memory_kib: s.argon2_memory_kib.unwrap_or(minimum.memory_kib),
            iterations: s.argon2_iterations.unwrap_or(minimum.iterations),
            parallelism: s.argon2_parallelism.unwrap_or(minimum.parallelism),
        };
        // Checked here so a weak setting stops start-up with the rule, not later.
        PasswordHashing::new(hash_params)?;
        if s.test_clock_file.is_some()
            && !matches!(environment, Environment::Test | Environment::Development)
        {
            bail!(
                "test_clock_file moves the clock and is refused in the {environment} environment"
            );
        }
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let public_url = s.public_url.map(|url| url.trim_end_matches('/').to_owned());
        if let Some(url) = public_url.as_ref().filter(|u| !u.starts_with("https://")) {
            bail!("public_url must be an https:// address, not {url}");
        }

        Ok(ServeConfig {
            data_dir,
            key_dir: s.key_dir.unwrap_or_else(|| DEFAULT_KEY_DIR.into()),
            environment,
            listen,
            redirect_listen,
            metrics_listen,
            database,
            tls,
            tls_reload: Duration::from_secs(s.tls_reload_seconds.unwrap_or(30).max(1)),
            trusted_proxies: s.trusted_proxies.unwrap_or_default(),
            log_format: s.log_format.unwrap_or_default(),
            log: s.log.unwrap_or_else(|| DEFAULT_LOG.to_owned()),
            shutdown_grace: Duration::from_secs(s.shutdown_grace_seconds.unwrap_or(30)),
            sessions,
            password_policy,
            hash_params,
            hash_concurrency: s.hash_concurrency.unwrap_or(cores).max(1),
            max_key_age: max_key_age(s.max_key_age_days)?,
            kms,
            test_clock_file: s.test_clock_file,
            mail,
            security_contact: security_contact(s.security_contact, public_url.as_deref())?,
            public_url,
            alerts,
            sms,
            logs,
            audit_retention: audit_retention(s.audit_retention_days)?,
            backups: BackupConfig {
                store: backup_store,
                recipients: match s.backup_recipients.filter(|r| !r.is_empty()) {
                    Some(list) => {
                        skjold_ops::identity::recipients_from(&list)?;
                        Some(list)
                    }
                    None => None,
                },
                policy: BackupPolicy::new(
                    s.backup_min_days.unwrap_or(FLOOR_DAYS),
                    s.backup_max_days.unwrap_or(CEILING_DAYS),
                    s.backup_thin_days.unwrap_or(7),
                )
                .map_err(|e| anyhow::anyhow!(e))?,
                hour: match s.backup_hour.unwrap_or(2) {
                    hour @ 0..=23 => hour,
                    hour => bail!("backup_hour is {hour}: an hour of the day is 0 to 23 (UTC)"),
                },
            },
        })
    }
}

/// `given`, if it is a mailto: or https: URI; else security@ the public host.
fn security_contact(given: Option<String>, public_url: Option<&str>) -> anyhow::Result<String> {
    if let Some(uri) = given {
        let usable = (uri.starts_with("mailto:") || uri.starts_with("https://"))
            && !uri.contains(char::is_whitespace);
        if !usable {
            bail!("security_contact must be a mailto: or https: URI, not {uri}");
        }
        return Ok(uri);
    }
    let host = public_url
        .and_then(|url| url.strip_prefix("https://"))
        .and_then(|rest| rest.split(['/', ':']).next())
        .filter(|host| !host.is_empty())
        .unwrap_or("localhost");
    Ok(format!("mailto:security@{host}"))
}

/// How long audit events are kept: a year unless configured, 30 days to 10 years.
fn audit_retention(days: Option<u32>) -> anyhow::Result<time::Duration> {
    let days = days.unwrap_or(365);
    if !(30..=3650).contains(&days) {
        bail!("audit_retention_days is {days}, but audit events are kept 30 to 3650 days");
    }
    Ok(time::Duration::days(i64::from(days)))
}

/// Console mail in development and test unless SMTP is chosen; SMTP required in
/// production. Unencrypted SMTP only to this machine (ASVS 12.3.1).
fn mail_config(s: &Settings, environment: Environment) -> anyhow::Result<MailConfig> {
    let default = if environment == Environment::Production {
        MailerKind::Smtp
    } else {
        MailerKind::Console
    };
    match s.mailer.unwrap_or(default) {
        MailerKind::Console if environment == Environment::Production => bail!(
            "the console mailer prints mails, with their personal data and sign-in links, to the \
             terminal and is refused in production; set mailer = \"smtp\" and smtp_host"
        ),
        MailerKind::Console => Ok(MailConfig::Console),
        MailerKind::Smtp => {
            let Some(host) = s.smtp_host.clone() else {
                bail!("mailer is smtp but smtp_host is not set");
            };
            let tls = s.smtp_tls.unwrap_or_default();
            let loopback = host == "localhost"
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if tls == SmtpTls::None && !loopback {
                bail!(
                    "smtp_tls = none would send mail unencrypted to {host}; it is allowed only to a \
                     loopback address (a local relay). Use tls or starttls"
                );
            }
            let port = s.smtp_port.unwrap_or(match tls {
                SmtpTls::Tls => 465,
                SmtpTls::Starttls => 587,
                SmtpTls::None => 25,
            });
            Ok(MailConfig::Smtp {
                host,
                port,
                tls,
                username: s.smtp_username.clone(),
                password_file: s.smtp_password_file.clone(),
                from: s
                    .mail_from
                    .clone()
                    .unwrap_or_else(|| "skjold@localhost".to_owned()),
            })
        }
    }
}

/// Configuration is not a place for secrets (13.3.1): a password in the URL would end up
/// in files, process listings and shell histories. It belongs in a password file.
fn refuse_password_in_url(url: String) -> anyhow::Result<String> {
    let userinfo = url
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?']).next().unwrap_or(""))
        .and_then(|authority| authority.rsplit_once('@'))
        .map(|(userinfo, _)| userinfo);
    let has_password = userinfo.is_some_and(|u| u.contains(':')) || url.contains("password=");
    if has_password {
        bail!(
            "database_url contains a password; remove it from the URL and put it in a file \
             named by database_password_file (mode 0600)"
        );
    }
    Ok(url)
}

/// The KMS settings, checked: Vault needs an address and a token file, and speaks TLS
/// unless it is on this host.
fn kms_config(s: &Settings) -> anyhow::Result<KmsConfig> {
    match s.kms.unwrap_or(KmsKind::Keyring) {
        KmsKind::Keyring => {
            if s.vault_addr.is_some() || s.vault_token_file.is_some() {
                bail!("vault_addr and vault_token_file need kms = vault; set it, or remove them");
            }
            Ok(KmsConfig::Keyring)
        }
        KmsKind::Vault => {
            let (Some(addr), Some(token_file)) = (&s.vault_addr, &s.vault_token_file) else {
                bail!("kms = vault needs vault_addr and vault_token_file");
            };
            https_or_loopback("vault_addr", addr)?;
            Ok(KmsConfig::Vault {
                addr: addr.clone(),
                key: s
                    .vault_transit_key
                    .clone()
                    .unwrap_or_else(|| "skjold".to_owned()),
                token_file: token_file.clone(),
            })
        }
    }
}

/// Refuses a URL that would carry secrets unencrypted: `https://`, or plain `http://`
/// only to this host.
fn https_or_loopback(setting: &str, url: &str) -> anyhow::Result<()> {
    let loopback = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"]
        .iter()
        .any(|prefix| url.starts_with(prefix));
    if !url.starts_with("https://") && !loopback {
        bail!("{setting} is {url}: use https:// (plain http only to a loopback address)");
    }
    Ok(())
}

/// The alert settings, checked: a webhook needs its secret, and TLS unless on this host.
fn alert_config(s: &Settings) -> anyhow::Result<AlertConfig> {
    let webhook = match (&s.alert_webhook_url, &s.alert_webhook_secret_file) {
        (Some(url), Some(secret)) => {
            https_or_loopback("alert_webhook_url", url)?;
            Some((url.clone(), secret.clone()))
        }
        (None, None) => None,
        _ => bail!("alert_webhook_url and alert_webhook_secret_file go together; set both"),
    };
    let operator_email = s
        .operator_email
        .as_deref()
        .map(skjold_domain::EmailAddress::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("operator_email: {e}"))?;
    Ok(AlertConfig {
        webhook,
        operator_email,
    })
}

/// The SMS settings, checked: each provider needs its settings, speaks TLS unless on
/// this host, and the console is refused in production.
fn sms_config(s: &Settings, environment: Environment) -> anyhow::Result<SmsConfig> {
    let default = match environment {
        Environment::Development | Environment::Test => Some(SmsProviderKind::Console),
        Environment::Staging | Environment::Production => None,
    };
    match s.sms_provider.or(default) {
        None => Ok(SmsConfig::Off),
        Some(SmsProviderKind::Console) if environment == Environment::Production => bail!(
            "the console SMS provider prints sign-in codes to the terminal and is refused in \
             production; set sms_provider = \"twilio\" or \"webhook\""
        ),
        Some(SmsProviderKind::Console) => Ok(SmsConfig::Console),
        Some(SmsProviderKind::Twilio) => {
            let (Some(sid), Some(token), Some(from)) = (
                &s.twilio_account_sid,
                &s.twilio_auth_token_file,
                &s.twilio_from,
            ) else {
                bail!(
                    "sms_provider = twilio needs twilio_account_sid, twilio_auth_token_file and \
                     twilio_from"
                );
            };
            let api_url = s
                .twilio_api_url
                .clone()
                .unwrap_or_else(|| "https://api.twilio.com".to_owned());
            https_or_loopback("twilio_api_url", &api_url)?;
            Ok(SmsConfig::Twilio {
                api_url,
                account_sid: sid.clone(),
                auth_token_file: token.clone(),
                from: from.clone(),
            })
        }
        Some(SmsProviderKind::Webhook) => {
            let (Some(url), Some(secret)) = (&s.sms_webhook_url, &s.sms_webhook_secret_file) else {
                bail!("sms_provider = webhook needs sms_webhook_url and sms_webhook_secret_file");
            };
            https_or_loopback("sms_webhook_url", url)?;
            Ok(SmsConfig::Webhook {
                url: url.clone(),
                secret_file: secret.clone(),
            })
        }
    }
}

/// The default maximum age of the current master key, in days.
pub const DEFAULT_MAX_KEY_AGE_DAYS: u32 = 90;

/// The maximum key age: 1 to 3650 days, 90 by default.
pub fn max_key_age(days: Option<u32>) -> anyhow::Result<time::Duration> {
    let days = days.unwrap_or(DEFAULT_MAX_KEY_AGE_DAYS);
    if !(1..=3650).contains(&days) {
        bail!("max_key_age_days is {days}; use 1 to 3650 days (the default is 90)");
    }
    Ok(time::Duration::days(i64::from(days)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An age recipient, as production needs for its logs.
    const RECIPIENT: &str = "age16sm5tzzxhj8flnf60duvzp7cq6g9qtsl32fyjnsx4jdg9xevkuzq2hn35s";

    fn resolve(s: Settings) -> anyhow::Result<ServeConfig> {
        ServeConfig::resolve(s)
    }

    #[test]
    fn no_settings_give_the_safe_development_setup() {
        let c = resolve(Settings::default()).unwrap();
        assert_eq!(c.environment, Environment::Development);
        assert_eq!(c.listen.to_string(), "127.0.0.1:8443");
        assert_eq!(c.redirect_listen.to_string(), "127.0.0.1:8080");
        assert!(matches!(c.database, DatabaseConfig::Embedded));
        assert!(c.tls.is_none());
    }

    #[test]
    fn vault_needs_its_address_and_token_and_tls_off_this_host() {
        let vault = |addr: &str| Settings {
            kms: Some(KmsKind::Vault),
            vault_addr: Some(addr.to_owned()),
            vault_token_file: Some("token".into()),
            ..Settings::default()
        };
        assert!(matches!(
            resolve(vault("https://vault.internal:8200")).unwrap().kms,
            KmsConfig::Vault { .. }
        ));
        assert!(resolve(vault("http://127.0.0.1:8200")).is_ok());
        let err = resolve(vault("http://vault.internal:8200"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("https://"), "{err}");
        let err = resolve(Settings {
            kms: Some(KmsKind::Vault),
            ..Settings::default()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("vault_addr and vault_token_file"), "{err}");
    }

    #[test]
    fn text_messages_need_a_real_provider_in_production() {
        let production = |provider: Option<SmsProviderKind>| Settings {
            environment: Some(Environment::Production),
            log_recipients: Some(vec![RECIPIENT.to_owned()]),
            smtp_host: Some("mail.example.com".to_owned()),
            sms_provider: provider,
            ..Settings::default()
        };
        assert!(matches!(
            resolve(production(None)).unwrap().sms,
            SmsConfig::Off
        ));
        let err = resolve(production(Some(SmsProviderKind::Console)))
            .unwrap_err()
            .to_string();
        assert!(err.contains("refused in production"), "{err}");
        let err = resolve(production(Some(SmsProviderKind::Twilio)))
            .unwrap_err()
            .to_string();
        assert!(err.contains("twilio_account_sid"), "{err}");
        assert!(matches!(
            resolve(Settings::default()).unwrap().sms,
            SmsConfig::Console
        ));
    }

    #[test]
    fn an_alert_webhook_needs_its_secret_and_tls_off_this_host() {
        let hook = |url: &str, secret: bool| Settings {
            alert_webhook_url: Some(url.to_owned()),
            alert_webhook_secret_file: secret.then(|| "secret".into()),
            ..Settings::default()
        };
        assert!(resolve(hook("https://alerts.example.com/skjold", true)).is_ok());
        assert!(resolve(hook("http://127.0.0.1:9000/hook", true)).is_ok());
        let err = resolve(hook("http://alerts.example.com/skjold", true))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("alert_webhook_url") && err.contains("https://"),
            "{err}"
        );
        let err = resolve(hook("https://alerts.example.com/skjold", false))
            .unwrap_err()
            .to_string();
        assert!(err.contains("set both"), "{err}");
        let err = resolve(Settings {
            operator_email: Some("not an address".to_owned()),
            ..Settings::default()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("operator_email"), "{err}");
    }

    #[test]
    fn metrics_stay_on_loopback_in_every_environment() {
        let c = resolve(Settings::default()).unwrap();
        assert_eq!(c.metrics_listen.to_string(), "127.0.0.1:9464");
        let err = resolve(Settings {
            environment: Some(Environment::Production),
            log_recipients: Some(vec![RECIPIENT.to_owned()]),
            smtp_host: Some("mail.example.com".to_owned()),
            metrics_listen: Some("0.0.0.0:9464".parse().unwrap()),
            ..Settings::default()
        })
        .unwrap_err();
        assert!(
            err.to_string().contains("only on a loopback address"),
            "{err}"
        );
    }

    #[test]
    fn development_may_not_listen_publicly() {
        let err = resolve(Settings {
            listen: Some("0.0.0.0:8443".parse().unwrap()),
            ..Settings::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("loopback"), "{err}");
    }

    #[test]
    fn a_public_address_needs_a_real_certificate_unless_overridden() {
        let public = Settings {
            environment: Some(Environment::Production),
            log_recipients: Some(vec![RECIPIENT.to_owned()]),
            listen: Some("0.0.0.0:8443".parse().unwrap()),
            smtp_host: Some("mail.example.com".to_owned()),
            ..Settings::default()
        };
        assert!(resolve(public.clone()).is_err());
        assert!(
            resolve(Settings {
                allow_dev_certificate_publicly: Some(true),
                redirect_listen: Some("0.0.0.0:8080".parse().unwrap()),
                ..public.clone()
            })
            .is_ok()
        );
    }

    #[test]
    fn production_needs_smtp_and_plain_smtp_is_only_for_loopback() {
        let production = Settings {
            environment: Some(Environment::Production),
            log_recipients: Some(vec![RECIPIENT.to_owned()]),
            ..Settings::default()
        };
        let err = resolve(production.clone()).unwrap_err().to_string();
        assert!(err.contains("smtp_host"), "{err}");
        let console = Settings {
            mailer: Some(MailerKind::Console),
            ..production.clone()
        };
        assert!(
            resolve(console)
                .unwrap_err()
                .to_string()
                .contains("refused in production")
        );
        let plain = Settings {
            smtp_host: Some("mail.example.com".to_owned()),
            smtp_tls: Some(SmtpTls::None),
            ..production.clone()
        };
        assert!(
            resolve(plain)
                .unwrap_err()
                .to_string()
                .contains("unencrypted")
        );
        let relay = Settings {
            smtp_host: Some("127.0.0.1".to_owned()),
            smtp_tls: Some(SmtpTls::None),
            ..production
        };
        assert!(resolve(relay).is_ok());
    }

    #[test]
    fn a_password_in_the_database_url_is_refused() {
        for url in [
            "postgres://app:hunter2@db/skjold",
            "postgres://db/skjold?password=hunter2",
        ] {
            let err = resolve(Settings {
                database_url: Some(url.to_owned()),
                ..Settings::default()
            })
            .unwrap_err()
            .to_string();
            assert!(err.contains("database_password_file"), "{err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
        assert!(refuse_password_in_url("postgres://app@db:5432/skjold".into()).is_ok());
    }

    #[test]
    fn production_logs_need_the_operators_recipients_and_at_most_90_days() {
        let production = Settings {
            environment: Some(Environment::Production),
            smtp_host: Some("mail.example.com".to_owned()),
            ..Settings::default()
        };
        let err = resolve(production.clone()).unwrap_err().to_string();
        assert!(err.contains("log_recipients is not set"), "{err}");
        let err = resolve(Settings {
            log_recipients: Some(vec!["age1notakey".to_owned()]),
            ..production.clone()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("not an age X25519 recipient"), "{err}");
        let with = Settings {
            log_recipients: Some(vec![RECIPIENT.to_owned()]),
            ..production
        };
        assert_eq!(
            resolve(with.clone()).unwrap().logs.retention.whole_days(),
            90
        );
        let err = resolve(Settings {
            log_retention_days: Some(91),
            ..with.clone()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("at most 90 days"), "{err}");
        let shorter = resolve(Settings {
            log_retention_days: Some(30),
            ..with
        });
        assert_eq!(shorter.unwrap().logs.retention.whole_days(), 30);
        let development = resolve(Settings::default()).unwrap();
        assert!(
            development.logs.recipients.is_none(),
            "generated outside production"
        );
        assert!(matches!(
            &development.logs.store,
            crate::stores::StoreConfig::Directory(dir) if dir == std::path::Path::new("skjold-data/logs")
        ));
        let err = resolve(Settings {
            log_store: Some("azure://logs".into()),
            ..Settings::default()
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("log_store_account and log_store_key_file"),
            "{err}"
        );
    }
}
