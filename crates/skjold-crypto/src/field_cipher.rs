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

/// Encrypts and decrypts fields under one master key version.
pub struct FieldCipher {
    key_id: KeyId,
    aead: XChaCha20Poly1305,
}

impl std::fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldCipher")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl FieldCipher {
    pub fn new(master: &MasterKey) -> FieldCipher {
        let key = derive_key(master, FIELD_KEY_INFO);
        FieldCipher {
            key_id: master.info().id,
            aead: XChaCha20Poly1305::new(key.expose_secret().into()),
        }
    }

    /// The master key version this cipher writes under; stored beside each ciphertext.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    fn aad(&self, at: FieldContext<'_>) -> String {
        format!("{}\0{}\0{}\0{}", at.table, at.column, at.row, self.key_id)
    }

    /// Encrypts `plaintext` for the place `at` (see [`crate::aead`] for the format).
    pub fn seal(&self, plaintext: &str, at: FieldContext<'_>) -> Result<Vec<u8>, FieldCipherError> {
        aead::seal(&self.aead, plaintext.as_bytes(), self.aad(at).as_bytes())
            .map_err(|_| FieldCipherError)
    }

    pub fn open(&self, sealed: &[u8], at: FieldContext<'_>) -> Result<String, FieldCipherError> {
        let plaintext = aead::open(&self.aead, sealed, self.aad(at).as_bytes())
            .map_err(|_| FieldCipherError)?;
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
        FieldCipher::new(&master)
    }

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
        assert_eq!(c.open(&sealed, AT).unwrap(), "ola@example.no");
        let other_row = FieldContext { row: "u2", ..AT };
        assert_eq!(c.open(&sealed, other_row), Err(FieldCipherError));
        let other_column = FieldContext {
            column: "name",
            ..AT
        };
        assert_eq!(c.open(&sealed, other_column), Err(FieldCipherError));
        assert_eq!(
            cipher().open(&sealed, AT),
            Err(FieldCipherError),
            "another key"
        );
    }

    #[test]
    fn the_same_value_seals_differently_each_time() {
        let c = cipher();
        assert_ne!(c.seal("x", AT).unwrap(), c.seal("x", AT).unwrap());
    }
}
