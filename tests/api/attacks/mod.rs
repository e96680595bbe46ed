//! The attack suite (C5): what an attacker tries against the running server, kept as
//! tests, one file per OWASP ASVS chapter. Each test is written from the attacker's
//! side (a stolen session, a lower role, a guessing loop) and asserts what they observe.
//!
//! The first tests here are the findings of an outside review of the release binary,
//! each failing on the code it reviewed and passing since the fix.

mod every_route;
mod v6_authentication;
mod v8_authorization;
