//! The deployment environment a keyring, a database and a running server belong to (C8).
//!
//! Production data must never be served by a test instance and vice versa, so every store
//! records the environment it was created for and start-up compares them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where an instance runs. The default, `development`, is the safe one for a new user:
/// it may only listen on loopback addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String", into = "&'static str")]
pub enum Environment {
    Production,
    Staging,
    Test,
    #[default]
    Development,
}

/// The text named no environment Skjold knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown environment {0:?}: use one of production, staging, test, development")]
pub struct ParseEnvironmentError(String);

impl Environment {
    pub const ALL: [Environment; 4] = [
        Environment::Production,
        Environment::Staging,
        Environment::Test,
        Environment::Development,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Staging => "staging",
            Environment::Test => "test",
            Environment::Development => "development",
        }
    }

    /// Whether an instance of this environment may accept connections from other hosts.
    /// A development instance has development keys and a development certificate, so it
    /// stays on loopback.
    pub fn may_listen_publicly(self) -> bool {
        self != Environment::Development
    }
}

impl FromStr for Environment {
    type Err = ParseEnvironmentError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Environment::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| ParseEnvironmentError(s.to_owned()))
    }
}

impl TryFrom<String> for Environment {
    type Error = ParseEnvironmentError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Environment> for &'static str {
    fn from(e: Environment) -> Self {
        e.as_str()
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_environment_parses_from_its_own_name() {
        for e in Environment::ALL {
            assert_eq!(e.as_str().parse::<Environment>(), Ok(e));
        }
    }

    #[test]
    fn an_unknown_or_differently_cased_name_is_rejected() {
        assert!("prod".parse::<Environment>().is_err());
        assert!("Production".parse::<Environment>().is_err());
        assert!("".parse::<Environment>().is_err());
    }

    #[test]
    fn only_development_is_confined_to_loopback() {
        assert!(!Environment::Development.may_listen_publicly());
        assert!(Environment::Production.may_listen_publicly());
        assert_eq!(Environment::default(), Environment::Development);
    }
}
