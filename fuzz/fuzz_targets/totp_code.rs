//! Authenticator-app codes typed at sign-in and when taking the second step off:
//! `TotpSecret::verify`, at a time the fuzzer chooses.
//!
//! The input is the clock (a little-endian `u64`, taken modulo the years up to 9999: the
//! clock is the server's, not the sender's) and then the code typed.
//!
//! Must hold: no panic, whatever the text says; a code that is accepted is the code of the
//! step it names, and that step is at most one away from the clock's.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use skjold_crypto::TotpSecret;

/// RFC 6238's test secret ("12345678901234567890"), in the base32 it is stored in.
static SECRET: LazyLock<TotpSecret> = LazyLock::new(|| {
    TotpSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        .unwrap_or_else(|e| panic!("the test secret: {e}"))
});

/// 10000-01-01T00:00:00Z in Unix seconds.
const YEAR_10000: u64 = 253_402_300_800;

fuzz_target!(|input: (u64, &str)| {
    let (clock, code) = input;
    let unix_time = clock % YEAR_10000;
    let Some(step) = SECRET.verify(code, unix_time) else {
        return;
    };
    assert!(
        step.abs_diff(unix_time / 30) <= 1,
        "step {step} at {unix_time}"
    );
    assert_eq!(SECRET.code_at(step * 30).ok().as_deref(), Some(code));
});
