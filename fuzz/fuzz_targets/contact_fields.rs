//! A contact as a member types it (the API's JSON and the site's form give the same
//! strings): `ContactInput::parse`, which parses every field.
//!
//! The input is the fields in order, separated by the ASCII unit separator (0x1F):
//! name, e-mail, phone, address, date of birth, national identity number, notes, company,
//! tags (tags separated by the record separator, 0x1E). A missing field is absent.
//!
//! Must hold: no panic; parsed details written back as text (`to_input`, how they are
//! stored and patched) parse to the same details.

#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_domain::ContactInput;
use time::Date;
use time::macros::date;

/// A fixed day, so a date of birth is judged the same on every run.
const TODAY: Date = date!(2026 - 11 - 25);

fuzz_target!(|text: &str| {
    let mut fields = text.split('\u{1f}');
    let mut next = || fields.next().map(str::to_owned);
    let input = ContactInput {
        name: next().unwrap_or_default(),
        email: next(),
        phone: next(),
        address: next(),
        date_of_birth: next(),
        national_id: next(),
        notes: next(),
        company: next(),
        tags: next()
            .map(|tags| tags.split('\u{1e}').map(str::to_owned).collect())
            .unwrap_or_default(),
    };
    let Ok(details) = input.parse(TODAY) else {
        return;
    };
    assert_eq!(details.to_input().parse(TODAY).as_ref(), Ok(&details));
});
