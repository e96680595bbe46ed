//! `Cookie` headers, as any client may send them: `skjold_http::browser_requests::cookie`,
//! through which the site reads its session, consent and language cookies.
//!
//! The input is one header value a line; a line that is no valid header value is left
//! out, as the HTTP server would refuse it.
//!
//! Must hold: no panic; a cookie found is the value of the first `name=value` pair of
//! that name (so it holds no `;`); a consent cookie found parses, if at all, to a consent
//! that is written back the same way.

#![no_main]

use http::header::{COOKIE, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use skjold_domain::CookieConsent;
use skjold_http::browser_requests::cookie;

/// The names the site reads (the session, the consent, the language).
const NAMES: [&str; 3] = [
    "__Host-skjold_session",
    "__Host-skjold-consent",
    "__Host-skjold-lang",
];

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    for line in data.split(|&b| b == b'\n') {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            headers.append(COOKIE, value);
        }
    }
    let pairs: Vec<(&str, &str)> = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .collect();
    // The names the site reads, and one the input itself names (any name may be asked).
    let asked = NAMES
        .into_iter()
        .chain(pairs.first().map(|(name, _)| *name));
    for name in asked {
        let found = cookie(&headers, name);
        let first = pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        assert_eq!(found, first, "{name:?}");
        if let Some(value) = found {
            assert!(!value.contains(';'), "{value:?}");
        }
    }
    if let Some(Ok(consent)) = cookie(&headers, NAMES[1]).map(str::parse::<CookieConsent>) {
        assert_eq!(
            consent.to_string().parse::<CookieConsent>().as_ref(),
            Ok(&consent)
        );
    }
});
