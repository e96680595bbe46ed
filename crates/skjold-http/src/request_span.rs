//! One tracing span per request: method, matched route, request id, client address,
//! status and latency. Never the URI (its query may hold a token), a body, a cookie or an
//! `Authorization` header (ASVS 16.2.5, 14.2.1).

use axum::extract::{MatchedPath, Request};
use axum::http::Response;
use std::time::Duration;
use tracing::Span;

/// The route template (`/api/v1/contacts/{id}`), never the concrete path.
fn route(request: &Request) -> &str {
    request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(unmatched)", MatchedPath::as_str)
}

pub(crate) fn make_span(request: &Request) -> Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        method = %request.method(),
        route = route(request),
        request_id,
        client_ip = tracing::field::Empty,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    )
}

pub(crate) fn on_response<B>(response: &Response<B>, latency: Duration, span: &Span) {
    span.record("status", response.status().as_u16());
    // Microsecond precision is all a reader can use; more digits are float noise.
    let ms = (latency.as_secs_f64() * 1_000_000.0).round() / 1000.0;
    span.record("latency_ms", ms);
    tracing::info!(parent: span, "request finished");
}
