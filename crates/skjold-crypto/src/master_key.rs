//! One version of the master key (the KEK of DESIGN.md §4) and its file format.

use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde::{Deserialize, Serialize};
use skjold_domain::{Environment, KeyId};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

/// Length of a master key in bytes (256 bits).
pub(crate) const KEY_LEN: usize = 32;

/// What may be said about a key without revealing it: for `skjold keys list` and logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    pub id: KeyId,
    pub environment: Environment,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A master key: its public facts and 256 bits of secret material.
#[derive(Debug)]
pub struct MasterKey {
    info: KeyInfo,
    material: SecretBox<[u8; KEY_LEN]>,
}

/// The on-disk form of a key file: TOML, with the material in base64.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    id: KeyId,
    environment: Environment,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    material: SecretString,
}

impl MasterKey {
    /// A fresh key from the operating system's CSPRNG.
    pub(crate) fn generate(info: KeyInfo) -> Result<MasterKey, getrandom::Error> {
        let mut material = SecretBox::new(Box::new([0u8; KEY_LEN]));
        getrandom::fill(secrecy::ExposeSecretMut::expose_secret_mut(&mut material))?;
        Ok(MasterKey { info, material })
    }

    pub fn info(&self) -> &KeyInfo {
        &self.info
    }

    pub(crate) fn material(&self) -> &[u8; KEY_LEN] {
        self.material.expose_secret()
    }

    /// The text of the key's file. Returned zeroizing, as it holds the material.
    pub(crate) fn to_file_text(&self) -> Zeroizing<String> {
        let material = Zeroizing::new(BASE64.encode(self.material()));
        Zeroizing::new(format!(
            "# Skjold master key. Keep this directory apart from the data directory and \
             back it up apart from the data; without it the data cannot be read.\n\
             id = \"{}\"\nenvironment = \"{}\"\ncreated_at = \"{}\"\nmaterial = \"{}\"\n",
            self.info.id,
            self.info.environment,
            self.info
                .created_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            material.as_str(),
        ))
    }

    /// Parses a key file. The error never quotes the file, which holds the material.
    pub(crate) fn from_file_text(text: &str) -> Result<MasterKey, String> {
        let file: KeyFile = toml::from_str(text).map_err(|e| {
            // toml's message quotes the offending line, which could be the material.
            format!("not a key file ({})", e.message())
        })?;
        let decoded = Zeroizing::new(
            BASE64
                .decode(file.material.expose_secret())
                .map_err(|_| "its material is not base64".to_owned())?,
        );
        let bytes: [u8; KEY_LEN] = decoded
            .as_slice()
            .try_into()
            .map_err(|_| format!("its material is not {KEY_LEN} bytes long"))?;
        Ok(MasterKey {
            info: KeyInfo {
                id: file.id,
                environment: file.environment,
                created_at: file.created_at,
            },
            material: SecretBox::new(Box::new(bytes)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> KeyInfo {
        KeyInfo {
            id: KeyId::FIRST,
            environment: Environment::Test,
            created_at: time::macros::datetime!(2026-11-25 02:00 UTC),
        }
    }

    #[test]
    fn a_key_survives_its_file_format() {
        let key = MasterKey::generate(info()).unwrap();
        let back = MasterKey::from_file_text(&key.to_file_text()).unwrap();
        assert_eq!(back.info(), key.info());
        assert_eq!(back.material(), key.material());
    }

    #[test]
    fn debug_output_never_shows_the_material() {
        let key = MasterKey::generate(info()).unwrap();
        let printed = format!("{key:?}");
        let b64 = BASE64.encode(key.material());
        assert!(!printed.contains(&b64));
        assert!(printed.contains("REDACTED"));
    }

    #[test]
    fn a_parse_error_does_not_quote_the_file() {
        let text = "id = \"k1\"\nmaterial = \"c2VjcmV0c2VjcmV0\"\nextra = 1\n";
        let err = MasterKey::from_file_text(text).unwrap_err();
        assert!(!err.contains("c2VjcmV0c2VjcmV0"), "{err}");
    }
}
