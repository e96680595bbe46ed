//! A telephone number in E.164 form (`+4791234567`), parsed and validated with
//! `phonenumber`, the Rust port of Google's libphonenumber: each country's numbering plan
//! decides what is a real number, not a regular expression of ours.

use phonenumber::{Mode, country};

#[derive(Clone, PartialEq, Eq)]
pub struct PhoneNumber {
    e164: String,
    country_code: u16,
}

/// Personal data: `Debug` never prints the number.
impl std::fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PhoneNumber(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("the phone number is not a number any country uses: write it as +47 912 34 567")]
    Invalid,
}

impl PhoneNumber {
    /// Accepts international forms (`+47 912 34 567`, `0047 91234567`) and, without a
    /// country code, a Norwegian number (`91234567`).
    pub fn parse(text: &str) -> Result<PhoneNumber, PhoneError> {
        let text = text.trim();
        let international = text.strip_prefix("00").map(|rest| format!("+{rest}"));
        let number = phonenumber::parse(
            Some(country::Id::NO),
            international.as_deref().unwrap_or(text),
        )
        .map_err(|_| PhoneError::Invalid)?;
        if !phonenumber::is_valid(&number) {
            return Err(PhoneError::Invalid);
        }
        Ok(PhoneNumber {
            e164: number.format().mode(Mode::E164).to_string(),
            country_code: number.code().value(),
        })
    }

    /// E.164: `+`, the country code and the national number, no spaces.
    pub fn as_str(&self) -> &str {
        &self.e164
    }

    pub fn country_code(&self) -> u16 {
        self.country_code
    }

    /// The national number's digits (after the country code).
    pub fn national_digits(&self) -> &str {
        let code_len = self.country_code.to_string().len();
        &self.e164[1 + code_len..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_common_form_gives_e164() {
        for text in [
            "+47 912 34 567",
            "0047 91234567",
            "91234567",
            " +4791234567 ",
        ] {
            let phone = PhoneNumber::parse(text).unwrap();
            assert_eq!(phone.as_str(), "+4791234567", "{text}");
            assert_eq!(phone.country_code(), 47);
            assert_eq!(phone.national_digits(), "91234567");
        }
        assert_eq!(
            PhoneNumber::parse("+46 70 123 45 67").unwrap().as_str(),
            "+46701234567"
        );
    }

    #[test]
    fn numbers_no_country_uses_are_refused() {
        for text in ["123", "+47 1234", "not a number", ""] {
            assert_eq!(PhoneNumber::parse(text), Err(PhoneError::Invalid), "{text}");
        }
    }

    #[test]
    fn debug_never_shows_the_number() {
        assert_eq!(
            format!("{:?}", PhoneNumber::parse("91234567").unwrap()),
            "PhoneNumber(***)"
        );
    }
}
