//! Headers every HTTPS response carries, errors and 404s included (C16; ASVS 3.4.x).

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

/// Two years, subdomains, and eligible for browsers' preload lists.
const HSTS: &str = "max-age=63072000; includeSubDomains; preload";

/// Nothing from elsewhere, no plugins, no framing, forms only back to this origin.
const CSP: &str = "default-src 'self'; object-src 'none'; base-uri 'none'; \
                   frame-ancestors 'none'; form-action 'self'";

/// Adds the security headers to every response of `router`. Headers a handler set itself
/// (a cacheable public asset, say) are left alone only for `Cache-Control`; the others
/// are policy and always overwrite.
pub(crate) fn with_security_headers<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
) -> Router<S> {
    let fixed: [(HeaderName, &'static str); 8] = [
        (header::STRICT_TRANSPORT_SECURITY, HSTS),
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=()",
        ),
    ];
    let router = fixed.into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ))
    });
    // Nothing is cacheable unless a handler says so: authenticated answers must never
    // land in a shared or browser cache (ASVS 14.3.2).
    router.layer(SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ))
}
