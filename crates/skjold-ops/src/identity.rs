//! The operators' keys to the log vault and the backups: X25519 identities in `age`'s
//! format. The server holds only the public recipients; an identity file is what an
//! operator keeps.

use age::secrecy::ExposeSecret;
use age::x25519;
pub use age::x25519::{Identity, Recipient};

use crate::error::LogError;

/// The X25519 identities in an identity file (one `AGE-SECRET-KEY-1…` a line; `#`
/// comments and blank lines ignored).
pub fn identities_from(text: &str) -> Result<Vec<x25519::Identity>, LogError> {
    let identities: Vec<x25519::Identity> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            l.parse::<x25519::Identity>().map_err(|_| {
                LogError::Config(
                    "the identity file holds a line that is not an age X25519 identity".to_owned(),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    if identities.is_empty() {
        return Err(LogError::Config(
            "the identity file holds no identity".to_owned(),
        ));
    }
    Ok(identities)
}

/// Parses recipients (`age1…`), naming the one that is not.
pub fn recipients_from(list: &[String]) -> Result<Vec<x25519::Recipient>, LogError> {
    list.iter()
        .map(|r| {
            r.trim().parse::<x25519::Recipient>().map_err(|_| {
                LogError::Config(format!("{r:?} is not an age X25519 recipient (age1…)"))
            })
        })
        .collect()
}

/// A new identity file's text (with its public key in a comment), and its recipient.
pub fn new_identity_file(created: &str) -> (String, String) {
    let identity = x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let text = format!(
        "# Skjold operator identity, created {created}\n# public key: {recipient}\n{}\n",
        identity.to_string().expose_secret()
    );
    (text, recipient)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identity_file_is_read_and_a_bad_one_refused_without_echoing_it() {
        let identity = x25519::Identity::generate();
        let secret = identity.to_string().expose_secret().to_owned();
        let file = format!(
            "# created: today\n# public key: {}\n{secret}\n",
            identity.to_public()
        );
        assert_eq!(identities_from(&file).unwrap().len(), 1);
        // Another last character (bech32's checksum catches any one changed); one that
        // differs from the secret's own, which is X one time in 32.
        let other = if secret.ends_with('X') { 'Q' } else { 'X' };
        let broken = format!("{}{other}", &secret[..secret.len() - 1]);
        let Err(error) = identities_from(&broken) else {
            panic!("a broken identity was accepted")
        };
        let error = error.to_string();
        assert!(!error.contains(&broken[20..]), "{error}");
        assert!(identities_from("# nothing\n").is_err());
    }

    #[test]
    fn a_new_identity_file_reads_back_to_its_recipient() {
        let (text, recipient) = new_identity_file("today");
        let identities = identities_from(&text).unwrap();
        assert_eq!(identities[0].to_public().to_string(), recipient);
        assert_eq!(recipients_from(&[recipient]).unwrap().len(), 1);
        assert!(recipients_from(&["age1nope".to_owned()]).is_err());
    }
}
