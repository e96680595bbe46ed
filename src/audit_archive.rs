//! Encrypted archives of audit events past their retention (C17): before the daily job
//! deletes the events older than `audit_retention_days` from the database, it seals
//! exactly those events into an archive of the backups' format (zstd, encrypted to the
//! backup recipients, with a manifest) in `audit-archives/` of the backup store. If the
//! archive cannot be written, nothing is deleted. Archives are not pruned: they are the
//! record of what happened, kept until the operator deletes them.
//! `skjold audit archives` lists them and `skjold audit read-archive` prints one's events.

use std::io::Write;
use std::path::Path;

use skjold_crypto::Keyring;
use skjold_domain::hex;
use skjold_ops::backup::Manifest;
use skjold_store::{Cell, Database, Record};
use time::OffsetDateTime;

use crate::backups::{AUDIT_ARCHIVES, Contents, open_backup, open_store, print_manifests, seal};
use crate::config::ServeConfig;

/// Seals the audit events that pruning with `before` deletes into an archive; `None` when
/// there are none. Deletes nothing itself.
pub async fn archive_before(
    config: &ServeConfig,
    keyring: &Keyring,
    database: &Database,
    before: OffsetDateTime,
) -> anyhow::Result<Option<Manifest>> {
    if database.count_audit_events_before(before).await? == 0 {
        return Ok(None);
    }
    let contents = Contents::AuditEventsBefore(before);
    let (manifest, archive) = seal(config, keyring, database, contents, false).await?;
    tracing::info!(
        target: "skjold::audit",
        event = "audit_archived",
        archive = %manifest.id,
        events = manifest.rows,
        stored = %archive,
        "audit events past their retention archived"
    );
    Ok(Some(manifest))
}

/// `skjold audit archives`.
pub fn list(config: &ServeConfig, out: &mut impl Write) -> anyhow::Result<()> {
    let store = open_store(config)?;
    print_manifests(&store, Some(AUDIT_ARCHIVES), "audit archives", out, |m| {
        format!("{:>9} events", m.rows)
    })
}

/// `skjold audit read-archive`: each archived event as one JSON object a line, its
/// columns as the database has them (hashes in hex).
pub fn read(
    config: &ServeConfig,
    id: &str,
    identity: Option<&Path>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let store = open_store(config)?;
    let (_, archive) = open_backup(config, &store, Some(AUDIT_ARCHIVES), id, identity)?;
    let mut columns = Vec::new();
    for record in archive {
        match record? {
            Record::Table { columns: named, .. } => columns = named,
            Record::Row(cells) => {
                let event: serde_json::Map<String, serde_json::Value> = columns
                    .iter()
                    .cloned()
                    .zip(cells.into_iter().map(json_of))
                    .collect();
                serde_json::to_writer(&mut *out, &event)?;
                writeln!(out)?;
            }
        }
    }
    Ok(())
}

fn json_of(cell: Cell) -> serde_json::Value {
    match cell {
        Cell::Null => serde_json::Value::Null,
        Cell::Int(n) => n.into(),
        Cell::Bool(b) => b.into(),
        Cell::Text(text) => text.into(),
        Cell::Bytes(bytes) => hex(&bytes).into(),
    }
}
