//! Skjold's integration tests: the real binary, real HTTPS, a real database. One test
//! binary for all of them, to link once.
//!
//! Test names cite the OWASP ASVS 5.0 item or design control they prove, so
//! docs/controls.md can point from a requirement to its proof.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod emulators;
mod helpers;
mod mailbox;

mod accounts;
mod attacks;
mod audit;
mod backup;
mod browser;
mod browser_a11y;
mod browser_account;
mod browser_contacts;
mod browser_members;
mod brute_force;
mod cli;
mod contacts;
mod headers;
mod health;
mod keys;
mod kms;
mod log_vault;
mod logging;
mod members;
mod metrics;
mod openapi;
mod people;
mod profile;
mod rate_limits;
mod recovery;
mod redirect;
mod second_step;
mod site;
mod sms;
mod startup;
mod storage;
mod tls;
mod tls_scan;
