//! A visitor's cookie choice (C21), as the strictly necessary consent cookie keeps it:
//! `<policy version>.<preferences><statistics><marketing>.<unix time>.<consent id>`,
//! for example `1.010.1764150000.3f9c…`. Nothing in it names a person; the consent id
//! ties the cookie to the server's record of the choice, for proof of consent.

use std::fmt;
use std::str::FromStr;

/// The cookie policy in force. Raise it when the policy changes: every visitor whose
/// choice was made under an older one is asked again.
pub const COOKIE_POLICY_VERSION: u32 = 1;

/// Which optional categories a visitor allows. Strictly necessary cookies need no
/// consent and are not a choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CookieChoice {
    pub preferences: bool,
    pub statistics: bool,
    pub marketing: bool,
}

impl CookieChoice {
    /// "Reject all": the default.
    pub const NONE: CookieChoice = CookieChoice {
        preferences: false,
        statistics: false,
        marketing: false,
    };
    /// "Accept all".
    pub const ALL: CookieChoice = CookieChoice {
        preferences: true,
        statistics: true,
        marketing: true,
    };
}

/// A choice made at a time under a policy version, with its record's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieConsent {
    pub version: u32,
    pub choice: CookieChoice,
    /// Unix seconds.
    pub at: i64,
    /// 32 lower-case hex digits.
    pub id: String,
}

impl CookieConsent {
    /// Whether the choice was made under the policy in force; if not, ask again.
    pub fn is_current(&self) -> bool {
        self.version == COOKIE_POLICY_VERSION
    }
}

/// A consent cookie that does not parse: treated as no choice at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a cookie consent")]
pub struct NotAConsent;

impl FromStr for CookieConsent {
    type Err = NotAConsent;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut parts = text.split('.');
        let (Some(version), Some(flags), Some(at), Some(id), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(NotAConsent);
        };
        let flag = |i: usize| match flags.as_bytes().get(i) {
            Some(b'0') => Ok(false),
            Some(b'1') => Ok(true),
            _ => Err(NotAConsent),
        };
        if flags.len() != 3
            || id.len() != 32
            || !id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(NotAConsent);
        }
        Ok(CookieConsent {
            version: version.parse().map_err(|_| NotAConsent)?,
            choice: CookieChoice {
                preferences: flag(0)?,
                statistics: flag(1)?,
                marketing: flag(2)?,
            },
            at: at.parse().map_err(|_| NotAConsent)?,
            id: id.to_owned(),
        })
    }
}

impl fmt::Display for CookieConsent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bit = |on: bool| if on { '1' } else { '0' };
        write!(
            f,
            "{}.{}{}{}.{}.{}",
            self.version,
            bit(self.choice.preferences),
            bit(self.choice.statistics),
            bit(self.choice.marketing),
            self.at,
            self.id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_consent_reads_back_as_written_and_nothing_else_parses() {
        let consent = CookieConsent {
            version: COOKIE_POLICY_VERSION,
            choice: CookieChoice {
                preferences: false,
                statistics: true,
                marketing: false,
            },
            at: 1_764_150_000,
            id: "0123456789abcdef0123456789abcdef".to_owned(),
        };
        let text = consent.to_string();
        assert_eq!(text, "1.010.1764150000.0123456789abcdef0123456789abcdef");
        assert_eq!(text.parse::<CookieConsent>(), Ok(consent));
        for bad in [
            "",
            "1.010.1764150000",
            "1.012.1764150000.0123456789abcdef0123456789abcdef",
            "1.01.1764150000.0123456789abcdef0123456789abcdef",
            "x.010.1764150000.0123456789abcdef0123456789abcdef",
            "1.010.1764150000.0123456789ABCDEF0123456789abcdef",
            "1.010.1764150000.0123456789abcdef0123456789abcdef.1",
        ] {
            assert!(bad.parse::<CookieConsent>().is_err(), "{bad}");
        }
    }
}
