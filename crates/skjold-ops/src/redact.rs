//! Redaction of log data (C10, ASVS 16.2.5): by field name, and by what a value looks
//! like wherever it stands in free text. It runs on every event and span field before any
//! sink sees them, so no secret reaches standard error or the log vault.

use std::sync::LazyLock;

use regex::Regex;
use skjold_domain::{NationalId, NationalIdError};

/// What a redacted value is replaced by.
pub const REDACTED: &str = "[redacted]";

/// Field names whose values are never logged, as whole names or as `_`/`-`/`.`-separated
/// parts of one (`new_password`, `device_token`, `x-api_key`).
const SECRET_NAMES: &[&str] = &[
    "password",
    "passcode",
    "passphrase",
    "secret",
    "token",
    "api_key",
    "apikey",
    "authorization",
    "cookie",
    "set-cookie",
    "otp",
    "totp",
    "recovery_code",
    "security_answer",
    "national_id",
    "card_number",
    "pan",
    "cvc",
    "cvv",
    "private_key",
];

/// Names secret only as a whole name or as the last part (`sms_code`), since as a first
/// part they name something else (`code_length`), and `status_code` is not a secret.
const SECRET_SUFFIXES: &[&str] = &["code"];
const NOT_SECRET: &[&str] = &["status_code", "error_code", "country_code"];

/// The redaction rules: the built-in names plus an operator's additions.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    extra_names: Vec<String>,
}

impl Redactor {
    /// Rules with `extra_names` (case-insensitive, matched like the built-in ones) added.
    pub fn with_extra_names(extra_names: impl IntoIterator<Item = String>) -> Redactor {
        Redactor {
            extra_names: extra_names
                .into_iter()
                .map(|n| n.trim().to_ascii_lowercase())
                .filter(|n| !n.is_empty())
                .collect(),
        }
    }

    /// Whether a field of this name holds a secret, whatever its value. Runs for every
    /// field of every event, so it allocates nothing.
    pub fn is_secret_name(&self, name: &str) -> bool {
        if NOT_SECRET.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            return false;
        }
        let separator = |b: u8| matches!(b, b'_' | b'-' | b'.');
        let parts = || name.split(['_', '-', '.']);
        let holds = |word: &str| {
            let (n, w) = (name.as_bytes(), word.as_bytes());
            let ends = n.len() > w.len()
                && n[n.len() - w.len()..].eq_ignore_ascii_case(w)
                && separator(n[n.len() - w.len() - 1]);
            let starts =
                n.len() > w.len() && n[..w.len()].eq_ignore_ascii_case(w) && separator(n[w.len()]);
            name.eq_ignore_ascii_case(word)
                || ends
                || starts
                || (!word.contains(['_', '-']) && parts().any(|p| p.eq_ignore_ascii_case(word)))
        };
        SECRET_NAMES.iter().any(|w| holds(w))
            || self.extra_names.iter().any(|w| holds(w))
            || SECRET_SUFFIXES.iter().any(|w| {
                name.eq_ignore_ascii_case(w)
                    || parts()
                        .next_back()
                        .is_some_and(|p| p.eq_ignore_ascii_case(w))
            })
    }

    /// The value of field `name` as it may be logged.
    pub fn field(&self, name: &str, value: &str) -> String {
        if self.is_secret_name(name) {
            REDACTED.to_owned()
        } else {
            redact_text(value)
        }
    }
}

/// Patterns of secrets in free text, in the order they are applied.
static PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // PEM private keys, whole blocks (also an unterminated one, to the end).
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?s:.*?)(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)",
        // age identities (the operators' own key format).
        r"AGE-SECRET-KEY-1[0-9A-Z]+",
        // Credentials after an HTTP authentication scheme.
        r"(?i)\b(?:bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}",
        // Skjold's tokens: skjs_ sessions, skjr_ reset links, skjt_ API tokens, …
        r"skj[a-z]_[A-Za-z0-9_-]{16,}",
        // JWTs and other JOSE compact serialisations.
        r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
        // Credentials inside URLs (scheme://user:password@host).
        r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@",
        // E-mail addresses.
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+",
    ]
    .iter()
    .map(|p| Regex::new(p).unwrap_or_else(|e| panic!("redaction pattern {p}: {e}")))
    .collect()
});

/// The byte ranges of the runs of digits in groups split by single spaces or dashes
/// (where card numbers and national identity numbers hide) that hold at least 11 digits.
/// A plain scan: log lines are full of short numbers, and a regex match each costs more.
fn long_digit_runs(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = 0;
        let mut end = i;
        while i < bytes.len() {
            if bytes[i].is_ascii_digit() {
                digits += 1;
                i += 1;
                end = i;
            } else if matches!(bytes[i], b' ' | b'-')
                && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
            {
                i += 1;
            } else {
                break;
            }
        }
        if digits >= 11 {
            runs.push((start, end));
        }
    }
    runs
}

