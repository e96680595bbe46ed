//! The display name of an account.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountName(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccountNameError {
    #[error("the account name may not be empty")]
    Empty,
    #[error("the account name may be at most 100 characters long")]
    TooLong,
    #[error("the account name may not contain control characters")]
    ControlCharacter,
}

impl AccountName {
    pub fn parse(text: &str) -> Result<AccountName, AccountNameError> {
        let name = text.trim();
        if name.is_empty() {
            return Err(AccountNameError::Empty);
        }
        if name.chars().count() > 100 {
            return Err(AccountNameError::TooLong);
        }
        if name.chars().any(char::is_control) {
            return Err(AccountNameError::ControlCharacter);
        }
        Ok(AccountName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_trimmed_and_bounded() {
        assert_eq!(
            AccountName::parse("  Integrera AS ").unwrap().as_str(),
            "Integrera AS"
        );
        assert_eq!(AccountName::parse("   "), Err(AccountNameError::Empty));
        assert_eq!(
            AccountName::parse(&"n".repeat(101)),
            Err(AccountNameError::TooLong)
        );
        assert_eq!(
            AccountName::parse("a\u{0}b"),
            Err(AccountNameError::ControlCharacter)
        );
    }
}
