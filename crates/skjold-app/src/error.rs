//! The one error type of the use cases. Each case is something a caller can act on; the
//! HTTP layer maps each to a status in one exhaustive match.

use skjold_domain::{ContactError, EmailError, NameError, PasswordRejected};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Wrong e-mail or password: one answer for both (no enumeration).
    #[error("the e-mail address or password is wrong")]
    InvalidCredentials,
    /// A second-step code that is wrong, used, or for a challenge that is unknown,
    /// expired or spent: one answer for all.
    #[error("the code is wrong or has expired; sign in again if it keeps failing")]
    InvalidCode,
    /// No valid session: missing, unknown, expired or ended token.
    #[error("sign in to continue")]
    Unauthenticated,
    #[error(transparent)]
    Email(#[from] EmailError),
    #[error(transparent)]
    Password(#[from] PasswordRejected),
    #[error(transparent)]
    Name(#[from] NameError),
    #[error(transparent)]
    Contact(#[from] ContactError),
    /// A link from an e-mail that is unknown, used or expired: one answer for all three.
    #[error("this link is invalid or has expired; ask for a new one")]
    InvalidLink,
    /// The caller is a member but their role does not allow this.
    #[error("your role in this account does not allow this")]
    Forbidden,
    /// The account requires 2-step security and the caller has none yet.
    #[error("this account requires 2-step security: set it up first")]
    SecondStepRequired,
    /// Too many attempts from this address: try again after `retry_after` seconds.
    #[error("too many attempts; try again in {retry_after} seconds")]
    RateLimited { retry_after: u64 },
    /// The caller must verify their e-mail address first.
    #[error("confirm your e-mail address first: follow the link we sent you")]
    VerificationRequired,
    /// Input that breaks a rule, said for the person.
    #[error("{0}")]
    InvalidInput(&'static str),
    /// No such thing, or not the caller's: the two are answered alike (no IDOR oracle).
    #[error("not found")]
    NotFound,
    /// A change of 2-step security without a fresh code of a second step the person
    /// already had (ASVS 6.4.3, 7.5.1).
    #[error(
        "a fresh code is needed: one from your authenticator app, a recovery code, or one sent to your phone"
    )]
    FreshCodeNeeded,
    /// The current password given for a change was wrong.
    #[error("the current password is wrong")]
    WrongCurrentPassword,
    /// A text message could not be sent after retries; no provider detail is given.
    #[error("the text message could not be sent; try again in a minute, or use another method")]
    SmsNotSent,
    /// For the operator's log, never for the client.
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl AppError {
    pub(crate) fn unexpected(text: impl Into<String>) -> AppError {
        AppError::Unexpected(text.into())
    }
}

impl From<crate::ports::StoreFailure> for AppError {
    fn from(e: crate::ports::StoreFailure) -> Self {
        AppError::Unexpected(e.to_string())
    }
}
