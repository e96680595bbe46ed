//! The embedded database's files in the data directory: the SQLCipher file, the id of the
//! master key its file key is derived from, and the lock of the one process that may
//! re-encrypt it.
//!
//! Several servers may share the file (SQLite locks it for them); each holds a shared
//! lock on the data directory while it runs. After a master key rotation the file moves
//! to a key derived from the new master key (so the old one can be retired) when a
//! process opens it holding the exclusive lock, that is while no server runs: `skjold
//! serve` as it starts, or `skjold keys …`. The move is crash-safe: the id of the key
//! being moved to is written first, and whichever of the two keys opens the file
//! afterwards is the one it is under.

use std::fs::{File, OpenOptions, TryLockError};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use skjold_crypto::{DatabaseKey, Keyring, database_key};
use skjold_domain::KeyId;
use skjold_store::{Database, SqliteTarget, rekey_sqlite, sqlite_key_fits};

/// The embedded database's file name inside the data directory.
const DATABASE_FILE: &str = "skjold.db";
/// Beside it, the id of the master key its file key is derived from.
const KEY_ID_FILE: &str = "skjold.db.key-id";
/// While the file moves to another key: that key's id.
const NEXT_KEY_ID_FILE: &str = "skjold.db.key-id.next";
/// Locked (`flock`): shared by every process using the file, exclusively by one that
/// re-encrypts it.
const LOCK_FILE: &str = "skjold.lock";

/// The data directory's lock; released when dropped or when the process ends.
#[derive(Debug)]
pub(crate) struct DataDirLock {
    file: File,
    exclusive: bool,
}

impl DataDirLock {
    /// Whether this process is the file's only user, and so may re-encrypt it.
    pub(crate) fn is_exclusive(&self) -> bool {
        self.exclusive
    }

    /// Lets other processes in beside this one.
    pub(crate) fn share(&mut self) -> anyhow::Result<()> {
        if self.exclusive {
            self.file
                .lock_shared()
                .context("cannot share the data directory's lock")?;
            self.exclusive = false;
        }
        Ok(())
    }
}

/// Takes the data directory's lock: exclusively if no other process uses the embedded
/// database, else shared (waiting while another process re-encrypts the file).
pub(crate) fn lock(data_dir: &Path) -> anyhow::Result<DataDirLock> {
    let path = data_dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let exclusive = match file.try_lock() {
        Ok(()) => true,
        Err(TryLockError::WouldBlock) => {
            file.lock_shared()
                .with_context(|| format!("cannot lock {}", path.display()))?;
            false
        }
        Err(TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", path.display()));
        }
    };
    Ok(DataDirLock { file, exclusive })
}

/// Opens the embedded database under the key it is encrypted with. With `may_move`
/// (the caller holds the exclusive lock), it first moves the file to the current master
/// key if it is under an older one.
pub(crate) async fn open(
    data_dir: &Path,
    keyring: &Keyring,
    may_move: bool,
) -> anyhow::Result<Database> {
    let id = settle_key(data_dir, keyring, may_move).await?;
    let key = file_key(keyring, id)?;
    Ok(Database::open_sqlite(SqliteTarget {
        path: data_dir.join(DATABASE_FILE),
        key: &key,
    })
    .await?)
}

/// The master key id the embedded database file in `data_dir` is encrypted under.
pub(crate) async fn key_id(data_dir: &Path, keyring: &Keyring) -> anyhow::Result<KeyId> {
    settle_key(data_dir, keyring, false).await
}

fn file_key(keyring: &Keyring, id: KeyId) -> anyhow::Result<DatabaseKey> {
    let master = keyring.get(id).with_context(|| {
        format!(
            "the embedded database is encrypted under master key {id}, which the keyring {} \
             does not hold; restore that key from your key backup",
            keyring.dir().display()
        )
    })?;
    Ok(database_key(master))
}

/// Which key the file is under, finishing an interrupted move (and, if `may_move`,
/// making one to the current key) first.
async fn settle_key(data_dir: &Path, keyring: &Keyring, may_move: bool) -> anyhow::Result<KeyId> {
    let file = data_dir.join(DATABASE_FILE);
    let recorded_path = data_dir.join(KEY_ID_FILE);
    let next_path = data_dir.join(NEXT_KEY_ID_FILE);
    let recorded = recorded_key_id(data_dir, keyring)?;
    let mut under = recorded;
    if let Some(next) = read_key_id(&next_path)? {
        // A move was started: the file is whole under one of the two keys.
        if sqlite_key_fits(&file, &file_key(keyring, recorded)?).await? {
            remove(&next_path, may_move)?;
        } else if sqlite_key_fits(&file, &file_key(keyring, next)?).await? {
            if may_move {
                std::fs::rename(&next_path, &recorded_path)
                    .with_context(|| format!("cannot replace {}", recorded_path.display()))?;
            }
            under = next;
        } else {
            bail!(
                "neither master key {recorded} nor {next} opens {}; restore the data directory \
                 from a backup",
                file.display()
            );
        }
    }
    let current = keyring.current().info().id;
    if !may_move || under == current {
        return Ok(under);
    }
    write_key_id(&next_path, current)?;
    rekey_sqlite(
        &file,
        &file_key(keyring, under)?,
        &file_key(keyring, current)?,
    )
    .await?;
    std::fs::rename(&next_path, &recorded_path)
        .with_context(|| format!("cannot replace {}", recorded_path.display()))?;
    tracing::info!(from = %under, to = %current, "re-encrypted the embedded database under the current master key");
    Ok(current)
}

fn remove(path: &PathBuf, may: bool) -> anyhow::Result<()> {
    if may {
        std::fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))?;
    }
    Ok(())
}

fn read_key_id(path: &Path) -> anyhow::Result<Option<KeyId>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            Ok(Some(text.trim().parse().with_context(|| {
                format!("{} is damaged", path.display())
            })?))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn write_key_id(path: &Path, id: KeyId) -> anyhow::Result<()> {
    std::fs::write(path, format!("{id}\n"))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The master key id recorded beside the file when it was created (with the current
/// key), or last moved.
fn recorded_key_id(data_dir: &Path, keyring: &Keyring) -> anyhow::Result<KeyId> {
    let path = data_dir.join(KEY_ID_FILE);
    if let Some(id) = read_key_id(&path)? {
        return Ok(id);
    }
    if data_dir.join(DATABASE_FILE).exists() {
        bail!(
            "{} is missing, so the key of the database beside it is unknown; restore it from \
             a backup of the data directory",
            path.display()
        );
    }
    let id = keyring.current().info().id;
    write_key_id(&path, id)?;
    Ok(id)
}
