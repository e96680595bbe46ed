//! The kinds of second step a user can add to their password (C13).

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondStepMethod {
    /// Codes from an authenticator app (RFC 6238).
    Totp,
    /// Codes sent by text message to a confirmed phone number: a restricted
    /// authenticator (NIST SP 800-63B), offered beside TOTP, not instead of it.
    Sms,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown second step {0:?}: use totp or sms")]
pub struct ParseSecondStepError(String);

impl SecondStepMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            SecondStepMethod::Totp => "totp",
            SecondStepMethod::Sms => "sms",
        }
    }
}

impl FromStr for SecondStepMethod {
    type Err = ParseSecondStepError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [SecondStepMethod::Totp, SecondStepMethod::Sms]
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| ParseSecondStepError(s.to_owned()))
    }
}

impl fmt::Display for SecondStepMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_read_back_what_they_write() {
        for m in [SecondStepMethod::Totp, SecondStepMethod::Sms] {
            assert_eq!(m.as_str().parse::<SecondStepMethod>(), Ok(m));
        }
        assert!("email".parse::<SecondStepMethod>().is_err());
    }
}
