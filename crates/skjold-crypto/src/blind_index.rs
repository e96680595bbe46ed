//! Blind indexes: keyed HMAC-SHA256 of a normalised value, so an encrypted column can still
//! be looked up by equality (sign in by e-mail) without storing the value in clear. Without
//! the key, the index reveals nothing and cannot be brute-forced from a dictionary.

use crate::mac::hmac_sha256;
use secrecy::{ExposeSecret, SecretBox};

use crate::derive::derive_key;
use crate::master_key::{KEY_LEN, MasterKey};

const BLIND_INDEX_INFO: &[u8] = b"skjold/blind-index/v1";

/// The key of every blind index. It outlives master key versions: an index made under it
/// must keep finding its row after every rotation, so it is derived once, from the first
/// master key, and kept in the keyring on its own before that key is retired (see
/// [`crate::Keyring::blind_index`]).
#[derive(Debug)]
pub struct BlindIndex {
    key: SecretBox<[u8; KEY_LEN]>,
}

impl BlindIndex {
    /// The index key that belongs to a keyring whose oldest key is `master`.
    pub(crate) fn derived_from(master: &MasterKey) -> BlindIndex {
        BlindIndex {
            key: derive_key(master, BLIND_INDEX_INFO),
        }
    }

    pub(crate) fn from_key(key: SecretBox<[u8; KEY_LEN]>) -> BlindIndex {
        BlindIndex { key }
    }

    pub(crate) fn key(&self) -> &[u8; KEY_LEN] {
        self.key.expose_secret()
    }

    /// The index of `value` in `field` (the field name keeps equal values in different
    /// fields from having equal indexes).
    pub fn of(&self, field: &str, value: &str) -> [u8; 32] {
        hmac_sha256(
            self.key.expose_secret(),
            &[field.as_bytes(), &[0], value.as_bytes()],
        )
    }
}
