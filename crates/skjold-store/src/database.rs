//! Opening, migrating and closing the database, on either backend.
//!
//! The backend is an enum rather than sqlx's `Any` driver: `Any` hides type differences
//! (timestamps, byte arrays, RETURNING) that Skjold's queries need to get right, so each
//! repository writes its SQL once per backend and the match on this enum picks it.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::ExposeSecret;
use skjold_app::{HealthProbe, ProbeFailed};
use skjold_crypto::DatabaseKey;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use crate::error::StoreError;

/// SQLCipher's answer to a wrong key: SQLITE_NOTADB.
const SQLITE_NOTADB: &str = "26";

/// How long a request waits for a free connection before it fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The embedded database: an SQLCipher file and the key that opens it.
#[derive(Debug)]
pub struct SqliteTarget<'a> {
    pub path: PathBuf,
    pub key: &'a DatabaseKey,
}

/// A PostgreSQL server. The password never sits in the URL (that is configuration, which
/// is not a place for secrets); it comes from a file.
#[derive(Debug)]
pub struct PostgresTarget {
    pub url: String,
    pub password_file: Option<PathBuf>,
}

/// A pool of connections to one of the two backends.
#[derive(Clone)]
pub enum Database {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl std::fmt::Debug for Database {
    // The pools' own Debug output could include connect options, and with them the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.backend())
    }
}

impl Database {
    /// Opens (creating if missing) the encrypted SQLite file and applies migrations.
    pub async fn open_sqlite(target: SqliteTarget<'_>) -> Result<Database, StoreError> {
        silence_sqlcipher_log().await;
        let options = SqliteConnectOptions::new()
            .filename(&target.path)
            .create_if_missing(true)
            // sqlx sends `key` before any other statement, as SQLCipher requires.
            .pragma(
                "key",
                target.key.sqlcipher_pragma().expose_secret().to_owned(),
            )
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|source| sqlite_open_error(&target.path, target.key, source))?;
        let db = Database::Sqlite(pool);
        db.migrate().await?;
        Ok(db)
    }

    /// Connects to PostgreSQL and applies migrations (under sqlx's advisory lock, so
    /// instances starting together do not race).
    pub async fn open_postgres(target: PostgresTarget) -> Result<Database, StoreError> {
        let mut options = PgConnectOptions::from_str(&target.url)
            .map_err(|e| StoreError::InvalidUrl(e.to_string()))?;
        if let Some(path) = &target.password_file {
            let password =
                zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|source| {
                    StoreError::PasswordFile {
                        path: path.clone(),
                        source,
                    }
                })?);
            options = options.password(password.trim_end_matches(['\n', '\r']));
        }
        let shown = format!(
            "{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or("")
        );
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::ConnectPostgres {
                target: shown,
                source,
            })?;
        let db = Database::Postgres(pool);
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Database::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Database::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// "sqlite" or "postgres", for logs.
    pub fn backend(&self) -> &'static str {
        match self {
            Database::Sqlite(_) => "sqlite",
            Database::Postgres(_) => "postgres",
        }
    }

    /// Waits for open connections to finish and closes them; for SQLite this also
    /// checkpoints the write-ahead log into the encrypted file.
    pub async fn close(&self) {
        match self {
            Database::Sqlite(pool) => pool.close().await,
            Database::Postgres(pool) => pool.close().await,
        }
    }
}

/// SQLCipher writes its own "ERROR CORE …" lines to stderr when a key is wrong, before
/// Skjold can say what to do about it. Its log level is process-wide but can only be set
/// through a connection, and sqlx sends a file's own pragmas in a fixed order that reads
/// the file before any pragma added here; so it is set once on a throw-away in-memory
/// connection. Every failure still reaches the operator through sqlx's error codes.
async fn silence_sqlcipher_log() {
    let quiet = SqliteConnectOptions::new()
        .in_memory(true)
        .pragma("cipher_log_level", "NONE");
    if let Ok(conn) = sqlx::ConnectOptions::connect(&quiet).await {
        let _ = sqlx::Connection::close(conn).await;
    }
}

/// Whether SQLCipher refused a file because the key does not open it.
pub(crate) fn is_wrong_key(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == SQLITE_NOTADB)
}

fn sqlite_open_error(path: &Path, key: &DatabaseKey, source: sqlx::Error) -> StoreError {
    if is_wrong_key(&source) {
        StoreError::WrongKey {
            path: path.to_owned(),
            key: key.master_key_id(),
        }
    } else {
        StoreError::OpenSqlite {
            path: path.to_owned(),
            source,
        }
    }
}

#[async_trait]
impl HealthProbe for Database {
    async fn ping(&self) -> Result<(), ProbeFailed> {
        let result = match self {
            Database::Sqlite(pool) => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()),
            Database::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()),
        };
        result.map_err(|e| ProbeFailed(format!("{} ping failed: {e}", self.backend())))
    }
}
