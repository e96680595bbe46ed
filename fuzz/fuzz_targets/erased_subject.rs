//! The erasure ledger's subjects (64 hexadecimal digits in each `erasures/*.json` of the
//! backup store, which a restore reads back): `ErasedSubject::from_str`.
//!
//! Must hold: no panic; a subject that parses is written back as the same digits, lower
//! case, and that text parses to the same subject.

#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_app::ErasedSubject;

fuzz_target!(|text: &str| {
    let Ok(subject) = text.parse::<ErasedSubject>() else {
        return;
    };
    let written = subject.to_string();
    assert_eq!(written, text.to_ascii_lowercase());
    assert_eq!(written.parse::<ErasedSubject>().ok(), Some(subject));
});
