//! Log redaction, which runs on every log field before anything writes it, over text that
//! often comes straight from a request (a search term, a header, an address typed in):
//! `Redactor::field` and `redact_text`.
//!
//! The input's first line is a field name, the rest its value.
//!
//! Must hold: no panic; a field whose name is a secret's is redacted whole; no national
//! identity number that passes its check digits is left in the text where it stands
//! alone (a run of digits glued to letters is a word, an id or hex, and is left alone on
//! purpose).

#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_domain::NationalId;
use skjold_ops::redact::{REDACTED, Redactor, redact_text};

fuzz_target!(|text: &str| {
    let (name, value) = text.split_once('\n').unwrap_or(("message", text));
    let redactor = Redactor::with_extra_names(["customer_ref".to_owned()]);
    let logged = redactor.field(name, value);
    if redactor.is_secret_name(name) {
        assert_eq!(logged, REDACTED);
        return;
    }
    assert_eq!(logged, redact_text(value));
    let bytes = logged.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let end = at
            + bytes[at..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
        if end == at {
            at += 1;
            continue;
        }
        let glued = |i: Option<&u8>| i.is_some_and(u8::is_ascii_alphanumeric);
        let alone = !glued(at.checked_sub(1).and_then(|i| bytes.get(i))) && !glued(bytes.get(end));
        if alone && end - at == 11 {
            assert!(
                NationalId::parse(&logged[at..end]).is_err(),
                "a national identity number was left in {logged:?}"
            );
        }
        at = end;
    }
});
