//! One log line per request, and the request's fields on every line logged while it is
//! handled: method, matched route, request id, client address, status and latency.
//! Never the URI (its query may hold a token), a body, a cookie or an `Authorization`
//! header (ASVS 16.2.5, 14.2.1).
//!
//! The fields live in the task-local [`request_context`] rather than in a `tracing` span,
//! which cost more than the logging itself (see that module). The module keeps its name:
//! `skjold_http::request_span` is the target operators filter the request lines by.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use skjold_ops::request_context;

/// The route template (`/api/v1/contacts/{id}`), never the concrete path.
fn route(request: &Request) -> &str {
    request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(unmatched)", MatchedPath::as_str)
}

/// Middleware: handles the request inside its log context and logs it when answered.
pub(crate) async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    request_context::scope(async move {
        request_context::record_display("method", request.method());
        request_context::record_text("route", route(&request));
        let request_id = request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        request_context::record_text("request_id", request_id);
        let response = next.run(request).await;
        request_context::record_number("status", response.status().as_u16());
        // Microsecond precision is all a reader can use; more digits are float noise.
        let latency = started.elapsed();
        request_context::record_float(
            "latency_ms",
            (latency.as_secs_f64() * 1_000_000.0).round() / 1000.0,
        );
        tracing::info!("request finished");
        response
    })
    .await
}
