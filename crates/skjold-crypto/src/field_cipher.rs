//! Field-level encryption (C17) of personal data kept outside any account, such as a
//! user's e-mail address: XChaCha20-Poly1305 with a key derived from a master key, and
//! associated data that binds each ciphertext to its table, column, row and key, so a
//! ciphertext copied into another row or column fails to decrypt (ASVS 11.3.3).

use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::KeyInit;
use secrecy::ExposeSecret;
use skjold_domain::KeyId;

use crate::aead;
use crate::derive::derive_key;
use crate::master_key::MasterKey;

const FIELD_KEY_INFO: &[u8] = b"skjold/user-fields/v1";

/// Where a ciphertext belongs; bound into it as associated data.
#[derive(Debug, Clone, Copy)]
pub struct FieldContext<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row: &'a str,
}

/// A ciphertext could not be made or opened. Deliberately without detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("field encryption failed")]
pub struct FieldCipherError;

/// Encrypts fields under the newest master key version, and decrypts them under
/// whichever version they were sealed with (stored beside each ciphertext), so a rotated
/// master key leaves earlier fields readable.
pub struct FieldCipher {
    current: KeyId,
    aeads: Vec<(KeyId, XChaCha20Poly1305)>,
}

impl std::fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldCipher")
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

impl FieldCipher {
    /// A cipher for `keys`, oldest first: the last one seals.
    pub fn new<'a>(
        current: &'a MasterKey,
        older: impl IntoIterator<Item = &'a MasterKey>,
    ) -> FieldCipher {
        let aeads = older
            .into_iter()
            .chain([current])
            .map(|master| {
                let key = derive_key(master, FIELD_KEY_INFO);
                (
                    master.info().id,
                    XChaCha20Poly1305::new(key.expose_secret().into()),
                )
            })
            .collect();
        FieldCipher {
            current: current.info().id,
            aeads,
        }
    }

    /// The master key version this cipher seals under; store it beside each ciphertext.
    pub fn key_id(&self) -> KeyId {
        self.current
    }

    fn aad(at: FieldContext<'_>, key: KeyId) -> String {
        format!("{}\0{}\0{}\0{}", at.table, at.column, at.row, key)
    }

    fn aead(&self, key: KeyId) -> Result<&XChaCha20Poly1305, FieldCipherError> {
        self.aeads
            .iter()
            .find(|(id, _)| *id == key)
            .map(|(_, aead)| aead)
            .ok_or(FieldCipherError)
    }

    /// Encrypts `plaintext` for the place `at` under the current key (see [`crate::aead`]
    /// for the format).
    pub fn seal(&self, plaintext: &str, at: FieldContext<'_>) -> Result<Vec<u8>, FieldCipherError> {
        let aad = Self::aad(at, self.current);
        aead::seal(
            self.aead(self.current)?,
            plaintext.as_bytes(),
            aad.as_bytes(),
        )
        .map_err(|_| FieldCipherError)
    }

    /// Decrypts what was sealed for `at` under master key `key`.
    pub fn open(
        &self,
        sealed: &[u8],
        key: KeyId,
        at: FieldContext<'_>,
    ) -> Result<String, FieldCipherError> {
        let aad = Self::aad(at, key);
        let plaintext =
            aead::open(self.aead(key)?, sealed, aad.as_bytes()).map_err(|_| FieldCipherError)?;
        String::from_utf8(plaintext.to_vec()).map_err(|_| FieldCipherError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::master_key::KeyInfo;
    use skjold_domain::Environment;

    fn cipher() -> FieldCipher {
        let master = MasterKey::generate(KeyInfo {
            id: KeyId::FIRST,
            environment: Environment::Test,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        })
        .unwrap();
        FieldCipher::new(&master, [])
    }

    const K1: KeyId = KeyId::FIRST;

    const AT: FieldContext<'static> = FieldContext {
        table: "users",
        column: "email",
        row: "u1",
    };

    #[test]
    fn a_sealed_field_opens_only_where_it_was_sealed() {
        let c = cipher();
        let sealed = c.seal("ola@example.no", AT).unwrap();
        assert!(
            !sealed.windows(7).any(|w| w == b"example"),
            "no plaintext in the ciphertext"
        );
        assert_eq!(c.open(&sealed, K1, AT).unwrap(), "ola@example.no");
        let other_row = FieldContext { row: "u2", ..AT };
        assert_eq!(c.open(&sealed, K1, other_row), Err(FieldCipherError));
        let other_column = FieldContext {
            column: "name",
            ..AT
        };
        assert_eq!(c.open(&sealed, K1, other_column), Err(FieldCipherError));
        assert_eq!(
            cipher().open(&sealed, K1, AT),
            Err(FieldCipherError),
            "another key"
        );
    }

    #[test]
    fn after_a_rotation_new_fields_use_the_new_key_and_old_ones_still_open() {
        let k1 = MasterKey::generate(KeyInfo {
            id: K1,
            environment: Environment::Test,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        })
        .unwrap();
        let k2 = MasterKey::generate(KeyInfo {
            id: K1.next(),
            environment: Environment::Test,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        })
        .unwrap();
        let before = FieldCipher::new(&k1, []);
        let old = before.seal("ola@example.no", AT).unwrap();
        let after = FieldCipher::new(&k2, [&k1]);
        assert_eq!(after.key_id(), K1.next());
        assert_eq!(after.open(&old, K1, AT).unwrap(), "ola@example.no");
        let new = after.seal("kari@example.no", AT).unwrap();
        assert_eq!(after.open(&new, K1.next(), AT).unwrap(), "kari@example.no");
        assert_eq!(
            after.open(&new, K1, AT),
            Err(FieldCipherError),
            "bound to its key"
        );
        assert_eq!(
            before.open(&new, K1.next(), AT),
            Err(FieldCipherError),
            "k2 unknown"
        );
    }

    #[test]
    fn the_same_value_seals_differently_each_time() {
        let c = cipher();
        assert_ne!(c.seal("x", AT).unwrap(), c.seal("x", AT).unwrap());
    }
}
