//! Skjold's cryptography: the keyring, keys derived from it, and certificates.
//!
//! Key material lives in [`secrecy`] wrappers: its `Debug` prints `[REDACTED]` and it is
//! zeroized on drop, so a key cannot reach a log line or a panic message by accident.

mod aead;
mod audit_chain;
mod blind_index;
mod data_key;
mod derive;
mod dev_certificate;
mod field_cipher;
mod file_mode;
mod keyring;
mod mac;
mod master_key;
mod numeric_code;
mod password_hash;
mod record_id;
mod recovery_code;
mod token;
mod totp;
mod webhook;

pub use audit_chain::{AUDIT_GENESIS, AuditLink, audit_hash};
pub use blind_index::BlindIndex;
pub use data_key::{AccountCipher, DataKey, DataKeyError};
pub use derive::{DatabaseKey, database_key};
pub use dev_certificate::{DevCertificate, DevCertificateError, ensure_dev_certificate};
pub use field_cipher::{FieldCipher, FieldCipherError, FieldContext};
pub use keyring::{Keyring, KeyringError, ensure_apart};
pub use master_key::{KeyInfo, MasterKey};
pub use numeric_code::new_numeric_code;
pub use password_hash::{HashFailed, HashParams, HashParamsError, PasswordHashing, Verification};
pub use record_id::new_record_id;
pub use recovery_code::{hash_recovery_code, new_recovery_code};
pub use token::{TokenHash, TokenKind, hash_token, new_token};
pub use totp::{TotpError, TotpSecret};
pub use webhook::sign_webhook;
