//! `skjold keys …`: what an operator may see of the keyring, and its rotation.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use skjold_app::{KeyMaintenance, MasterKeys, rewrap_data_keys};
use skjold_crypto::Keyring;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::config::{KmsConfig, ServeConfig};
use crate::serve::{build_app, check_keyring_environment, open_database};

/// Prints one line per master key, never its material. The current key is marked, and
/// marked overdue once it is older than `max_age`.
pub fn list(key_dir: &Path, max_age: time::Duration, out: &mut impl Write) -> anyhow::Result<()> {
    let keyring = Keyring::open(key_dir)?;
    let current = keyring.current().info().id;
    let overdue = OffsetDateTime::now_utc() - keyring.current().info().created_at > max_age;
    writeln!(
        out,
        "{:<6} {:<26} {:<12} CURRENT",
        "ID", "CREATED", "ENVIRONMENT"
    )?;
    for info in keyring.list() {
        let created = info
            .created_at
            .format(&Rfc3339)
            .context("formatting a date")?;
        let marker = match (info.id == current, overdue) {
            (true, false) => "*",
            (true, true) => "* overdue: run skjold keys rotate",
            (false, _) => "",
        };
        writeln!(
            out,
            "{:<6} {:<26} {:<12} {marker}",
            info.id, created, info.environment
        )?;
    }
    Ok(())
}

/// `skjold keys rotate`: a new master key version, then every account data key rewrapped
/// under it. If an earlier rotation was interrupted (data keys still under an older
/// version), it finishes that one instead of making another key.
pub async fn rotate(config: &ServeConfig, out: &mut impl Write) -> anyhow::Result<()> {
    if let KmsConfig::Vault { key, .. } = &config.kms {
        anyhow::bail!(
            "with kms = vault the master key is Vault's transit key {key}: rotate it in Vault \
             (vault write -f transit/keys/{key}/rotate); --data-keys still gives accounts new data keys"
        );
    }
    let mut keyring = Keyring::open(&config.key_dir)?;
    check_keyring_environment(&keyring, config)?;
    let database = open_database(config, &keyring).await?;
    database.claim_environment(config.environment).await?;
    let left = database
        .data_keys_not_under(&keyring.current_id(), 1)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if left.is_empty() {
        let now = OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let id = keyring.rotate(now)?;
        writeln!(
            out,
            "skjold: created master key {id}; it is current from now on"
        )?;
    } else {
        writeln!(
            out,
            "skjold: an earlier rotation to {} was not finished; finishing it (run again for a new key)",
            keyring.current_id()
        )?;
    }
    let done = rewrap_data_keys(&database, &keyring, |n| {
        let _ = writeln!(out, "skjold: rewrapped {n} account data keys so far");
    })
    .await?;
    writeln!(
        out,
        "skjold: done: {done} account data keys now wrapped under {}",
        keyring.current_id()
    )?;
    writeln!(
        out,
        "skjold: keep the older keys: fields and the embedded database sealed under them still need them"
    )?;
    database.close().await;
    Ok(())
}

/// `skjold keys rotate --data-keys`: every account gets a new data key, its rows are
/// resealed with it, and data keys no row uses any more are deleted.
pub async fn rotate_data_keys(
    config: &ServeConfig,
    max_rows: Option<u64>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let keyring = std::sync::Arc::new(Keyring::open(&config.key_dir)?);
    check_keyring_environment(&keyring, config)?;
    let database = open_database(config, &keyring).await?;
    database.claim_environment(config.environment).await?;
    // No mail is sent and no link made: any base URL does.
    let app = build_app(config, &keyring, &database, "https://localhost".to_owned())?;
    let outcome = app
        .rotate_data_keys(max_rows, |n| {
            let _ = writeln!(out, "skjold: resealed {n} rows so far");
        })
        .await?;
    writeln!(
        out,
        "skjold: {} new account data keys, {} rows resealed, {} old data keys retired",
        outcome.new_keys, outcome.resealed, outcome.retired
    )?;
    if outcome.unfinished {
        writeln!(
            out,
            "skjold: stopped at --max-rows; rows remain under older data keys: run again to continue"
        )?;
    }
    database.close().await;
    Ok(())
}
