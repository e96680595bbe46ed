//! Identifiers of accounts, users, sessions and records: random UUIDs (version 4), or
//! time-ordered ones (version 7) where listings page by id.
//!
//! A UUID names a row; it is not a secret (ASVS 11.5.1). Knowing one grants nothing: every
//! access is checked against the caller's own rights.

use std::fmt;
use std::str::FromStr;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        uuid_id!($(#[$doc])* $name, new_v4);
    };
    ($(#[$doc:meta])* $name:ident, $generate:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(uuid::Uuid);

        impl $name {
            pub fn new() -> $name {
                $name(uuid::Uuid::$generate())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s).map($name)
            }
        }
    };
}

uuid_id!(
    /// An account: a tenant, the unit all business data belongs to.
    AccountId
);
uuid_id!(
    /// A person who signs in; may belong to several accounts.
    UserId
);
uuid_id!(
    /// One entry of an account's register of people (a customer, a supplier). Version 7:
    /// ordered by creation, so listings page by id alone (it reveals when the entry was
    /// made, which the entry shows anyway).
    ContactId,
    now_v7
);
uuid_id!(
    /// One API token. Public (it appears in token lists); the token itself is the secret.
    ApiTokenId
);
uuid_id!(
    /// One signed-in session. Public (it appears in session lists); the token is the secret.
    SessionId
);
