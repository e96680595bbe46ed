//! The password rules of NIST SP 800-63B rev. 4 (ASVS 6.2.x): a minimum length, a generous
//! maximum, every printable character, no composition rules, and no common password.

use secrecy::{ExposeSecret, SecretString};

/// The most common passwords, lower-cased and sorted: see `data/README.md`.
const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

/// NIST's minimum for a password that may be the only factor.
pub const DEFAULT_MIN_LENGTH: usize = 15;
/// The lowest minimum a deployment may configure (ASVS 6.2.1).
pub const LOWEST_MIN_LENGTH: usize = 8;
/// Far above the 64 NIST requires to be accepted; a bound only so that hashing a request
/// body cannot be made arbitrarily expensive.
pub const MAX_LENGTH: usize = 1024;

/// How long a new password must be. Everything else is fixed by the standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    min_length: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_length: DEFAULT_MIN_LENGTH,
        }
    }
}

/// Why a new password was refused, said to the person choosing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRejected {
    #[error(
        "the password must be at least {min} characters long; a few unrelated words make a strong one"
    )]
    TooShort { min: usize },
    #[error("the password may be at most {max} characters long")]
    TooLong { max: usize },
    #[error("the password may not contain control characters such as line breaks or tabs")]
    ControlCharacter,
    #[error(
        "this password is one of the most commonly used ones and easy to guess; choose another"
    )]
    Common,
}

/// A minimum length outside what the standard allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the minimum password length must be between {LOWEST_MIN_LENGTH} and 64, not {0}")]
pub struct InvalidMinLength(pub usize);

impl PasswordPolicy {
    pub fn with_min_length(min_length: usize) -> Result<PasswordPolicy, InvalidMinLength> {
        if (LOWEST_MIN_LENGTH..=64).contains(&min_length) {
            Ok(PasswordPolicy { min_length })
        } else {
            Err(InvalidMinLength(min_length))
        }
    }

    pub fn min_length(&self) -> usize {
        self.min_length
    }

    /// Checks a password someone wants to set. Length counts Unicode code points, as NIST
    /// asks; the password is kept exactly as typed (no trimming, no case folding).
    pub fn check(&self, password: SecretString) -> Result<NewPassword, PasswordRejected> {
        let text = password.expose_secret();
        let length = text.chars().count();
        if length < self.min_length {
            return Err(PasswordRejected::TooShort {
                min: self.min_length,
            });
        }
        if length > MAX_LENGTH {
            return Err(PasswordRejected::TooLong { max: MAX_LENGTH });
        }
        if text.chars().any(char::is_control) {
            return Err(PasswordRejected::ControlCharacter);
        }
        if is_common(text) {
            return Err(PasswordRejected::Common);
        }
        Ok(NewPassword(password))
    }
}

/// Whether `password`, ignoring case, is on the common-password list.
fn is_common(password: &str) -> bool {
    // The list is sorted bytewise; a binary search over its lines needs them indexed once.
    static INDEX: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    let index = INDEX.get_or_init(|| COMMON_PASSWORDS.lines().collect());
    index
        .binary_search(&password.to_lowercase().as_str())
        .is_ok()
}

/// A password that passed the policy and may be hashed and stored.
#[derive(Debug)]
pub struct NewPassword(SecretString);

impl NewPassword {
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(p: &str) -> Result<NewPassword, PasswordRejected> {
        PasswordPolicy::default().check(SecretString::from(p.to_owned()))
    }

    #[test]
    fn the_list_is_sorted_so_binary_search_is_valid() {
        let lines: Vec<&str> = COMMON_PASSWORDS.lines().collect();
        assert_eq!(lines.len(), 100_000);
        assert!(lines.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn a_short_password_is_refused_with_the_minimum() {
        assert_eq!(
            check("fourteen chars").unwrap_err(),
            PasswordRejected::TooShort { min: 15 }
        );
        assert!(check("fifteen chars!!").is_ok());
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        let policy = PasswordPolicy::with_min_length(8).unwrap();
        for common in ["password", "PassWord1", "qwertyuiop", "iloveyou"] {
            let result = policy.check(SecretString::from(common.to_owned()));
            assert_eq!(result.unwrap_err(), PasswordRejected::Common, "{common}");
        }
    }

    #[test]
    fn long_passphrases_with_spaces_and_any_script_are_accepted_as_typed() {
        let p = "Blåbærsyltetøy på brødskiva, 日本語 and émojis 🦀 ".repeat(3);
        let accepted = check(&p).unwrap();
        assert_eq!(
            accepted.expose(),
            p,
            "kept exactly, trailing space included"
        );
        assert!(check(&"x".repeat(128)).is_ok());
    }

    #[test]
    fn control_characters_and_absurd_lengths_are_refused() {
        assert_eq!(
            check("line one\nline two!").unwrap_err(),
            PasswordRejected::ControlCharacter
        );
        assert!(matches!(
            check(&"y".repeat(MAX_LENGTH + 1)),
            Err(PasswordRejected::TooLong { .. })
        ));
    }

    #[test]
    fn the_minimum_can_be_lowered_to_eight_and_no_further() {
        assert!(PasswordPolicy::with_min_length(8).is_ok());
        assert!(PasswordPolicy::with_min_length(7).is_err());
        assert!(PasswordPolicy::with_min_length(65).is_err());
    }
}
