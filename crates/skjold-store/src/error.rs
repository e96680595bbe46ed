//! What can go wrong when opening or using a store, phrased for the operator.

use std::path::PathBuf;

use skjold_domain::{Environment, KeyId};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database {path} cannot be decrypted with master key {key} of the keyring: is \
         --key-dir the keyring this data directory was created with? (restore the keyring \
         from its backup; never delete the database to start over)"
    )]
    WrongKey { path: PathBuf, key: KeyId },
    #[error("cannot open the database {path}: {source}")]
    OpenSqlite { path: PathBuf, source: sqlx::Error },
    #[error(
        "cannot connect to PostgreSQL at {target}: {source}; check --database-url and that the \
         server is running and reachable from this host"
    )]
    ConnectPostgres { target: String, source: sqlx::Error },
    #[error("--database-url is not a valid PostgreSQL URL: {0}")]
    InvalidUrl(String),
    #[error("cannot read the database password file {path}: {source}")]
    PasswordFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot migrate the database schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(
        "the database was created for the {recorded} environment, but this instance is \
         configured as {configured}; point --database-url/--data-dir at the {configured} \
         database, or set --environment {recorded} if this really is {recorded}"
    )]
    EnvironmentMismatch {
        recorded: Environment,
        configured: Environment,
    },
    #[error("the database records an unknown environment {0:?}")]
    UnknownEnvironment(String),
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
    /// A copy of the rows cannot be taken or loaded as asked.
    #[error("{0}")]
    Snapshot(String),
}
