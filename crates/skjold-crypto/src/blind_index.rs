//! Blind indexes: keyed HMAC-SHA256 of a normalised value, so an encrypted column can still
//! be looked up by equality (sign in by e-mail) without storing the value in clear. Without
//! the key, the index reveals nothing and cannot be brute-forced from a dictionary.

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;

use crate::derive::derive_key;
use crate::master_key::{KEY_LEN, MasterKey};

const BLIND_INDEX_INFO: &[u8] = b"skjold/blind-index/v1";

/// The key of every blind index.
#[derive(Debug)]
pub struct BlindIndex {
    key: SecretBox<[u8; KEY_LEN]>,
}

impl BlindIndex {
    /// Derived from the oldest master key of the keyring, which every instance holds; a
    /// rotation of the master key leaves lookups working. (Re-indexing under a new key is
    /// its own operation.)
    pub fn new(master: &MasterKey) -> BlindIndex {
        BlindIndex {
            key: derive_key(master, BLIND_INDEX_INFO),
        }
    }

    /// The index of `value` in `field` (the field name keeps equal values in different
    /// fields from having equal indexes).
    pub fn of(&self, field: &str, value: &str) -> [u8; 32] {
        // HMAC takes keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.key.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(field.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().into()
    }
}
