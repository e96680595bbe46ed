//! A Norwegian national identity number: fødselsnummer, or D-number for people without
//! one (first digit raised by 4). Sensitive personal data: `Debug` never prints it.

use time::{Date, Month};

#[derive(Clone, PartialEq, Eq)]
pub struct NationalId(String);

impl std::fmt::Debug for NationalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NationalId(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NationalIdError {
    #[error("the national identity number must be 11 digits")]
    Format,
    #[error("the national identity number's check digits do not match: check for a typo")]
    CheckDigits,
    #[error("the national identity number does not begin with a real date of birth")]
    Date,
}

const WEIGHTS_1: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const WEIGHTS_2: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

/// The mod-11 check digit over `digits` with `weights`; `None` where the rule makes no
/// number valid (a remainder giving 10).
fn check_digit(digits: &[u32], weights: &[u32]) -> Option<u32> {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        digit => Some(digit),
    }
}

/// The birth year from the two-digit year and the individual number, by Skatteetaten's
/// ranges: 000–499 → 1900s; 500–749 with year 54–99 → 1800s; 500–999 with year 00–39 →
/// 2000s; 900–999 with year 40–99 → 1900s.
fn century_year(year: u32, individual: u32) -> Option<i32> {
    let century = match (individual, year) {
        (0..=499, _) => 1900,
        (500..=749, 54..=99) => 1800,
        (500..=999, 0..=39) => 2000,
        (900..=999, 40..=99) => 1900,
        _ => return None,
    };
    i32::try_from(century + year).ok()
}

impl NationalId {
    /// Accepts the 11 digits, optionally with one space after the date (`170585 10068`).
    pub fn parse(text: &str) -> Result<NationalId, NationalIdError> {
        let compact: String = match text.trim().split_once(' ') {
            Some((date, rest)) if date.len() == 6 => format!("{date}{rest}"),
            Some(_) => return Err(NationalIdError::Format),
            None => text.trim().to_owned(),
        };
        let digits: Vec<u32> = compact
            .chars()
            .map(|c| c.to_digit(10))
            .collect::<Option<_>>()
            .ok_or(NationalIdError::Format)?;
        if digits.len() != 11 {
            return Err(NationalIdError::Format);
        }
        let k1 = check_digit(&digits[..9], &WEIGHTS_1);
        let k2 = check_digit(&digits[..10], &WEIGHTS_2);
        if k1 != Some(digits[9]) || k2 != Some(digits[10]) {
            return Err(NationalIdError::CheckDigits);
        }
        let number =
            |range: std::ops::Range<usize>| digits[range].iter().fold(0, |n, d| n * 10 + d);
        let mut day = number(0..2);
        if day > 40 {
            day -= 40; // a D-number
        }
        let year = century_year(number(4..6), number(6..9)).ok_or(NationalIdError::Date)?;
        let month = u8::try_from(number(2..4))
            .ok()
            .and_then(|m| Month::try_from(m).ok())
            .ok_or(NationalIdError::Date)?;
        let day = u8::try_from(day).map_err(|_| NationalIdError::Date)?;
        Date::from_calendar_date(year, month, day).map_err(|_| NationalIdError::Date)?;
        Ok(NationalId(compact))
    }

    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid number for the date and individual number, check digits computed.
    fn valid(date: &str, individual: &str) -> String {
        let base = format!("{date}{individual}");
        let mut digits: Vec<u32> = base.chars().map(|c| c.to_digit(10).unwrap()).collect();
        digits.push(check_digit(&digits, &WEIGHTS_1).unwrap());
        digits.push(check_digit(&digits, &WEIGHTS_2).unwrap());
        digits
            .iter()
            .map(|d| char::from_digit(*d, 10).unwrap())
            .collect()
    }

    #[test]
    fn valid_numbers_parse_and_typos_do_not() {
        assert_eq!(valid("170585", "100"), "17058510068");
        assert_eq!(
            NationalId::parse("170585 10068").unwrap().as_str(),
            "17058510068"
        );
        assert_eq!(
            NationalId::parse("17058510069"),
            Err(NationalIdError::CheckDigits)
        );
        assert_eq!(
            NationalId::parse("1705851006"),
            Err(NationalIdError::Format)
        );
        assert_eq!(
            NationalId::parse("1705851006x"),
            Err(NationalIdError::Format)
        );
    }

    #[test]
    fn d_numbers_and_impossible_dates() {
        let d_number = valid("570585", "100");
        assert!(NationalId::parse(&d_number).is_ok(), "{d_number}");
        let february_30 = valid("300285", "100");
        assert_eq!(NationalId::parse(&february_30), Err(NationalIdError::Date));
        let born_2005 = valid("010105", "500");
        assert!(NationalId::parse(&born_2005).is_ok());
    }

    #[test]
    fn debug_never_shows_the_number() {
        let id = NationalId::parse("17058510068").unwrap();
        assert_eq!(format!("{id:?}"), "NationalId(***)");
    }
}
