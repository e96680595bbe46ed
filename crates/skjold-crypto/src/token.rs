//! Bearer secrets: session tokens now, API tokens and one-time links later.
//!
//! A token is 256 random bits, base64url, behind a prefix that names its kind (so a leaked
//! one is recognisable to secret scanners and the log filter). Only its SHA-256 is stored:
//! a copy of the database lets no one in (ASVS 7.2.3, 11.5.1).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// The SHA-256 of a token: what the database keeps and looks tokens up by.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenHash(pub [u8; 32]);

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

/// What a token is for; its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Session,
    EmailVerification,
    PasswordReset,
    ApiToken,
    Invitation,
    /// A sign-in waiting for its second step.
    SignInChallenge,
    /// A device that has signed in before.
    Device,
}

impl TokenKind {
    fn prefix(self) -> &'static str {
        match self {
            TokenKind::Session => "skjs_",
            TokenKind::EmailVerification => "skjv_",
            TokenKind::PasswordReset => "skjr_",
            TokenKind::ApiToken => "skjt_",
            TokenKind::Invitation => "skji_",
            TokenKind::SignInChallenge => "skjc_",
            TokenKind::Device => "skjd_",
        }
    }
}

/// A new random token of `kind` and its hash. The token is shown to its owner once.
pub fn new_token(kind: TokenKind) -> Result<(SecretString, TokenHash), getrandom::Error> {
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(bytes.as_mut())?;
    let token = SecretString::from(format!(
        "{}{}",
        kind.prefix(),
        URL_SAFE_NO_PAD.encode(*bytes)
    ));
    let hash = hash_token(token.expose_secret());
    Ok((token, hash))
}

/// The hash a presented token is looked up by. Any text hashes; a forged one finds nothing.
pub fn hash_token(token: &str) -> TokenHash {
    TokenHash(Sha256::digest(token.as_bytes()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_long_random_and_hash_to_what_is_stored() {
        let (a, hash_a) = new_token(TokenKind::Session).unwrap();
        let (b, _) = new_token(TokenKind::Session).unwrap();
        assert!(a.expose_secret().starts_with("skjs_"));
        assert_eq!(a.expose_secret().len(), 5 + 43, "256 bits in base64url");
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert_eq!(hash_token(a.expose_secret()), hash_a);
    }
}
