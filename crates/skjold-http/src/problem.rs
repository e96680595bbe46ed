//! RFC 9457 problem details: the one shape of every API error.
//!
//! The `type` of each problem is a stable URN that clients may match on; the body never
//! carries internal error text (ASVS 16.5.1), which goes to the log instead.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use skjold_app::AppError;

/// One kind of problem a client can be told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NotFound,
    Unavailable,
    /// The request body is not the JSON the endpoint takes.
    MalformedBody,
    InvalidCredentials,
    /// A wrong, used or expired second-step code.
    InvalidCode,
    Unauthenticated,
    WrongCurrentPassword,
    /// A link from an e-mail that is unknown, used or expired.
    InvalidLink,
    /// A member whose role does not allow this.
    Forbidden,
    /// The address must be verified first.
    VerificationRequired,
    /// The account requires 2-step security of its members.
    SecondStepRequired,
    /// A text message could not be sent.
    SmsNotSent,
    /// Too many attempts; the number is `Retry-After`, in seconds.
    TooManyRequests(u64),
    /// A cookie-authenticated change that did not come from this site (CSRF).
    CrossSiteRequest,
    /// Input that breaks a rule; the detail says which, in words for the person.
    Invalid(String),
    Internal,
}

/// The JSON of every error answer (RFC 9457).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Problem)]
pub(crate) struct ProblemBody {
    #[serde(rename = "type")]
    type_uri: &'static str,
    title: &'static str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

impl Problem {
    fn status(&self) -> StatusCode {
        match self {
            Problem::NotFound => StatusCode::NOT_FOUND,
            Problem::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Problem::MalformedBody | Problem::InvalidLink => StatusCode::BAD_REQUEST,
            Problem::InvalidCredentials | Problem::InvalidCode | Problem::Unauthenticated => {
                StatusCode::UNAUTHORIZED
            }
            Problem::WrongCurrentPassword
            | Problem::CrossSiteRequest
            | Problem::Forbidden
            | Problem::VerificationRequired
            | Problem::SecondStepRequired => StatusCode::FORBIDDEN,
            Problem::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Problem::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Problem::SmsNotSent => StatusCode::SERVICE_UNAVAILABLE,
            Problem::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn type_and_title(&self) -> (&'static str, &'static str) {
        match self {
            Problem::NotFound => ("urn:skjold:problem:not-found", "Not found"),
            Problem::Unavailable => (
                "urn:skjold:problem:unavailable",
                "The service is temporarily unavailable",
            ),
            Problem::MalformedBody => (
                "urn:skjold:problem:malformed-body",
                "The request body is not valid JSON for this endpoint",
            ),
            Problem::InvalidCredentials => (
                "urn:skjold:problem:invalid-credentials",
                "The e-mail address or password is wrong",
            ),
            Problem::InvalidCode => (
                "urn:skjold:problem:invalid-code",
                "The code is wrong or has expired; sign in again if it keeps failing",
            ),
            Problem::Unauthenticated => {
                ("urn:skjold:problem:unauthenticated", "Sign in to continue")
            }
            Problem::WrongCurrentPassword => (
                "urn:skjold:problem:wrong-current-password",
                "The current password is wrong",
            ),
            Problem::Forbidden => (
                "urn:skjold:problem:forbidden",
                "Your role in this account does not allow this",
            ),
            Problem::VerificationRequired => (
                "urn:skjold:problem:verification-required",
                "Confirm your e-mail address first: follow the link we sent you",
            ),
            Problem::SmsNotSent => (
                "urn:skjold:problem:sms-not-sent",
                "The text message could not be sent; try again in a minute, or use another method",
            ),
            Problem::TooManyRequests(_) => (
                "urn:skjold:problem:too-many-requests",
                "Too many attempts; wait as long as Retry-After says, then try again",
            ),
            Problem::SecondStepRequired => (
                "urn:skjold:problem:second-step-required",
                "This account requires 2-step security: set it up at /api/v1/me/second-step/totp first",
            ),
            Problem::InvalidLink => (
                "urn:skjold:problem:invalid-link",
                "This link is invalid or has expired; ask for a new one",
            ),
            Problem::CrossSiteRequest => (
                "urn:skjold:problem:cross-site-request",
                "This change must be made from the site itself",
            ),
            Problem::Invalid(_) => ("urn:skjold:problem:invalid", "The request breaks a rule"),
            Problem::Internal => (
                "urn:skjold:problem:internal",
                "Something went wrong on our side",
            ),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let (type_uri, title) = self.type_and_title();
        let status = self.status();
        let unauthenticated = status == StatusCode::UNAUTHORIZED;
        let retry_after = match self {
            Problem::TooManyRequests(seconds) => Some(seconds),
            _ => None,
        };
        let detail = match self {
            Problem::Invalid(detail) => Some(detail),
            _ => None,
        };
        // Why a request was refused, for an operator chasing a client's problem. The
        // detail may quote what the client sent; the log's redaction sees to secrets.
        tracing::debug!(problem = type_uri, detail, "request refused");
        let mut response = (
            status,
            Json(ProblemBody {
                type_uri,
                title,
                status: status.as_u16(),
                detail,
            }),
        )
            .into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if unauthenticated {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The one place where a use-case error becomes an HTTP answer. Exhaustive, so a new
/// case forces a decision; internal failures are logged here, once, and the client gets
/// a generic answer (ASVS 16.5.1).
impl From<AppError> for Problem {
    fn from(error: AppError) -> Problem {
        match error {
            AppError::InvalidCredentials => Problem::InvalidCredentials,
            AppError::InvalidCode => Problem::InvalidCode,
            AppError::NotFound => Problem::NotFound,
            AppError::InvalidLink => Problem::InvalidLink,
            AppError::Forbidden => Problem::Forbidden,
            AppError::VerificationRequired => Problem::VerificationRequired,
            AppError::SecondStepRequired => Problem::SecondStepRequired,
            AppError::RateLimited { retry_after } => Problem::TooManyRequests(retry_after),
            AppError::SmsNotSent => Problem::SmsNotSent,
            AppError::InvalidInput(text) => Problem::Invalid(text.to_owned()),
            AppError::FreshCodeNeeded => Problem::Invalid(AppError::FreshCodeNeeded.to_string()),
            AppError::Unauthenticated => Problem::Unauthenticated,
            AppError::WrongCurrentPassword => Problem::WrongCurrentPassword,
            AppError::Email(e) => Problem::Invalid(e.to_string()),
            AppError::Password(e) => Problem::Invalid(e.to_string()),
            AppError::Name(e) => Problem::Invalid(e.to_string()),
            AppError::Contact(e) => Problem::Invalid(e.to_string()),
            AppError::Unexpected(text) => {
                tracing::error!(error = %text, "request failed");
                Problem::Internal
            }
        }
    }
}

/// The answer to every path no route claims: the same 404 as a missing resource.
pub(crate) async fn not_found() -> Problem {
    Problem::NotFound
}
