//! Keys derived from the master key with HKDF-SHA256, one purpose each.
//!
//! Deriving instead of storing means a derived key never touches the disk: whoever holds
//! the data directory but not the keyring holds nothing that opens it.

use hkdf::Hkdf;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::Sha256;
use skjold_domain::KeyId;

use crate::master_key::{KEY_LEN, MasterKey};

/// The context string that makes the SQLCipher key differ from every other derived key.
const DATABASE_KEY_INFO: &[u8] = b"skjold/sqlcipher-file-key/v1";

/// The key of the embedded database file, and the master key version it came from.
#[derive(Debug)]
pub struct DatabaseKey {
    master: KeyId,
    bytes: SecretBox<[u8; KEY_LEN]>,
}

impl DatabaseKey {
    /// Which master key version this key was derived from.
    pub fn master_key_id(&self) -> KeyId {
        self.master
    }

    /// The value of SQLCipher's `PRAGMA key` for this raw 256-bit key: `"x'<64 hex>'"`.
    /// A raw key skips SQLCipher's own PBKDF2, which only matters for passphrases.
    pub fn sqlcipher_pragma(&self) -> SecretString {
        let hex: String = self
            .bytes
            .expose_secret()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        SecretString::from(format!("\"x'{hex}'\""))
    }
}

/// The SQLCipher key belonging to `master`.
pub fn database_key(master: &MasterKey) -> DatabaseKey {
    DatabaseKey {
        master: master.info().id,
        bytes: derive_key(master, DATABASE_KEY_INFO),
    }
}

/// A 256-bit key for one purpose, named by `info`, from `master`.
pub(crate) fn derive_key(master: &MasterKey, info: &[u8]) -> SecretBox<[u8; KEY_LEN]> {
    let hkdf = Hkdf::<Sha256>::new(None, master.material());
    let mut bytes = SecretBox::new(Box::new([0u8; KEY_LEN]));
    // 32 bytes is far below HKDF-SHA256's limit of 255 * 32, so expand cannot fail.
    let _ = hkdf.expand(
        info,
        secrecy::ExposeSecretMut::expose_secret_mut(&mut bytes),
    );
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::master_key::KeyInfo;
    use skjold_domain::Environment;

    fn key() -> MasterKey {
        MasterKey::generate(KeyInfo {
            id: KeyId::FIRST,
            environment: Environment::Test,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        })
        .unwrap()
    }

    #[test]
    fn the_database_key_is_stable_and_differs_from_the_master_key() {
        let master = key();
        let a = database_key(&master);
        let b = database_key(&master);
        assert_eq!(a.bytes.expose_secret(), b.bytes.expose_secret());
        assert_ne!(a.bytes.expose_secret(), master.material());
        assert_ne!(
            database_key(&key()).bytes.expose_secret(),
            a.bytes.expose_secret()
        );
    }

    #[test]
    fn the_pragma_is_a_quoted_raw_hex_key() {
        let pragma = database_key(&key()).sqlcipher_pragma();
        let text = pragma.expose_secret();
        assert_eq!(text.len(), "\"x'".len() + 64 + "'\"".len());
        assert!(text.starts_with("\"x'") && text.ends_with("'\""));
    }
}
