//! The operations layer. Logging (C10): every log line is redacted before anything
//! writes it, then goes to standard error and, sealed to the operators' public keys, to
//! a hash-chained log vault that the server can write but not read back. Backups (C9):
//! archives of the database sealed the same way to the backup recipients.

pub mod redact;
pub mod segment;

mod error;

pub use error::LogError;
pub mod backup;
pub mod backup_retention;
pub mod identity;
pub mod layer;
pub mod read;
pub mod remote_store;
pub mod request_context;
pub mod retention;
pub mod stderr;
pub mod store;
pub mod vault;
pub mod verify;
