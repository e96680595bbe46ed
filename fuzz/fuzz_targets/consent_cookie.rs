//! The cookie-consent cookie's value (`1.010.1764150000.<id>`), which every visitor's
//! browser sends back: `CookieConsent::from_str`.
//!
//! Must hold: no panic; a value that parses is written back by `Display` in a form that
//! parses to the same consent (the server re-issues the cookie from the parsed value).

#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_domain::CookieConsent;

fuzz_target!(|text: &str| {
    let Ok(consent) = text.parse::<CookieConsent>() else {
        return;
    };
    let written = consent.to_string();
    assert_eq!(
        written.parse::<CookieConsent>().as_ref(),
        Ok(&consent),
        "{written:?}"
    );
    assert_eq!(consent.id.len(), 32);
});
