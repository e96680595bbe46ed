//! The erasure ledger (C9): `erasures/` in the backup store, one small JSON object per
//! erasure (`{"at": …, "subject": <keyed hash>}`), each written whole. It lives beside
//! the backups it corrects, off the database, so a restore that has the backups has the
//! ledger too; one object an entry suits object stores, which cannot append.

use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use skjold_app::{ErasedSubject, Erasure, ErasureLedger, StoreFailure};
use time::OffsetDateTime;

use crate::backup_store::BackupStore;

/// The ledger's folder inside the backup store.
pub const LEDGER_DIR: &str = "erasures";

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    subject: String,
}

/// The ledger in a backup store.
#[derive(Debug, Clone)]
pub struct Ledger {
    store: Arc<BackupStore>,
}

impl Ledger {
    pub fn in_store(store: Arc<BackupStore>) -> Ledger {
        Ledger { store }
    }

    fn append(&self, erasure: &Erasure) -> anyhow::Result<()> {
        let at = erasure.at;
        let name = format!("{}-{}.json", crate::backups::new_id(at)?, at.nanosecond());
        let entry = Entry {
            at,
            subject: erasure.subject.to_string(),
        };
        self.store
            .write(Some(LEDGER_DIR), &name, &serde_json::to_vec(&entry)?)
    }

    /// Every erasure recorded at or after `since`, oldest first. An entry that does not
    /// parse is an error: a restore must not skip an erasure it cannot read.
    pub fn since(&self, since: OffsetDateTime) -> anyhow::Result<Vec<Erasure>> {
        let mut found = Vec::new();
        for (name, entry) in self.entries()? {
            let subject: ErasedSubject = entry.subject.parse().with_context(|| {
                format!(
                    "{} is not an erasure ledger entry",
                    self.store.locate(Some(LEDGER_DIR), &name)
                )
            })?;
            if entry.at >= since {
                found.push(Erasure {
                    subject,
                    at: entry.at,
                });
            }
        }
        found.sort_by_key(|e| e.at);
        Ok(found)
    }

    /// Deletes the entries older than `before`: no backup kept is older than they are,
    /// so no restore needs them. How many.
    pub fn prune(&self, before: OffsetDateTime) -> anyhow::Result<usize> {
        let mut deleted = 0;
        for (name, entry) in self.entries()? {
            if entry.at < before {
                self.store.delete(Some(LEDGER_DIR), &name)?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    fn entries(&self) -> anyhow::Result<Vec<(String, Entry)>> {
        self.store
            .json_objects(Some(LEDGER_DIR), ".json", "an erasure ledger entry")
            .with_context(|| {
                format!(
                    "cannot read the erasure ledger {}",
                    self.store.locate(None, LEDGER_DIR)
                )
            })
    }
}

#[async_trait]
impl ErasureLedger for Ledger {
    async fn record(&self, erasure: &Erasure) -> Result<(), StoreFailure> {
        let ledger = self.clone();
        let erasure = erasure.clone();
        tokio::task::spawn_blocking(move || ledger.append(&erasure))
            .await
            .map_err(|e| StoreFailure::Other(format!("the erasure ledger write stopped: {e}")))?
            .map_err(|e| StoreFailure::Other(format!("cannot record the erasure: {e:#}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn erasure(byte: u8, at: i64) -> Erasure {
        Erasure {
            subject: format!("{byte:02x}").repeat(32).parse().unwrap(),
            at: OffsetDateTime::from_unix_timestamp(at).unwrap(),
        }
    }

    #[test]
    fn the_ledger_gives_back_what_came_since_and_forgets_only_what_is_older() {
        let store = tempfile::tempdir().unwrap();
        let ledger = Ledger::in_store(Arc::new(BackupStore::Directory(store.path().to_owned())));
        assert_eq!(ledger.since(OffsetDateTime::UNIX_EPOCH).unwrap(), []);
        for (byte, at) in [(1, 100), (2, 200), (3, 300)] {
            ledger.append(&erasure(byte, at)).unwrap();
        }
        assert_eq!(
            ledger
                .since(OffsetDateTime::from_unix_timestamp(200).unwrap())
                .unwrap(),
            [erasure(2, 200), erasure(3, 300)]
        );
        assert_eq!(
            ledger
                .prune(OffsetDateTime::from_unix_timestamp(200).unwrap())
                .unwrap(),
            1
        );
        assert_eq!(
            ledger.since(OffsetDateTime::UNIX_EPOCH).unwrap(),
            [erasure(2, 200), erasure(3, 300)]
        );

        // An entry that cannot be read stops a restore instead of being skipped.
        std::fs::write(store.path().join(LEDGER_DIR).join("x.json"), "{}").unwrap();
        assert!(ledger.since(OffsetDateTime::UNIX_EPOCH).is_err());
    }
}
