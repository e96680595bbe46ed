//! E-mail addresses (sign-up, sign-in, invitations, contacts): `EmailAddress::parse`.
//!
//! Must hold: no panic; the normalised address is a fixed point of the parser (it is what
//! accounts are looked up by, so a second normalisation must not make it another
//! address); the mask and `Debug` never panic and never show the local part.

#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_domain::{EmailAddress, mask_email};

fuzz_target!(|text: &str| {
    let Ok(email) = EmailAddress::parse(text) else {
        return;
    };
    assert_eq!(
        EmailAddress::parse(email.as_str()).as_ref(),
        Ok(&email),
        "{:?}",
        email.as_str()
    );
    let (local, domain) = email
        .as_str()
        .split_once('@')
        .unwrap_or_else(|| panic!("no @ in {:?}", email.as_str()));
    assert!(mask_email(&email).ends_with(&format!("***@{domain}")));
    assert_eq!(format!("{email:?}"), format!("EmailAddress(***@{domain})"));
    assert!(!local.is_empty());
});
