//! Per-account data keys (the DEKs of DESIGN.md §4) and the cipher that encrypts an
//! account's personal data with them (C17).
//!
//! Each account has its own random 256-bit data key, stored only wrapped (encrypted) by a
//! master key version. Rotating the master key rewraps the small data keys instead of
//! re-encrypting every row; giving an account a new data key re-encrypts its rows.

use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::KeyInit;
use secrecy::{ExposeSecret, SecretBox};
use skjold_domain::KeyId;

use crate::aead;
use crate::derive::derive_key;
use crate::field_cipher::{FieldCipherError, FieldContext};
use crate::master_key::{KEY_LEN, MasterKey};

const WRAP_KEY_INFO: &[u8] = b"skjold/data-key-wrap/v1";

/// One account's data key, version `version`. Zeroized on drop; `Debug` shows no
/// material.
pub struct DataKey {
    version: u32,
    material: SecretBox<[u8; KEY_LEN]>,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// A data key could not be made, wrapped or unwrapped: wrong master key, or a wrapped
/// key that was altered or belongs to another account or version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the account's data key could not be made or opened")]
pub struct DataKeyError;

impl DataKey {
    /// A fresh random data key.
    pub fn generate(version: u32) -> Result<DataKey, DataKeyError> {
        let mut material = SecretBox::new(Box::new([0u8; KEY_LEN]));
        getrandom::fill(secrecy::ExposeSecretMut::expose_secret_mut(&mut material))
            .map_err(|_| DataKeyError)?;
        Ok(DataKey { version, material })
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    /// The raw key, for a key management service to wrap. Never log or store it.
    pub fn material(&self) -> &[u8; KEY_LEN] {
        self.material.expose_secret()
    }

    /// A data key a key management service unwrapped.
    pub fn from_material(version: u32, material: [u8; KEY_LEN]) -> DataKey {
        DataKey {
            version,
            material: SecretBox::new(Box::new(material)),
        }
    }

    /// The data key encrypted under `master`, bound to `account` and this version, so a
    /// wrapped key copied to another account or version does not open.
    pub fn wrap(&self, master: &MasterKey, account: &str) -> Result<Vec<u8>, DataKeyError> {
        aead::seal(
            &wrapping_cipher(master),
            self.material.expose_secret(),
            wrap_aad(account, self.version, master.info().id).as_bytes(),
        )
        .map_err(|_| DataKeyError)
    }

    /// Opens what [`DataKey::wrap`] made with the same master key, account and version.
    pub fn unwrap(
        master: &MasterKey,
        wrapped: &[u8],
        account: &str,
        version: u32,
    ) -> Result<DataKey, DataKeyError> {
        let plain = aead::open(
            &wrapping_cipher(master),
            wrapped,
            wrap_aad(account, version, master.info().id).as_bytes(),
        )
        .map_err(|_| DataKeyError)?;
        let bytes: [u8; KEY_LEN] = plain.as_slice().try_into().map_err(|_| DataKeyError)?;
        Ok(DataKey {
            version,
            material: SecretBox::new(Box::new(bytes)),
        })
    }
}

fn wrapping_cipher(master: &MasterKey) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(derive_key(master, WRAP_KEY_INFO).expose_secret().into())
}

fn wrap_aad(account: &str, version: u32, master: KeyId) -> String {
    format!("data-key\0{account}\0{version}\0{master}")
}

/// Encrypts and decrypts one account's fields under one of its data keys. The associated
/// data binds each ciphertext to its table, column, row, account and key version: moved
/// anywhere else, it fails to open (ASVS 11.3.3).
pub struct AccountCipher {
    account: String,
    version: u32,
    aead: XChaCha20Poly1305,
}

impl std::fmt::Debug for AccountCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountCipher")
            .field("account", &self.account)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl AccountCipher {
    pub fn new(account: &str, key: &DataKey) -> AccountCipher {
        AccountCipher {
            account: account.to_owned(),
            version: key.version,
            aead: XChaCha20Poly1305::new(key.material.expose_secret().into()),
        }
    }

    /// The data key version this cipher uses; stored beside each row it seals.
    pub fn version(&self) -> u32 {
        self.version
    }

    fn aad(&self, at: FieldContext<'_>) -> String {
        format!(
            "{}\0{}\0{}\0{}\0{}",
            at.table, at.column, at.row, self.account, self.version
        )
    }

    pub fn seal(&self, plaintext: &str, at: FieldContext<'_>) -> Result<Vec<u8>, FieldCipherError> {
        aead::seal(&self.aead, plaintext.as_bytes(), self.aad(at).as_bytes())
            .map_err(|_| FieldCipherError)
    }

    pub fn open(&self, sealed: &[u8], at: FieldContext<'_>) -> Result<String, FieldCipherError> {
        let plain = aead::open(&self.aead, sealed, self.aad(at).as_bytes())
            .map_err(|_| FieldCipherError)?;
        String::from_utf8(plain.to_vec()).map_err(|_| FieldCipherError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::master_key::KeyInfo;
    use skjold_domain::Environment;

    fn master(id: &str) -> MasterKey {
        MasterKey::generate(KeyInfo {
            id: id.parse().unwrap(),
            environment: Environment::Test,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        })
        .unwrap()
    }

    const AT: FieldContext<'static> = FieldContext {
        table: "contacts",
        column: "email",
        row: "c1",
    };

    #[test]
    fn a_wrapped_key_opens_only_with_its_master_key_account_and_version() {
        let (k1, k2) = (master("k1"), master("k2"));
        let key = DataKey::generate(1).unwrap();
        let wrapped = key.wrap(&k1, "a1").unwrap();
        let back = DataKey::unwrap(&k1, &wrapped, "a1", 1).unwrap();
        let sealed = AccountCipher::new("a1", &key)
            .seal("ola@example.no", AT)
            .unwrap();
        assert_eq!(
            AccountCipher::new("a1", &back).open(&sealed, AT).unwrap(),
            "ola@example.no"
        );
        assert_eq!(
            DataKey::unwrap(&k2, &wrapped, "a1", 1).unwrap_err(),
            DataKeyError
        );
        assert_eq!(
            DataKey::unwrap(&k1, &wrapped, "a2", 1).unwrap_err(),
            DataKeyError
        );
        assert_eq!(
            DataKey::unwrap(&k1, &wrapped, "a1", 2).unwrap_err(),
            DataKeyError
        );
        // Rewrapping under a new master key keeps the same data key.
        let rewrapped = back.wrap(&k2, "a1").unwrap();
        let again = DataKey::unwrap(&k2, &rewrapped, "a1", 1).unwrap();
        assert_eq!(
            AccountCipher::new("a1", &again).open(&sealed, AT).unwrap(),
            "ola@example.no"
        );
    }

    #[test]
    fn a_ciphertext_moved_to_another_row_column_or_account_fails() {
        let key = DataKey::generate(1).unwrap();
        let cipher = AccountCipher::new("a1", &key);
        let sealed = cipher.seal("12345678901", AT).unwrap();
        assert!(!sealed.windows(5).any(|w| w == b"12345"));
        for at in [
            FieldContext { row: "c2", ..AT },
            FieldContext {
                column: "phone",
                ..AT
            },
            FieldContext {
                table: "users",
                ..AT
            },
        ] {
            assert_eq!(cipher.open(&sealed, at), Err(FieldCipherError));
        }
        // The same key material under another account id does not open it either.
        assert_eq!(
            AccountCipher::new("a2", &key).open(&sealed, AT),
            Err(FieldCipherError)
        );
    }

    #[test]
    fn debug_shows_no_material() {
        let key = DataKey::generate(3).unwrap();
        let text = format!("{key:?} {:?}", AccountCipher::new("a1", &key));
        assert_eq!(
            text,
            "DataKey { version: 3, .. } AccountCipher { account: \"a1\", version: 3, .. }"
        );
    }
}
