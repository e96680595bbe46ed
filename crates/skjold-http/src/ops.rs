//! The operations endpoints: Prometheus metrics at `/metrics`, on a plain-HTTP listener
//! that the configuration keeps on a loopback address. Metrics are for the operator's
//! scraper on the same host, never for the internet (C1: tiers reach only what they need).

use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::routing::get;

/// The Prometheus text format's content type.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Renders the current metrics in the Prometheus text format.
pub type RenderMetrics = Arc<dyn Fn() -> String + Send + Sync>;

/// `/metrics`, and 404 for anything else.
pub fn ops_router(render: RenderMetrics) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(move || {
                let text = render();
                async move { ([(header::CONTENT_TYPE, PROMETHEUS_TEXT)], text) }
            }),
        )
        .fallback(|| async { StatusCode::NOT_FOUND })
}
