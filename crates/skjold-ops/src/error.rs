//! The operations layer's errors: what went wrong with the log vault, said so that an
//! operator knows what to do, and never with a secret in it.

/// An error of the log vault.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("log store: {0}")]
    Io(#[from] std::io::Error),
    /// Object storage refused or failed; the message is the service's own.
    #[error("log store: {0}")]
    Remote(String),
    #[error("log segment: {0}")]
    Format(String),
    #[error("log encryption: {0}")]
    Crypto(String),
    #[error("log settings: {0}")]
    Config(String),
}
