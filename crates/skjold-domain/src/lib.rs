//! Skjold's domain: pure types and rules, no I/O.
//!
//! A value of a type from this crate has been parsed, not merely checked: once a string
//! has become an [`Environment`] or a [`KeyId`] it is valid wherever it travels.

mod environment;
mod key_id;

pub use environment::{Environment, ParseEnvironmentError};
pub use key_id::{KeyId, ParseKeyIdError};
