//! Names people type for display: an account's name and a person's name.

use std::fmt;

/// The longest name, in characters: room for any real name, not for a document.
const MAX_CHARS: usize = 100;

/// Why a name was refused. The same rules hold for every kind of name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the {0} may not be empty")]
    Empty(&'static str),
    #[error("the {0} may be at most 100 characters long")]
    TooLong(&'static str),
    #[error("the {0} may not contain control characters")]
    ControlCharacter(&'static str),
    #[error("the {0} may not contain characters that change the direction of text")]
    DirectionOverride(&'static str),
}

/// Unicode's explicit direction marks, embeddings, overrides and isolates. In a name
/// quoted in a mail or a page they can make text read differently from what it is
/// ("Trojan Source"): `\u{202E}` turns the rest of a line around.
fn changes_direction(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` without direction marks, embeddings, overrides and isolates: for quoting a
/// name kept from before they were refused.
pub fn without_direction_marks(text: &str) -> String {
    text.chars().filter(|c| !changes_direction(*c)).collect()
}

/// Trims `text` and checks it as a name of kind `what` (used in the error message).
fn parse_name(text: &str, what: &'static str) -> Result<String, NameError> {
    let name = text.trim();
    if name.is_empty() {
        return Err(NameError::Empty(what));
    }
    if name.chars().count() > MAX_CHARS {
        return Err(NameError::TooLong(what));
    }
    // Control characters would let a name forge lines in mails, logs and exports.
    if name.chars().any(char::is_control) {
        return Err(NameError::ControlCharacter(what));
    }
    if name.chars().any(changes_direction) {
        return Err(NameError::DirectionOverride(what));
    }
    Ok(name.to_owned())
}

/// Declares a trimmed, bounded, printable name type.
macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub fn parse(text: &str) -> Result<$name, NameError> {
                parse_name(text, $what).map($name)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_type!(
    /// The display name of an account (a tenant: a company, a team).
    AccountName,
    "account name"
);
name_type!(
    /// What a user wants to be called, as shown to the other members of their accounts.
    PersonName,
    "name"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_trimmed_and_bounded() {
        assert_eq!(
            AccountName::parse("  Integrera AS ").unwrap().as_str(),
            "Integrera AS"
        );
        assert_eq!(
            AccountName::parse("   "),
            Err(NameError::Empty("account name"))
        );
        assert_eq!(
            PersonName::parse(&"n".repeat(101)),
            Err(NameError::TooLong("name"))
        );
        assert_eq!(
            PersonName::parse("Ola\nBcc: x@example.com"),
            Err(NameError::ControlCharacter("name"))
        );
        assert_eq!(
            PersonName::parse(&"ø".repeat(100))
                .unwrap()
                .as_str()
                .chars()
                .count(),
            100
        );
        assert_eq!(
            AccountName::parse("Acme \u{202E}moc.elgoog"),
            Err(NameError::DirectionOverride("account name"))
        );
        assert_eq!(
            PersonName::parse("Ola \u{2067}Nordmann\u{2069}"),
            Err(NameError::DirectionOverride("name"))
        );
        assert!(
            AccountName::parse("שלום Integrera").is_ok(),
            "right-to-left script is fine"
        );
        assert_eq!(
            NameError::Empty("account name").to_string(),
            "the account name may not be empty"
        );
    }
}
