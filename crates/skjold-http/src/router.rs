//! The public HTTPS router: site, web app and API, with the middleware every request
//! passes through.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::middleware;
use axum::routing::get;
use skjold_app::App;
use tower_http::request_id::PropagateRequestIdLayer;
use tower_http::set_header::SetRequestHeaderLayer;

use crate::client_ip::{TrustedProxies, attach_client_ip};
use crate::problem::not_found;
use crate::request_span::log_request;
use crate::security_headers::with_security_headers;
use crate::site::SiteFacts;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A fresh id for every request. A client's own `X-Request-Id` is replaced, not trusted:
/// it would let a client forge or collide log correlation ids.
fn new_request_id<B>(_: &Request<B>) -> Option<HeaderValue> {
    HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).ok()
}

/// Every route of the HTTPS listener. Layers run outermost first: request id, span,
/// client address, security headers, handler.
pub fn public_router(app: App, proxies: TrustedProxies, facts: Arc<SiteFacts>) -> Router {
    let (api, openapi) = crate::routes::api::router();
    // Serialised once: the document is fixed for the life of the process.
    let document = openapi.to_json().unwrap_or_default();
    let routes = Router::new()
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            get(move || async move { ([(header::CONTENT_TYPE, "application/json")], document) }),
        )
        .with_state(app.clone())
        .merge(crate::site::router(app, facts))
        .fallback(not_found);
    with_security_headers(routes)
        .layer(middleware::from_fn_with_state(proxies, attach_client_ip))
        .layer(middleware::from_fn(log_request))
        .layer(PropagateRequestIdLayer::new(X_REQUEST_ID))
        .layer(SetRequestHeaderLayer::overriding(
            X_REQUEST_ID,
            new_request_id,
        ))
}
