//! Versioned key identifiers: `k1`, `k2`, …
//!
//! Every ciphertext names the key that made it, so old and new keys coexist during a
//! rotation; the number orders them, the newest being the current one.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The id of one version of a master key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyId(u32);

/// The text is not of the form `k<positive number>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid key id {0:?}: expected k1, k2, …")]
pub struct ParseKeyIdError(String);

impl KeyId {
    /// The first key of a new keyring.
    pub const FIRST: KeyId = KeyId(1);

    /// The id that follows this one, for a rotation.
    pub fn next(self) -> KeyId {
        KeyId(self.0.saturating_add(1))
    }
}

impl FromStr for KeyId {
    type Err = ParseKeyIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseKeyIdError(s.to_owned());
        let digits = s.strip_prefix('k').ok_or_else(err)?;
        // Reject "k01" and "k+1": one spelling per id keeps file names unambiguous.
        if digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        digits.parse::<u32>().map(KeyId).map_err(|_| err())
    }
}

impl TryFrom<String> for KeyId {
    type Error = ParseKeyIdError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<KeyId> for String {
    fn from(id: KeyId) -> Self {
        id.to_string()
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` so that width and alignment flags work in tables.
        f.pad(&format!("k{}", self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_id_round_trips_through_its_text() {
        let id: KeyId = "k42".parse().unwrap();
        assert_eq!(id.to_string(), "k42");
        assert_eq!(KeyId::FIRST.next().to_string(), "k2");
    }

    #[test]
    fn ids_order_by_number_not_by_text() {
        let k9: KeyId = "k9".parse().unwrap();
        let k10: KeyId = "k10".parse().unwrap();
        assert!(k10 > k9);
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for bad in [
            "",
            "k",
            "k0",
            "k01",
            "1",
            "K1",
            "k-1",
            "k+1",
            "k1a",
            "k99999999999",
        ] {
            assert!(bad.parse::<KeyId>().is_err(), "{bad} should be rejected");
        }
    }
}
