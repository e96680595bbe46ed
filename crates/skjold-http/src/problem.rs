//! RFC 9457 problem details: the one shape of every API error.
//!
//! The `type` of each problem is a stable URN that clients may match on; the body never
//! carries internal error text (ASVS 16.5.1), which goes to the log instead.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One kind of problem a client can be told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    NotFound,
    Unavailable,
}

#[derive(Serialize)]
struct Body {
    #[serde(rename = "type")]
    type_uri: &'static str,
    title: &'static str,
    status: u16,
}

impl Problem {
    fn status(self) -> StatusCode {
        match self {
            Problem::NotFound => StatusCode::NOT_FOUND,
            Problem::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn type_and_title(self) -> (&'static str, &'static str) {
        match self {
            Problem::NotFound => ("urn:skjold:problem:not-found", "Not found"),
            Problem::Unavailable => (
                "urn:skjold:problem:unavailable",
                "The service is temporarily unavailable",
            ),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let (type_uri, title) = self.type_and_title();
        let status = self.status();
        let mut response = (
            status,
            Json(Body {
                type_uri,
                title,
                status: status.as_u16(),
            }),
        )
            .into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

/// The answer to every path no route claims: the same 404 as a missing resource.
pub(crate) async fn not_found() -> Problem {
    Problem::NotFound
}
