//! E-mail addresses: parsed once, normalised, then valid everywhere.

use std::fmt;

/// A syntactically valid, normalised e-mail address.
///
/// Normalisation trims surrounding white space and lower-cases the whole address. RFC 5321
/// lets a server treat the local part case-sensitively, but no mail provider in practice
/// does, and two accounts for `Ola@x.no` and `ola@x.no` would be a trap for their owner.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

/// Why a text is not an e-mail address Skjold accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("an e-mail address needs exactly one @ with text on both sides")]
    Shape,
    #[error("an e-mail address may be at most 254 characters long")]
    TooLong,
    #[error("the part before @ may be at most 64 characters and may not contain spaces or quotes")]
    LocalPart,
    #[error("the domain after @ must be a host name such as example.com")]
    Domain,
}

impl EmailAddress {
    pub fn parse(text: &str) -> Result<EmailAddress, EmailError> {
        let address = text.trim().to_lowercase();
        if address.chars().count() > 254 {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = address.split_once('@').ok_or(EmailError::Shape)?;
        if local.is_empty() || domain.is_empty() || domain.contains('@') {
            return Err(EmailError::Shape);
        }
        let local_ok = local.chars().count() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"\"(),:;<>[\\]".contains(c));
        if !local_ok {
            return Err(EmailError::LocalPart);
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.chars().count() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !domain_ok {
            return Err(EmailError::Domain);
        }
        Ok(EmailAddress(address))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EmailAddress {
    // Personal data: a Debug print (a log line, a panic) shows only the domain.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let domain = self.0.split_once('@').map_or("", |(_, d)| d);
        write!(f, "EmailAddress(***@{domain})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_trimmed_and_lower_cased() {
        let e = EmailAddress::parse("  Ola.Nordmann+test@Example.NO ").unwrap();
        assert_eq!(e.as_str(), "ola.nordmann+test@example.no");
    }

    #[test]
    fn international_domains_and_local_parts_are_accepted() {
        assert!(EmailAddress::parse("blåbær@smørbrød.no").is_ok());
    }

    #[test]
    fn malformed_addresses_are_rejected_with_the_reason() {
        for (bad, why) in [
            ("", EmailError::Shape),
            ("ola", EmailError::Shape),
            ("@example.com", EmailError::Shape),
            ("ola@", EmailError::Shape),
            ("a@b@c.no", EmailError::Shape),
            ("o la@example.com", EmailError::LocalPart),
            ("ola..n@example.com", EmailError::LocalPart),
            ("ola@localhost", EmailError::Domain),
            ("ola@-bad.no", EmailError::Domain),
            ("ola@exa mple.no", EmailError::Domain),
        ] {
            assert_eq!(EmailAddress::parse(bad), Err(why), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(EmailAddress::parse(&long), Err(EmailError::TooLong));
    }

    #[test]
    fn debug_output_hides_the_local_part() {
        let e = EmailAddress::parse("secret.person@example.com").unwrap();
        assert!(!format!("{e:?}").contains("secret.person"));
    }
}