/// `text` with every secret-looking part replaced by [`REDACTED`]: tokens, keys, JWTs,
/// credentials in URLs, e-mail addresses, card numbers that pass the Luhn check and
/// Norwegian national identity numbers that pass their check digits.
pub fn redact_text(text: &str) -> String {
    let mut out = std::borrow::Cow::Borrowed(text);
    if may_match_a_pattern(text) {
        for pattern in PATTERNS.iter() {
            if pattern.is_match(&out) {
                out = std::borrow::Cow::Owned(pattern.replace_all(&out, REDACTED).into_owned());
            }
        }
    }
    // A card or national identity number has at least 11 digits.
    if out.bytes().filter(u8::is_ascii_digit).count() < 11 {
        return out.into_owned();
    }
    redact_numbers(&out)
}

/// Whether `text` has what one of [`PATTERNS`] needs: an `@`, a `://`, a token or key
/// prefix, an authentication scheme. Most log values (methods, routes, ids, addresses)
/// have none, and one pass over their bytes spares them the patterns: each byte that can
/// start a needle is checked for the needles it starts. (Numbers are checked apart.)
fn may_match_a_pattern(text: &str) -> bool {
    let bytes = text.as_bytes();
    let word_at = |i: usize, word: &[u8]| {
        bytes
            .get(i..i + word.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(word))
    };
    (0..bytes.len()).any(|i| {
        let rest = &bytes[i..];
        match bytes[i] {
            b'@' => true,
            b':' => rest.starts_with(b"://"),
            b's' => rest.starts_with(b"skj") && rest.get(4) == Some(&b'_'),
            b'e' => rest.starts_with(b"eyJ"),
            b'-' => rest.starts_with(b"-----BEGIN"),
            b'A' => rest.starts_with(b"AGE-SECRET-KEY-"),
            b'b' | b'B' => word_at(i, b"bearer") || word_at(i, b"basic"),
            b't' | b'T' => word_at(i, b"token"),
            _ => false,
        }
    })
}

/// Replaces card and national identity numbers among the digit runs of `text`: any
/// consecutive groups of a run whose digits make one. A run glued to letters is part of
/// a word (hex, an id), not a number of its own, and is left alone: random hex would
/// otherwise pass the Luhn check one time in ten.
fn redact_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let glued = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphabetic());
    for (start, end) in long_digit_runs(text) {
        let glued_before = glued(text[..start].chars().next_back());
        let glued_after = glued(text[end..].chars().next());
        let groups: Vec<(usize, usize)> = group_spans(&text[start..end], start);
        let mut hidden: Vec<(usize, usize)> = Vec::new();
        for i in 0..groups.len() {
            if i == 0 && glued_before {
                continue;
            }
            let mut digits = String::new();
            for (j, group) in groups.iter().enumerate().skip(i) {
                digits.push_str(&text[group.0..group.1]);
                if digits.len() > 19 || (j + 1 == groups.len() && glued_after) {
                    break;
                }
                if is_card_number(&digits) || is_national_id(&digits) {
                    hidden.push((groups[i].0, groups[j].1));
                }
            }
        }
        hidden.sort_unstable();
        for (start, end) in hidden {
            if start < last {
                last = last.max(end);
                continue;
            }
            out.push_str(&text[last..start]);
            out.push_str(REDACTED);
            last = end;
        }
    }
    out.push_str(&text[last..]);
    out
}

