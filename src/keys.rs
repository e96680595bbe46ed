//! `skjold keys …`: what an operator may see of the keyring, and its rotation.

use std::io::Write;
use std::path::Path;

use std::sync::Arc;

use anyhow::{Context, bail};
use skjold_app::{KeyMaintenance, MasterKeys};
use skjold_crypto::Keyring;
use skjold_domain::KeyId;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::config::{DatabaseConfig, KmsConfig, ServeConfig};
use crate::embedded;
use crate::serve::{build_app, check_keyring_environment, lock_embedded, open_database};

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
/// and every user's field resealed under it; with no server running, the embedded
/// database file is re-encrypted under it too. If an earlier rotation was interrupted
/// (anything still under an older version), it finishes that one instead of making
/// another key.
pub async fn rotate(config: &ServeConfig, out: &mut impl Write) -> anyhow::Result<()> {
    if let KmsConfig::Vault { key, .. } = &config.kms {
        anyhow::bail!(
            "with kms = vault the master key is Vault's transit key {key}: rotate it in Vault \
             (vault write -f transit/keys/{key}/rotate); --data-keys still gives accounts new data keys"
        );
    }
    let keyring = Arc::new(Keyring::open(&config.key_dir)?);
    check_keyring_environment(&keyring, config)?;
    let database = open_database(config, &keyring, None).await?;
    database.claim_environment(config.environment).await?;
    let app = build_app(config, &keyring, &database, NO_LINKS.to_owned())?;
    let keyring = if app.master_key_move_pending().await? {
        writeln!(
            out,
            "skjold: an earlier rotation to {} was not finished; finishing it (run again for a new key)",
            keyring.current_id()
        )?;
        keyring
    } else {
        let mut rotated = Keyring::open(&config.key_dir)?;
        let id = rotated.rotate(now())?;
        writeln!(
            out,
            "skjold: created master key {id}; it is current from now on"
        )?;
        Arc::new(rotated)
    };
    let app = build_app(config, &keyring, &database, NO_LINKS.to_owned())?;
    let moved = app
        .move_to_current_master_key(|so_far| {
            let _ = writeln!(
                out,
                "skjold: {} account data keys rewrapped, {} user fields resealed so far",
                so_far.data_keys, so_far.user_fields
            );
        })
        .await?;
    let current = keyring.current_id();
    writeln!(
        out,
        "skjold: done: {} account data keys now wrapped under {current}, {} user fields resealed",
        moved.data_keys, moved.user_fields
    )?;
    database.close().await;
    move_embedded_file(config, &keyring, out).await
}

/// With the embedded database and no server running, re-encrypts its file under the
/// current master key now; a running server does it at its next start.
async fn move_embedded_file(
    config: &ServeConfig,
    keyring: &Keyring,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    if !matches!(config.database, DatabaseConfig::Embedded) {
        return Ok(());
    }
    let current = keyring.current().info().id;
    let lock = lock_embedded(config)?;
    open_database(config, keyring, lock.as_ref())
        .await?
        .close()
        .await;
    if embedded::key_id(&config.data_dir, keyring).await? == current {
        writeln!(
            out,
            "skjold: the embedded database file is encrypted under {current}"
        )?;
    } else {
        writeln!(
            out,
            "skjold: a server is running: it re-encrypts the embedded database file under \
             {current} at its next start, once no other server shares the file"
        )?;
    }
    Ok(())
}

/// `skjold keys retire <id>`: deletes an older master key once nothing needs it.
pub async fn retire(config: &ServeConfig, id: KeyId, out: &mut impl Write) -> anyhow::Result<()> {
    let mut keyring = Keyring::open(&config.key_dir)?;
    check_keyring_environment(&keyring, config)?;
    if keyring.get(id).is_none() || id == keyring.current().info().id {
        // The keyring's own refusal says which and what to do.
        keyring.retire(id)?;
    }
    let lock = lock_embedded(config)?;
    let database = open_database(config, &keyring, lock.as_ref()).await?;
    database.claim_environment(config.environment).await?;
    let uses = database
        .uses_of_master_key(&id.to_string())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    database.close().await;
    if !uses.is_none() {
        bail!(
            "master key {id} is still needed: {} account data keys are wrapped and {} user \
             fields sealed under it; run `skjold keys rotate` to finish moving them to {}, \
             then retire {id}",
            uses.data_keys,
            uses.user_fields,
            keyring.current().info().id
        );
    }
    if matches!(config.database, DatabaseConfig::Embedded)
        && embedded::key_id(&config.data_dir, &keyring).await? == id
    {
        bail!(
            "the embedded database file is still encrypted under {id} and a running server \
             holds it: restart the server (it re-encrypts the file under the current key as \
             it starts, when no other server shares the file), then retire {id}"
        );
    }
    keyring.retire(id)?;
    writeln!(
        out,
        "skjold: retired master key {id}: nothing was under it any more, and its file is deleted"
    )?;
    writeln!(
        out,
        "skjold: backups made while {id} was current still need it: keep it in your offline key backup for as long as you keep them"
    )?;
    Ok(())
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// No mail is sent and no link made by key maintenance: any base URL does.
pub(crate) const NO_LINKS: &str = "https://localhost";

/// `skjold keys rotate --data-keys`: every account gets a new data key, its rows are
/// resealed with it, and data keys no row uses any more are deleted.
pub async fn rotate_data_keys(
    config: &ServeConfig,
    max_rows: Option<u64>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let keyring = std::sync::Arc::new(Keyring::open(&config.key_dir)?);
    check_keyring_environment(&keyring, config)?;
    let database = open_database(config, &keyring, None).await?;
    database.claim_environment(config.environment).await?;
    let app = build_app(config, &keyring, &database, NO_LINKS.to_owned())?;
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
