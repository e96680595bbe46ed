//! The log vault as `serve` runs it (C10): where segments go, who can read them, how
//! long they stay, which instance writes them.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use skjold_domain::Environment;
use skjold_ops::identity::{Recipient, new_identity_file, recipients_from};
use skjold_ops::retention::MAX_RETENTION;
use skjold_ops::store::LogStore;
use skjold_ops::vault::{Vault, VaultSettings};

use crate::settings::Settings;
use crate::stores::{StoreConfig, StoreLocation};

/// The identity generated for development and test, in the key directory.
pub const DEV_IDENTITY: &str = "log-operator.identity";
/// The instance id kept in the data directory.
const INSTANCE_FILE: &str = "instance-id";

/// The resolved log vault settings.
#[derive(Debug, Clone)]
pub struct LogVaultConfig {
    pub store: StoreConfig,
    /// `None`: the development identity's recipient.
    pub recipients: Option<Vec<String>>,
    pub retention: time::Duration,
    pub redact_fields: Vec<String>,
    pub segment_bytes: usize,
    pub segment_age: std::time::Duration,
    pub instance: Option<String>,
}

impl LogVaultConfig {
    pub fn resolve(
        s: &Settings,
        environment: Environment,
        data_dir: &Path,
    ) -> anyhow::Result<LogVaultConfig> {
        let recipients = s.log_recipients.clone().filter(|r| !r.is_empty());
        match &recipients {
            Some(list) => {
                recipients_from(list)?;
            }
            None if environment == Environment::Production => {
                bail!(
                    "log_recipients is not set: in {environment} the log vault must be encrypted to \
                     the operators' own keys, whose identities never live on the server; make one \
                     with `skjold logs new-identity --out operator.identity` on your own machine \
                     and set log_recipients to the age1… key it prints"
                )
            }
            None => {}
        }
        Ok(LogVaultConfig {
            store: StoreConfig::resolve(
                StoreLocation::of_logs(s),
                data_dir.join("logs"),
                "log_store",
            )?,
            recipients,
            retention: retention(s.log_retention_days)?,
            redact_fields: s.log_redact_fields.clone().unwrap_or_default(),
            segment_bytes: usize::try_from(s.log_segment_kib.unwrap_or(4096).max(1))
                .unwrap_or(usize::MAX)
                .saturating_mul(1024),
            segment_age: std::time::Duration::from_secs(
                s.log_segment_seconds.unwrap_or(300).max(1),
            ),
            instance: s.instance_id.clone(),
        })
    }
}

/// Days of log retention: 90 unless fewer are asked for; more are refused (C10).
pub fn retention(days: Option<u32>) -> anyhow::Result<time::Duration> {
    let days = days.unwrap_or(90);
    let retention = time::Duration::days(i64::from(days));
    if days == 0 || retention > MAX_RETENTION {
        bail!(
            "log_retention_days is {days}, but logs are kept for at least 1 and at most {} days",
            MAX_RETENTION.whole_days()
        );
    }
    Ok(retention)
}

/// The vault `serve` writes to, and what it holds while it does.
#[derive(Debug)]
pub struct RunningVault {
    pub vault: Vault,
    pub store: Arc<dyn LogStore>,
    /// The lock on the instance id, held while the process writes under it.
    _instance: Option<File>,
}

/// Starts the vault for `serve`: the development identity made if it is needed, the
/// instance id found or made.
pub fn start(
    config: &LogVaultConfig,
    key_dir: &Path,
    data_dir: &Path,
) -> anyhow::Result<RunningVault> {
    let recipients = match &config.recipients {
        Some(list) => recipients_from(list)?,
        None => vec![dev_recipient(
            &key_dir.join(DEV_IDENTITY),
            "the log vault encrypts",
            "log_recipients",
        )?],
    };
    let (instance, lock) = match &config.instance {
        Some(id) => (id.clone(), None),
        None => {
            let (id, lock) = instance_id(data_dir)?;
            (id, Some(lock))
        }
    };
    let store = config.store.open_log_store(true)?;
    let vault = Vault::start(
        Arc::clone(&store),
        VaultSettings {
            instance: instance.clone(),
            recipients,
            segment_bytes: config.segment_bytes,
            segment_age: config.segment_age,
        },
    )
    .context("cannot start the log vault")?;
    tracing::info!(
        instance,
        store = ?store,
        "log vault open: segments are encrypted to the operators' keys"
    );
    Ok(RunningVault {
        vault,
        store,
        _instance: lock,
    })
}

/// The recipient of a development identity at `path` in the key directory, made on
/// first use. `what` says what is encrypted to it ("backups are"), `setting` what to set
/// in production instead.
pub fn dev_recipient(path: &Path, what: &str, setting: &str) -> anyhow::Result<Recipient> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let created = time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            let (text, _) = new_identity_file(&created);
            write_private(path, &text)?;
            tracing::warn!(
                identity = %path.display(),
                "development: {what} to an identity generated in the key directory; in \
                 production set {setting} to your own keys"
            );
            text
        }
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read {}", path.display()));
        }
    };
    let identities = skjold_ops::identity::identities_from(&text)
        .with_context(|| format!("{} is not an identity file", path.display()))?;
    Ok(identities[0].to_public())
}

/// Writes a new file readable by its owner only; refuses to overwrite one.
pub fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

/// This instance's id: kept in the data directory, made up on first start. A second
/// process on the same directory (the embedded database allows it) gets its own, held
/// by a lock, so two writers never continue one chain.
fn instance_id(data_dir: &Path) -> anyhow::Result<(String, File)> {
    let path = data_dir.join(INSTANCE_FILE);
    let base = match std::fs::read_to_string(&path) {
        Ok(id) => id.trim().to_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let id = format!("i-{}", random_hex()?);
            write_private(&path, &id)?;
            id
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    for n in 1..=64 {
        let id = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(data_dir.join(format!("{INSTANCE_FILE}.{n}.lock")))?;
        if lock.try_lock().is_ok() {
            return Ok((id, lock));
        }
    }
    bail!(
        "64 processes already write logs from {}",
        data_dir.display()
    )
}

/// Six random bytes in hex: ids that do not collide among a company's instances.
fn random_hex() -> anyhow::Result<String> {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(skjold_domain::hex(&bytes))
}
