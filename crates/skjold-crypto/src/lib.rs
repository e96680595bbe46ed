//! Skjold's cryptography: the keyring, keys derived from it, and certificates.
//!
//! Key material lives in [`secrecy`] wrappers: its `Debug` prints `[REDACTED]` and it is
//! zeroized on drop, so a key cannot reach a log line or a panic message by accident.

mod derive;
mod dev_certificate;
mod file_mode;
mod keyring;
mod master_key;

pub use derive::{DatabaseKey, database_key};
pub use dev_certificate::{DevCertificate, DevCertificateError, ensure_dev_certificate};
pub use keyring::{Keyring, KeyringError, ensure_apart};
pub use master_key::{KeyInfo, MasterKey};
