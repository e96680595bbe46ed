//! Norwegian national identity numbers (contacts' `national_id`): `NationalId::parse`.
//!
//! Must hold: no panic; an accepted number is kept as its 11 digits, which parse back to
//! the same number; its mask hides every digit.

#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_domain::{NationalId, mask_national_id};

fuzz_target!(|text: &str| {
    let Ok(id) = NationalId::parse(text) else {
        return;
    };
    let digits = id.as_str();
    assert!(
        digits.len() == 11 && digits.bytes().all(|b| b.is_ascii_digit()),
        "not 11 digits: {digits:?}"
    );
    assert_eq!(NationalId::parse(digits).as_ref(), Ok(&id));
    assert_eq!(mask_national_id(&id), "*".repeat(11));
});
