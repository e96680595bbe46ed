//! What every statement needs on both backends: running one statement on either pool,
//! and the conversions between stored and domain values.
//!
//! Each statement is written once with `$N` placeholders, which PostgreSQL takes natively
//! and sqlx's SQLite driver binds by number too; [`on_pool!`] runs it on whichever pool
//! this is. Times are stored as Unix seconds.

use skjold_app::StoreFailure;
use time::OffsetDateTime;

/// Runs `$body` with `$pool` bound to the SQLite or the PostgreSQL pool.
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::database::Database::Sqlite($pool) => $body,
            $crate::database::Database::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

pub(crate) fn failure(e: sqlx::Error) -> StoreFailure {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreFailure::Conflict,
        _ => StoreFailure::Other(e.to_string()),
    }
}

pub(crate) fn secs(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

pub(crate) fn time_of(secs: i64) -> Result<OffsetDateTime, StoreFailure> {
    OffsetDateTime::from_unix_timestamp(secs).map_err(|e| StoreFailure::Other(e.to_string()))
}

pub(crate) fn parse<T: std::str::FromStr>(text: &str) -> Result<T, StoreFailure> {
    text.parse()
        .map_err(|_| StoreFailure::Other(format!("malformed value {text:?} in the database")))
}

/// A data key version as stored (an integer column) back to its type.
pub(crate) fn version_of(value: i64) -> Result<u32, StoreFailure> {
    u32::try_from(value).map_err(|_| StoreFailure::Other(format!("key version {value}")))
}
