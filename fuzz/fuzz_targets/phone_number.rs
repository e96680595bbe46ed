//! Phone numbers as people type them (sign-up's SMS second step, contacts):
//! `PhoneNumber::parse`, which hands the text to libphonenumber's port.
//!
//! Must hold: no panic; the E.164 form a number is kept in parses back to the same number
//! (it is stored and later read through the same parser); it is `+`, the country code and
//! the national digits; the mask shown to restricted members never panics.

#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_domain::{PhoneNumber, mask_phone};

fuzz_target!(|text: &str| {
    let Ok(phone) = PhoneNumber::parse(text) else {
        return;
    };
    let e164 = phone.as_str();
    assert!(
        e164.starts_with('+') && e164[1..].bytes().all(|b| b.is_ascii_digit()),
        "not E.164: {e164:?}"
    );
    assert_eq!(
        format!("+{}{}", phone.country_code(), phone.national_digits()),
        e164
    );
    assert_eq!(PhoneNumber::parse(e164).as_ref(), Ok(&phone), "{e164:?}");
    mask_phone(&phone);
});
