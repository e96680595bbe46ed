//! Settings as the user writes them, layered: defaults < `skjold.toml` < `SKJOLD_*`
//! environment variables < command-line flags.
//!
//! One struct serves as the flag set (clap reads each flag and its variable) and as the
//! file format (serde, unknown keys refused). Every field is optional here; defaults and
//! checks are applied once, in `config.rs`, after the layers are merged.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use ipnet::IpNet;
use serde::Deserialize;
use skjold_domain::Environment;

/// Where the settings file is looked for when `--config` is not given.
pub const DEFAULT_CONFIG_FILE: &str = "skjold.toml";

#[derive(Debug, Default, Clone, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Data directory (embedded database and other state) [default: ./skjold-data]
    #[arg(long, env = "SKJOLD_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Keyring directory; must not lie inside the data directory [default: ./skjold-keys]
    #[arg(long, env = "SKJOLD_KEY_DIR", value_name = "DIR")]
    pub key_dir: Option<PathBuf>,

    /// production, staging, test or development [default: development]
    #[arg(long, env = "SKJOLD_ENVIRONMENT", value_name = "NAME")]
    pub environment: Option<Environment>,

    /// HTTPS listen address [default: 127.0.0.1:8443]
    #[arg(long, env = "SKJOLD_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// Plain-HTTP listen address that only redirects to HTTPS [default: 127.0.0.1:8080]
    #[arg(long, env = "SKJOLD_REDIRECT_LISTEN", value_name = "ADDR")]
    pub redirect_listen: Option<SocketAddr>,

    /// Plain-HTTP address of the Prometheus metrics at /metrics; loopback addresses only
    /// [default: 127.0.0.1:9464]
    #[arg(long, env = "SKJOLD_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,

    /// PostgreSQL URL without a password (postgres://user@host/db); omit for the embedded
    /// encrypted database
    #[arg(long, env = "SKJOLD_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,

    /// File holding the PostgreSQL password
    #[arg(long, env = "SKJOLD_DATABASE_PASSWORD_FILE", value_name = "FILE")]
    pub database_password_file: Option<PathBuf>,

    /// PEM certificate chain for HTTPS; re-read when it changes [default: a generated
    /// development certificate]
    #[arg(long, env = "SKJOLD_TLS_CERT_FILE", value_name = "FILE")]
    pub tls_cert_file: Option<PathBuf>,

    /// PEM private key of --tls-cert-file
    #[arg(long, env = "SKJOLD_TLS_KEY_FILE", value_name = "FILE")]
    pub tls_key_file: Option<PathBuf>,

    /// How often the certificate files are checked for a renewal, in seconds [default: 30]
    #[arg(long, env = "SKJOLD_TLS_RELOAD_SECONDS", value_name = "SECONDS")]
    pub tls_reload_seconds: Option<u64>,

    /// Serve the development certificate on a non-loopback address anyway [default: false]
    #[arg(long, env = "SKJOLD_ALLOW_DEV_CERTIFICATE_PUBLICLY", value_name = "BOOL",
          num_args = 0..=1, default_missing_value = "true")]
    pub allow_dev_certificate_publicly: Option<bool>,

    /// Comma-separated networks whose X-Forwarded-For/Forwarded headers are believed
    /// (e.g. 10.0.0.0/8,192.0.2.10/32) [default: none]
    #[arg(
        long,
        env = "SKJOLD_TRUSTED_PROXIES",
        value_name = "CIDRS",
        value_delimiter = ','
    )]
    pub trusted_proxies: Option<Vec<IpNet>>,

    /// Log format on standard error: human or json [default: human]
    #[arg(long, env = "SKJOLD_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,

    /// Log filter: a default level and target=level pairs, e.g. debug or
    /// info,skjold_http=debug [default: info,sqlx=warn]
    #[arg(long, env = "SKJOLD_LOG", value_name = "FILTER")]
    pub log: Option<String>,

    /// Seconds in-flight requests get to finish at shutdown [default: 30]
    #[arg(long, env = "SKJOLD_SHUTDOWN_GRACE_SECONDS", value_name = "SECONDS")]
    pub shutdown_grace_seconds: Option<u64>,

    /// Minutes without a request after which a session ends [default: 30]
    #[arg(long, env = "SKJOLD_SESSION_IDLE_MINUTES", value_name = "MINUTES")]
    pub session_idle_minutes: Option<u32>,

    /// Hours after sign-in at which a session ends however busy [default: 12]
    #[arg(long, env = "SKJOLD_SESSION_LIFETIME_HOURS", value_name = "HOURS")]
    pub session_lifetime_hours: Option<u32>,

    /// Minimum password length, 8 to 64 [default: 15]
    #[arg(long, env = "SKJOLD_PASSWORD_MIN_LENGTH", value_name = "CHARS")]
    pub password_min_length: Option<usize>,

    /// argon2id memory in KiB, at least 19456 [default: 19456]
    #[arg(long, env = "SKJOLD_ARGON2_MEMORY_KIB", value_name = "KIB")]
    pub argon2_memory_kib: Option<u32>,

    /// argon2id passes, at least 2 [default: 2]
    #[arg(long, env = "SKJOLD_ARGON2_ITERATIONS", value_name = "N")]
    pub argon2_iterations: Option<u32>,

    /// argon2id lanes, at least 1 [default: 1]
    #[arg(long, env = "SKJOLD_ARGON2_PARALLELISM", value_name = "N")]
    pub argon2_parallelism: Option<u32>,

    /// Password hashes computed at once; more wait their turn [default: the core count]
    #[arg(long, env = "SKJOLD_HASH_CONCURRENCY", value_name = "N")]
    pub hash_concurrency: Option<usize>,

    /// Days after which the current master key is overdue for `skjold keys rotate`: past
    /// it, a security event once a day [default: 90]
    #[arg(long, env = "SKJOLD_MAX_KEY_AGE_DAYS", value_name = "DAYS")]
    pub max_key_age_days: Option<u32>,

    /// Where master keys live: keyring (the key directory) or vault (HashiCorp Vault's
    /// transit engine wraps the account data keys) [default: keyring]
    #[arg(long, env = "SKJOLD_KMS", value_name = "KIND")]
    pub kms: Option<KmsKind>,

    /// With kms = vault: Vault's address (https://…; plain http only to loopback)
    #[arg(long, env = "SKJOLD_VAULT_ADDR", value_name = "URL")]
    pub vault_addr: Option<String>,

    /// With kms = vault: the transit key's name [default: skjold]
    #[arg(long, env = "SKJOLD_VAULT_TRANSIT_KEY", value_name = "NAME")]
    pub vault_transit_key: Option<String>,

    /// With kms = vault: a file holding the Vault token
    #[arg(long, env = "SKJOLD_VAULT_TOKEN_FILE", value_name = "FILE")]
    pub vault_token_file: Option<PathBuf>,

    /// Test and development only: a file holding a number of seconds to add to the clock,
    /// read at every use, so tests can move time for every instance at once
    #[arg(long, env = "SKJOLD_TEST_CLOCK_FILE", value_name = "FILE")]
    pub test_clock_file: Option<PathBuf>,

    /// How mail leaves: smtp, or console (prints to the terminal; refused in production)
    /// [default: console, except in production]
    #[arg(long, env = "SKJOLD_MAILER", value_name = "KIND")]
    pub mailer: Option<MailerKind>,

    /// SMTP server host name
    #[arg(long, env = "SKJOLD_SMTP_HOST", value_name = "HOST")]
    pub smtp_host: Option<String>,

    /// SMTP server port [default: 465 for tls, 587 for starttls, 25 for none]
    #[arg(long, env = "SKJOLD_SMTP_PORT", value_name = "PORT")]
    pub smtp_port: Option<u16>,

    /// tls (implicit TLS), starttls, or none (only to a loopback address) [default: tls]
    #[arg(long, env = "SKJOLD_SMTP_TLS", value_name = "MODE")]
    pub smtp_tls: Option<SmtpTls>,

    /// SMTP user name, if the server wants one
    #[arg(long, env = "SKJOLD_SMTP_USERNAME", value_name = "NAME")]
    pub smtp_username: Option<String>,

    /// File holding the SMTP password
    #[arg(long, env = "SKJOLD_SMTP_PASSWORD_FILE", value_name = "FILE")]
    pub smtp_password_file: Option<PathBuf>,

    /// Sender address of Skjold's mails [default: skjold@localhost]
    #[arg(long, env = "SKJOLD_MAIL_FROM", value_name = "ADDRESS")]
    pub mail_from: Option<String>,

    /// The address users reach this site at, for links in mails
    /// [default: https://localhost:<listen port>]
    #[arg(long, env = "SKJOLD_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,

    /// Where vulnerability reports go, as security.txt and the security page say: a
    /// mailto: or https: URI [default: mailto:security@<public_url's host>, else
    /// mailto:security@localhost]
    #[arg(long, env = "SKJOLD_SECURITY_CONTACT", value_name = "URI")]
    pub security_contact: Option<String>,

    /// Where security alerts are POSTed as signed JSON (https://, or http:// to this
    /// host) [default: none, alerts go to the log]
    #[arg(long, env = "SKJOLD_ALERT_WEBHOOK_URL", value_name = "URL")]
    pub alert_webhook_url: Option<String>,

    /// File holding the shared secret that signs alert webhooks (HMAC-SHA256)
    #[arg(long, env = "SKJOLD_ALERT_WEBHOOK_SECRET_FILE", value_name = "FILE")]
    pub alert_webhook_secret_file: Option<PathBuf>,

    /// The operator's e-mail address: security alerts are mailed there [default: none]
    #[arg(long, env = "SKJOLD_OPERATOR_EMAIL", value_name = "ADDRESS")]
    pub operator_email: Option<String>,

    /// How codes are sent by text message: console (prints them; development and test
    /// only), twilio or webhook [default: console in development and test, else none]
    #[arg(long, env = "SKJOLD_SMS_PROVIDER", value_name = "PROVIDER")]
    pub sms_provider: Option<SmsProviderKind>,

    /// Twilio account SID, with sms_provider = twilio
    #[arg(long, env = "SKJOLD_TWILIO_ACCOUNT_SID", value_name = "SID")]
    pub twilio_account_sid: Option<String>,

    /// File holding the Twilio auth token
    #[arg(long, env = "SKJOLD_TWILIO_AUTH_TOKEN_FILE", value_name = "FILE")]
    pub twilio_auth_token_file: Option<PathBuf>,

    /// Sender id or number of text messages sent through Twilio
    #[arg(long, env = "SKJOLD_TWILIO_FROM", value_name = "SENDER")]
    pub twilio_from: Option<String>,

    /// Base URL of the Twilio-compatible API [default: https://api.twilio.com]
    #[arg(long, env = "SKJOLD_TWILIO_API_URL", value_name = "URL")]
    pub twilio_api_url: Option<String>,

    /// Where text messages are POSTed as signed JSON, with sms_provider = webhook
    #[arg(long, env = "SKJOLD_SMS_WEBHOOK_URL", value_name = "URL")]
    pub sms_webhook_url: Option<String>,

    /// File holding the shared secret that signs SMS webhooks
    #[arg(long, env = "SKJOLD_SMS_WEBHOOK_SECRET_FILE", value_name = "FILE")]
    pub sms_webhook_secret_file: Option<PathBuf>,

    /// Where the encrypted log segments go: a directory every instance shares,
    /// azure://<container> for Azure Blob Storage or s3://<bucket> for S3-compatible
    /// storage [default: <data dir>/logs]
    #[arg(long, env = "SKJOLD_LOG_STORE", value_name = "DIR|URL")]
    pub log_store: Option<PathBuf>,

    /// With an azure:// log store: the storage account's name; with s3://: the access
    /// key id
    #[arg(long, env = "SKJOLD_LOG_STORE_ACCOUNT", value_name = "NAME")]
    pub log_store_account: Option<String>,

    /// With an azure:// log store: a file holding the storage account's access key;
    /// with s3://: a file holding the secret access key
    #[arg(long, env = "SKJOLD_LOG_STORE_KEY_FILE", value_name = "FILE")]
    pub log_store_key_file: Option<PathBuf>,

    /// With an azure:// or s3:// log store: another endpoint than the provider's own
    /// (https://, or http:// to this host for an emulator); S3 is then addressed by path
    #[arg(long, env = "SKJOLD_LOG_STORE_ENDPOINT", value_name = "URL")]
    pub log_store_endpoint: Option<String>,

    /// With an s3:// log store: the bucket's region [default: us-east-1]
    #[arg(long, env = "SKJOLD_LOG_STORE_REGION", value_name = "REGION")]
    pub log_store_region: Option<String>,

    /// Comma-separated age X25519 recipients (age1…) the log vault encrypts to; only
    /// their identities read the logs back (`skjold logs new-identity` makes one)
    /// [default: outside production, one generated in the key directory; required in
    /// production]
    #[arg(
        long,
        env = "SKJOLD_LOG_RECIPIENTS",
        value_name = "RECIPIENTS",
        value_delimiter = ','
    )]
    pub log_recipients: Option<Vec<String>>,

    /// Days log segments are kept, at most 90 [default: 90]
    #[arg(long, env = "SKJOLD_LOG_RETENTION_DAYS", value_name = "DAYS")]
    pub log_retention_days: Option<u32>,

    /// Comma-separated field names redacted from logs besides the built-in ones
    /// (password, token, secret, cookie, code, national_id, …)
    #[arg(
        long,
        env = "SKJOLD_LOG_REDACT_FIELDS",
        value_name = "NAMES",
        value_delimiter = ','
    )]
    pub log_redact_fields: Option<Vec<String>>,

    /// A log segment is sealed when its lines reach this many KiB [default: 4096]
    #[arg(long, env = "SKJOLD_LOG_SEGMENT_KIB", value_name = "KIB")]
    pub log_segment_kib: Option<u32>,

    /// … or when its first line is this many seconds old [default: 300]
    #[arg(long, env = "SKJOLD_LOG_SEGMENT_SECONDS", value_name = "SECONDS")]
    pub log_segment_seconds: Option<u64>,

    /// Days audit events are kept, 30 to 3650 [default: 365]
    #[arg(long, env = "SKJOLD_AUDIT_RETENTION_DAYS", value_name = "DAYS")]
    pub audit_retention_days: Option<u32>,

    /// Where encrypted backups (and the erasure ledger) go: a directory, best on another
    /// disk or host than the data directory, azure://<container> for Azure Blob Storage
    /// or s3://<bucket> for S3-compatible storage [default: ./skjold-backups]
    #[arg(long, env = "SKJOLD_BACKUP_STORE", value_name = "DIR|URL")]
    pub backup_store: Option<PathBuf>,

    /// With an azure:// backup store: the storage account's name; with s3://: the access
    /// key id
    #[arg(long, env = "SKJOLD_BACKUP_STORE_ACCOUNT", value_name = "NAME")]
    pub backup_store_account: Option<String>,

    /// With an azure:// backup store: a file holding the storage account's access key;
    /// with s3://: a file holding the secret access key
    #[arg(long, env = "SKJOLD_BACKUP_STORE_KEY_FILE", value_name = "FILE")]
    pub backup_store_key_file: Option<PathBuf>,

    /// With an azure:// or s3:// backup store: another endpoint than the provider's own
    /// (https://, or http:// to this host for an emulator); S3 is then addressed by path
    #[arg(long, env = "SKJOLD_BACKUP_STORE_ENDPOINT", value_name = "URL")]
    pub backup_store_endpoint: Option<String>,

    /// With an s3:// backup store: the bucket's region [default: us-east-1]
    #[arg(long, env = "SKJOLD_BACKUP_STORE_REGION", value_name = "REGION")]
    pub backup_store_region: Option<String>,

    /// Comma-separated age X25519 recipients (age1…) backups are encrypted to; only their
    /// identities restore them (`skjold backup new-identity` makes one) [default: outside
    /// production, one generated in the key directory; required in production]
    #[arg(
        long,
        env = "SKJOLD_BACKUP_RECIPIENTS",
        value_name = "RECIPIENTS",
        value_delimiter = ','
    )]
    pub backup_recipients: Option<Vec<String>>,

    /// The hour of the day (UTC, 0–23) in which the server takes its daily backup (one
    /// instance of several) [default: 2]
    #[arg(long, env = "SKJOLD_BACKUP_HOUR", value_name = "HOUR")]
    pub backup_hour: Option<u8>,

    /// Days every backup is kept, at least 30 [default: 30]
    #[arg(long, env = "SKJOLD_BACKUP_MIN_DAYS", value_name = "DAYS")]
    pub backup_min_days: Option<u32>,

    /// Days after which a backup is deleted, at most 90 [default: 90]
    #[arg(long, env = "SKJOLD_BACKUP_MAX_DAYS", value_name = "DAYS")]
    pub backup_max_days: Option<u32>,

    /// Between the two, one backup is kept per this many days [default: 7]
    #[arg(long, env = "SKJOLD_BACKUP_THIN_DAYS", value_name = "DAYS")]
    pub backup_thin_days: Option<u32>,

    /// This instance's name in the log store, its own hash chain [default: one made up
    /// once and kept in the data directory]
    #[arg(long, env = "SKJOLD_INSTANCE_ID", value_name = "ID")]
    pub instance_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum KmsKind {
    Keyring,
    Vault,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SmsProviderKind {
    Console,
    Twilio,
    Webhook,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum MailerKind {
    Console,
    Smtp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    #[default]
    Tls,
    Starttls,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

impl Settings {
    /// `self` where it has a value, `lower` elsewhere.
    pub fn over(self, lower: Settings) -> Settings {
        Settings {
            data_dir: self.data_dir.or(lower.data_dir),
            key_dir: self.key_dir.or(lower.key_dir),
            environment: self.environment.or(lower.environment),
            listen: self.listen.or(lower.listen),
            redirect_listen: self.redirect_listen.or(lower.redirect_listen),
            metrics_listen: self.metrics_listen.or(lower.metrics_listen),
            database_url: self.database_url.or(lower.database_url),
            database_password_file: self.database_password_file.or(lower.database_password_file),
            tls_cert_file: self.tls_cert_file.or(lower.tls_cert_file),
            tls_key_file: self.tls_key_file.or(lower.tls_key_file),
            tls_reload_seconds: self.tls_reload_seconds.or(lower.tls_reload_seconds),
            allow_dev_certificate_publicly: self
                .allow_dev_certificate_publicly
                .or(lower.allow_dev_certificate_publicly),
            trusted_proxies: self.trusted_proxies.or(lower.trusted_proxies),
            log_format: self.log_format.or(lower.log_format),
            log: self.log.or(lower.log),
            shutdown_grace_seconds: self.shutdown_grace_seconds.or(lower.shutdown_grace_seconds),
            session_idle_minutes: self.session_idle_minutes.or(lower.session_idle_minutes),
            session_lifetime_hours: self.session_lifetime_hours.or(lower.session_lifetime_hours),
            password_min_length: self.password_min_length.or(lower.password_min_length),
            argon2_memory_kib: self.argon2_memory_kib.or(lower.argon2_memory_kib),
            argon2_iterations: self.argon2_iterations.or(lower.argon2_iterations),
            argon2_parallelism: self.argon2_parallelism.or(lower.argon2_parallelism),
            hash_concurrency: self.hash_concurrency.or(lower.hash_concurrency),
            max_key_age_days: self.max_key_age_days.or(lower.max_key_age_days),
            kms: self.kms.or(lower.kms),
            vault_addr: self.vault_addr.or(lower.vault_addr),
            vault_transit_key: self.vault_transit_key.or(lower.vault_transit_key),
            vault_token_file: self.vault_token_file.or(lower.vault_token_file),
            test_clock_file: self.test_clock_file.or(lower.test_clock_file),
            mailer: self.mailer.or(lower.mailer),
            smtp_host: self.smtp_host.or(lower.smtp_host),
            smtp_port: self.smtp_port.or(lower.smtp_port),
            smtp_tls: self.smtp_tls.or(lower.smtp_tls),
            smtp_username: self.smtp_username.or(lower.smtp_username),
            smtp_password_file: self.smtp_password_file.or(lower.smtp_password_file),
            mail_from: self.mail_from.or(lower.mail_from),
            public_url: self.public_url.or(lower.public_url),
            security_contact: self.security_contact.or(lower.security_contact),
            alert_webhook_url: self.alert_webhook_url.or(lower.alert_webhook_url),
            alert_webhook_secret_file: self
                .alert_webhook_secret_file
                .or(lower.alert_webhook_secret_file),
            operator_email: self.operator_email.or(lower.operator_email),
            sms_provider: self.sms_provider.or(lower.sms_provider),
            twilio_account_sid: self.twilio_account_sid.or(lower.twilio_account_sid),
            twilio_auth_token_file: self.twilio_auth_token_file.or(lower.twilio_auth_token_file),
            twilio_from: self.twilio_from.or(lower.twilio_from),
            twilio_api_url: self.twilio_api_url.or(lower.twilio_api_url),
            sms_webhook_url: self.sms_webhook_url.or(lower.sms_webhook_url),
            sms_webhook_secret_file: self
                .sms_webhook_secret_file
                .or(lower.sms_webhook_secret_file),
            log_store: self.log_store.or(lower.log_store),
            log_store_account: self.log_store_account.or(lower.log_store_account),
            log_store_key_file: self.log_store_key_file.or(lower.log_store_key_file),
            log_store_endpoint: self.log_store_endpoint.or(lower.log_store_endpoint),
            log_store_region: self.log_store_region.or(lower.log_store_region),
            log_recipients: self.log_recipients.or(lower.log_recipients),
            log_retention_days: self.log_retention_days.or(lower.log_retention_days),
            log_redact_fields: self.log_redact_fields.or(lower.log_redact_fields),
            log_segment_kib: self.log_segment_kib.or(lower.log_segment_kib),
            log_segment_seconds: self.log_segment_seconds.or(lower.log_segment_seconds),
            instance_id: self.instance_id.or(lower.instance_id),
            audit_retention_days: self.audit_retention_days.or(lower.audit_retention_days),
            backup_store: self.backup_store.or(lower.backup_store),
            backup_store_account: self.backup_store_account.or(lower.backup_store_account),
            backup_store_key_file: self.backup_store_key_file.or(lower.backup_store_key_file),
            backup_store_endpoint: self.backup_store_endpoint.or(lower.backup_store_endpoint),
            backup_store_region: self.backup_store_region.or(lower.backup_store_region),
            backup_recipients: self.backup_recipients.or(lower.backup_recipients),
            backup_hour: self.backup_hour.or(lower.backup_hour),
            backup_min_days: self.backup_min_days.or(lower.backup_min_days),
            backup_max_days: self.backup_max_days.or(lower.backup_max_days),
            backup_thin_days: self.backup_thin_days.or(lower.backup_thin_days),
        }
    }

    /// The settings file: the one `--config` names (which must exist), else
    /// `./skjold.toml` if there is one, else nothing.
    pub fn from_file(explicit: Option<&Path>) -> anyhow::Result<Settings> {
        let path = match explicit {
            Some(path) => path,
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => Path::new(DEFAULT_CONFIG_FILE),
            None => return Ok(Settings::default()),
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the settings file {}", path.display()))?;
        match toml::from_str(&text) {
            Ok(settings) => Ok(settings),
            // toml's report names the key and shows the line; quoting the file is safe
            // because settings never hold secrets.
            Err(e) => bail!("{}: {}", path.display(), e.to_string().trim_end()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_key_is_named_in_the_error() {
        let err = toml::from_str::<Settings>("listen = \"127.0.0.1:1\"\nlisten_port = 5\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("listen_port"), "{err}");
    }

    #[test]
    fn a_higher_layer_wins_and_a_lower_one_fills_the_gaps() {
        let file: Settings = toml::from_str("environment = \"staging\"\nlog = \"debug\"").unwrap();
        let flags = Settings {
            environment: Some(Environment::Test),
            ..Settings::default()
        };
        let merged = flags.over(file);
        assert_eq!(merged.environment, Some(Environment::Test));
        assert_eq!(merged.log.as_deref(), Some("debug"));
    }
}
