//! Skjold's storage: SQL for the embedded SQLCipher database and for PostgreSQL,
//! migrations, and the repositories that implement the `app` layer's ports.
//!
//! No business rule lives here; each function is one statement or one transaction.

mod accounts;
mod audit;
mod contacts;
mod database;
mod error;
mod jobs;
mod key_maintenance;
mod members;
mod meta;
mod profiles;
mod rate_limits;
mod rekey;
mod second_steps;
mod sign_in_guard;
mod sms_codes;
mod snapshot;
mod sql;

pub use database::{Database, PostgresTarget, SqliteTarget};
pub use error::StoreError;
pub use rekey::{rekey_sqlite, sqlite_key_fits};
pub use snapshot::{Cell, Record, RecordSink, TABLES};
