//! Skjold's domain: pure types and rules, no I/O.
//!
//! A value of a type from this crate has been parsed, not merely checked: once a string
//! has become an [`EmailAddress`] or an [`Environment`] it is valid wherever it travels.

mod email;
mod environment;
mod ids;
mod key_id;
mod name;
mod password;
mod role;
mod user_agent;

pub use email::{EmailAddress, EmailError};
pub use environment::{Environment, ParseEnvironmentError};
pub use ids::{AccountId, ApiTokenId, SessionId, UserId};
pub use key_id::{KeyId, ParseKeyIdError};
pub use name::{AccountName, NameError, PersonName};
pub use password::{
    DEFAULT_MIN_LENGTH, InvalidMinLength, LOWEST_MIN_LENGTH, MAX_LENGTH, NewPassword,
    PasswordPolicy, PasswordRejected,
};
pub use role::{ParseRoleError, Role};
pub use user_agent::describe_user_agent;
