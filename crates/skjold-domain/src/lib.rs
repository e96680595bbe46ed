//! Skjold's domain: pure types and rules, no I/O.
//!
//! A value of a type from this crate has been parsed, not merely checked: once a string
//! has become an [`EmailAddress`] or an [`Environment`] it is valid wherever it travels.

mod contact;
mod cookie_consent;
mod email;
mod environment;
mod hex;
mod ids;
mod key_id;
mod masks;
mod name;
mod national_identity;
mod password;
mod phone_number;
mod role;
mod second_step;
mod user_agent;

pub use contact::{
    Classification, ContactDetails, ContactError, ContactField, ContactInput, ContactPatch,
    date_text, parse_date_of_birth,
};
pub use cookie_consent::{COOKIE_POLICY_VERSION, CookieChoice, CookieConsent, NotAConsent};
pub use email::{EmailAddress, EmailError};
pub use environment::{Environment, ParseEnvironmentError};
pub use hex::hex;
pub use ids::{AccountId, ApiTokenId, ContactId, SessionId, UserId};
pub use key_id::{KeyId, ParseKeyIdError};
pub use masks::{mask_email, mask_national_id, mask_phone};
pub use name::{AccountName, NameError, PersonName, without_direction_marks};
pub use national_identity::{NationalId, NationalIdError};
pub use password::{
    DEFAULT_MIN_LENGTH, InvalidMinLength, LOWEST_MIN_LENGTH, MAX_LENGTH, NewPassword,
    PasswordPolicy, PasswordRejected,
};
pub use phone_number::{PhoneError, PhoneNumber};
pub use role::{ParseRoleError, Role};
pub use second_step::{ParseSecondStepError, SecondStepMethod};
pub use user_agent::describe_user_agent;
