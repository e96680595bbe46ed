//! Recovery codes (C13): ten single-use codes that stand in for the second step when the
//! phone or authenticator is lost. Each carries 120 random bits (over ASVS's 112 for a
//! look-up secret kept with a fast hash), written in base32 in groups of four so a person
//! can copy it; only its SHA-256 is stored.

use secrecy::SecretString;

use crate::token::{TokenHash, hash_token};

/// 15 bytes: 120 bits, exactly 24 base32 characters.
const CODE_BYTES: usize = 15;

/// A new recovery code, shown to its owner once, and the hash to store.
pub fn new_recovery_code() -> Result<(SecretString, TokenHash), getrandom::Error> {
    let mut bytes = zeroize::Zeroizing::new([0u8; CODE_BYTES]);
    getrandom::fill(bytes.as_mut())?;
    let plain = zeroize::Zeroizing::new(base32::encode(
        base32::Alphabet::Rfc4648Lower { padding: false },
        bytes.as_ref(),
    ));
    let grouped: Vec<&str> = plain
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    let code = SecretString::from(grouped.join("-"));
    Ok((code, hash_token(&plain)))
}

/// The hash of a recovery code as a person typed it (any case, with or without the
/// dashes and spaces), or `None` if it cannot be one.
pub fn hash_recovery_code(typed: &str) -> Option<TokenHash> {
    let plain: zeroize::Zeroizing<String> = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect::<String>()
        .into();
    let valid = plain.len() == 24 && plain.chars().all(|c| matches!(c, 'a'..='z' | '2'..='7'));
    valid.then(|| hash_token(&plain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn a_code_hashes_the_same_however_it_is_typed() {
        let (code, hash) = new_recovery_code().unwrap();
        let code = code.expose_secret();
        assert_eq!(code.len(), 24 + 5, "{code}");
        assert_eq!(code.matches('-').count(), 5);
        assert_eq!(hash_recovery_code(code), Some(hash.clone()));
        assert_eq!(
            hash_recovery_code(&code.to_uppercase().replace('-', " ")),
            Some(hash)
        );
        assert_eq!(hash_recovery_code("123456"), None);
        let (other, _) = new_recovery_code().unwrap();
        assert_ne!(other.expose_secret(), code);
    }
}