/// The byte ranges of the digit groups of `run`, which starts at `offset`.
fn group_spans(run: &str, offset: usize) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in run.char_indices() {
        match (c.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                spans.push((offset + s, offset + i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((offset + s, offset + run.len()));
    }
    spans
}

/// 13 to 19 digits of a card network's range (2–6) that pass the Luhn check.
fn is_card_number(digits: &str) -> bool {
    (13..=19).contains(&digits.len()) && matches!(digits.as_bytes()[0], b'2'..=b'6') && luhn(digits)
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d = d * 2;
                if d > 9 { d - 9 } else { d }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// 11 digits whose two check digits match (the date is not asked to be valid: a typo'd
/// date is still somebody's number).
fn is_national_id(digits: &str) -> bool {
    digits.len() == 11
        && matches!(
            NationalId::parse(digits),
            Ok(_) | Err(NationalIdError::Date)
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CARD: &str = "4111111111111111";
    const NATIONAL_ID: &str = "17058510068";

    #[test]
    fn secret_field_names_are_found_as_names_and_parts() {
        let r = Redactor::with_extra_names(["Mother_Maiden_Name".to_owned()]);
        for name in [
            "password",
            "new_password",
            "Authorization",
            "set-cookie",
            "device_token",
            "totp_secret",
            "sms_code",
            "code",
            "recovery_code",
            "national_id",
            "mother_maiden_name",
            "x-api_key",
        ] {
            assert!(r.is_secret_name(name), "{name}");
        }
        for name in [
            "status_code",
            "route",
            "method",
            "code_length",
            "email_verified",
        ] {
            assert!(!r.is_secret_name(name), "{name}");
        }
        assert_eq!(r.field("new_password", "hunter2"), REDACTED);
    }

    #[test]
    fn each_kind_of_secret_is_replaced_and_the_rest_kept() {
        let cases = [
            ("Authorization: Bearer abc.def-ghi_jkl", "Bearer"),
            ("token skjs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "skjs_"),
            (
                "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig-nature_",
                "eyJ",
            ),
            (
                "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY----- after",
                "MIIE",
            ),
            ("AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQ", "AGE-SECRET"),
            ("postgres://skjold:hunter2@db.internal/skjold", "hunter2"),
            ("mail to kari.nordmann@example.no now", "kari"),
            ("card 4111 1111 1111 1111 paid", "4111"),
            ("card 4111-1111-1111-1111", "1111-1111"),
            ("fnr 170585 10068 given", "10068"),
        ];
        for (text, secret) in cases {
            let out = redact_text(text);
            assert!(!out.contains(secret), "{text:?} became {out:?}");
            assert!(out.contains(REDACTED), "{out}");
        }
        assert_eq!(
            redact_text("GET /healthz 200 in 1732582800123 µs, id 12345678901"),
            "GET /healthz 200 in 1732582800123 µs, id 12345678901",
            "timestamps and numbers that fail the checks stay"
        );
        let hex = "536b6a6f6c6420446576656c6f706d656e74";
        assert_eq!(redact_text(hex), hex, "digits inside hex are no card");
        assert_eq!(
            redact_text(&format!("two: {NATIONAL_ID} {CARD}.")),
            format!("two: {REDACTED} {REDACTED}.")
        );
    }

    /// Secrets of every kind the issue names, each put anywhere in a line of any text.
    fn secrets() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Za-z0-9_-]{43}".prop_map(|t| format!("skjs_{t}")),
            "[A-Za-z0-9_-]{43}".prop_map(|t| format!("skjt_{t}")),
            "[A-Za-z0-9._~+/-]{12,40}".prop_map(|t| format!("Bearer {t}")),
            (
                "[A-Za-z0-9_-]{10,30}",
                "[A-Za-z0-9_-]{10,30}",
                "[A-Za-z0-9_-]{10,30}"
            )
                .prop_map(|(a, b, c)| format!("eyJ{a}.{b}.{c}")),
            "[A-Za-z0-9+/\n]{20,200}".prop_map(|k| format!(
                "-----BEGIN EC PRIVATE KEY-----\n{k}\n-----END EC PRIVATE KEY-----"
            )),
            "[0-9]{14}".prop_map(|d| with_luhn(&format!("4{d}"))),
            "[0-9]{13}".prop_map(|d| with_luhn(&format!("5{d}"))),
            ("[a-z][a-z0-9.]{0,20}", "[a-z]{2,12}").prop_map(|(l, d)| format!("{l}@{d}.no")),
            (1u32..=28, 1u32..=12, 0u32..=99, 0u32..=499)
                .prop_filter_map("a valid number", |(d, m, y, i)| national_id(d, m, y, i)),
        ]
    }

    /// `prefix` with the Luhn check digit appended.
    fn with_luhn(prefix: &str) -> String {
        (0..10)
            .map(|d| format!("{prefix}{d}"))
            .find(|n| luhn(n))
            .unwrap_or_default()
    }

    fn national_id(day: u32, month: u32, year: u32, individual: u32) -> Option<String> {
        let digits = format!("{day:02}{month:02}{year:02}{individual:03}");
        (0..100)
            .map(|k| format!("{digits}{k:02}"))
            .find(|n| NationalId::parse(n).is_ok())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn a_secret_anywhere_in_a_line_never_survives(
            before in "[ -~]{0,60}",
            secret in secrets(),
            after in "[ -~]{0,60}",
        ) {
            // The secret stands as a word of its own: glued to more digits, a card number
            // is another number.
            let line = format!("{before} {secret} {after}");
            let out = redact_text(&line);
            prop_assert!(!out.contains(&secret), "{line:?} became {out:?}");
            let field = Redactor::default().field("message", &line);
            prop_assert!(!field.contains(&secret));
        }

        #[test]
        fn a_secret_field_never_survives_whatever_its_value(value in "\\PC{0,80}") {
            let out = Redactor::default().field("password", &value);
            prop_assert_eq!(out, REDACTED);
        }
    }
}
