//! Moving the embedded database file to a new key (C2, C17): after a master key rotation
//! the file is re-encrypted under a key derived from the new master key, so the old one
//! can be retired.
//!
//! SQLCipher cannot re-key a file in write-ahead-log mode, so the log is checkpointed
//! into the file and the file switched to a rollback journal first; `PRAGMA rekey` then
//! rewrites every page in one transaction. A crash part-way leaves a hot journal that the
//! next open under the old key rolls back: the file is always whole under one of the two
//! keys, and [`sqlite_key_fits`] tells which. The caller must be the file's only user.

use std::path::Path;

use secrecy::ExposeSecret;
use skjold_crypto::DatabaseKey;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection, SqliteConnection};

use crate::database::is_wrong_key;
use crate::error::StoreError;

async fn connect(
    path: &Path,
    key: &DatabaseKey,
    journal: SqliteJournalMode,
) -> Result<SqliteConnection, sqlx::Error> {
    SqliteConnectOptions::new()
        .filename(path)
        .pragma("key", key.sqlcipher_pragma().expose_secret().to_owned())
        .journal_mode(journal)
        .connect()
        .await
}

/// Whether `key` opens the SQLite file at `path`.
pub async fn sqlite_key_fits(path: &Path, key: &DatabaseKey) -> Result<bool, StoreError> {
    let opened = async {
        let mut conn = connect(path, key, SqliteJournalMode::Wal).await?;
        sqlx::query("SELECT COUNT(*) FROM sqlite_master")
            .execute(&mut conn)
            .await?;
        conn.close().await
    };
    match opened.await {
        Ok(()) => Ok(true),
        Err(e) if is_wrong_key(&e) => Ok(false),
        Err(source) => Err(StoreError::OpenSqlite {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Re-encrypts the SQLite file at `path` from `old` to `new`.
pub async fn rekey_sqlite(
    path: &Path,
    old: &DatabaseKey,
    new: &DatabaseKey,
) -> Result<(), StoreError> {
    let failed = |source| StoreError::OpenSqlite {
        path: path.to_owned(),
        source,
    };
    // Opening in rollback-journal mode checkpoints the log into the file.
    let mut conn = connect(path, old, SqliteJournalMode::Delete)
        .await
        .map_err(failed)?;
    let rekey = format!("PRAGMA rekey = {}", new.sqlcipher_pragma().expose_secret());
    sqlx::query(sqlx::AssertSqlSafe(rekey))
        .execute(&mut conn)
        .await
        .map_err(failed)?;
    conn.close().await.map_err(failed)
}
