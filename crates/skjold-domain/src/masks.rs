//! What a caller who may not see personal data (the `restricted` role) sees instead:
//! enough to recognise a record and work with it, not enough to contact or identify the
//! person. One implementation, used by the API, the web app and exports alike.

use crate::{EmailAddress, NationalId, PhoneNumber};

/// `ola.nordmann@example.com` → `o***@example.com`.
pub fn mask_email(email: &EmailAddress) -> String {
    let (local, domain) = email
        .as_str()
        .split_once('@')
        .unwrap_or((email.as_str(), ""));
    let first: String = local.chars().take(1).collect();
    format!("{first}***@{domain}")
}

/// Every digit but the last three hidden: `+4791234123` → `+47 *** ** 123` (a Norwegian
/// number keeps the 3-2-3 grouping it is written in); other countries get the stars in
/// one group: `+46701234567` → `+46 ****** 567`.
pub fn mask_phone(phone: &PhoneNumber) -> String {
    let digits = phone.national_digits();
    let split = digits.len().saturating_sub(3);
    let last = &digits[split..];
    if phone.country_code() == 47 && digits.len() == 8 {
        return format!("+47 *** ** {last}");
    }
    format!("+{} {} {last}", phone.country_code(), "*".repeat(split))
}

/// Hidden entirely: even the date of birth it begins with is personal data.
pub fn mask_national_id(_: &NationalId) -> String {
    "*".repeat(11)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_what_recognises_a_record() {
        let email = EmailAddress::parse("ola.nordmann@example.com").unwrap();
        assert_eq!(mask_email(&email), "o***@example.com");
        let phone = PhoneNumber::parse("+47 912 34 123").unwrap();
        assert_eq!(mask_phone(&phone), "+47 *** ** 123");
        let swedish = PhoneNumber::parse("+46 70 123 45 67").unwrap();
        assert_eq!(mask_phone(&swedish), "+46 ****** 567");
        let id = NationalId::parse("17058510068").unwrap();
        assert_eq!(mask_national_id(&id), "***********");
    }
}
