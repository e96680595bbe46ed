//! Recovery codes as a person types them at sign-in (`abcd-efgh-…`, any case, with or
//! without dashes and spaces): `hash_recovery_code`.
//!
//! Must hold: no panic; a code that is accepted is 24 base32 characters once the dashes
//! and spaces are gone, and hashes the same however it is grouped or cased, to the hash
//! of that plain form (what the server stored when it made the code).

#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_crypto::{hash_recovery_code, hash_token};

fuzz_target!(|typed: &str| {
    let Some(hash) = hash_recovery_code(typed) else {
        return;
    };
    let plain: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    assert_eq!(plain.len(), 24, "{typed:?}");
    assert!(
        plain
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'2'..=b'7'))
    );
    assert_eq!(hash, hash_token(&plain));
    let regrouped = plain
        .to_ascii_uppercase()
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" - ");
    assert_eq!(hash_recovery_code(&regrouped), Some(hash));
});
