//! The site's static files, embedded in the binary and served under names that carry a
//! hash of their content, so they can be cached for a year: a new version has a new name.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

const SITE_CSS: &str = include_str!("../../assets/site.css");

/// `/assets/site.<first 12 hex digits of its SHA-256>.css`
pub(crate) fn site_css_path() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        let hash: String = Sha256::digest(SITE_CSS.as_bytes())
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("/assets/site.{hash}.css")
    })
}

/// `GET /assets/{name}`: the current file under its current name; anything else is
/// not found (an old name included, so a stale page gets no stale style forever).
pub(crate) async fn asset(Path(name): Path<String>) -> Response {
    if format!("/assets/{name}") != site_css_path() {
        return crate::problem::not_found().await.into_response();
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        SITE_CSS,
    )
        .into_response()
}
