//! The site's static files, embedded in the binary and served under names that carry a
//! hash of their content, so they can be cached for a year: a new version has a new name.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One embedded file.
struct Asset {
    /// The name before the hash (`site`) and the extension after it (`css`).
    stem: &'static str,
    extension: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: [Asset; 3] = [
    Asset {
        stem: "site",
        extension: "css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/site.css"),
    },
    Asset {
        stem: "favicon",
        extension: "svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../../assets/favicon.svg"),
    },
    Asset {
        stem: "verify",
        extension: "js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/verify.js"),
    },
];

/// Each asset's path, `/assets/<stem>.<first 12 hex digits of its SHA-256>.<extension>`,
/// in the order of [`ASSETS`].
fn paths() -> &'static [String] {
    static PATHS: OnceLock<Vec<String>> = OnceLock::new();
    PATHS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|asset| {
                let hash = skjold_domain::hex(&Sha256::digest(asset.bytes)[..6]);
                format!("/assets/{}.{hash}.{}", asset.stem, asset.extension)
            })
            .collect()
    })
}

pub(crate) fn site_css_path() -> &'static str {
    &paths()[0]
}

pub(crate) fn favicon_path() -> &'static str {
    &paths()[1]
}

/// The one script: it moves the code of an e-mail's link from the fragment into the
/// verification form.
pub(crate) fn verify_script_path() -> &'static str {
    &paths()[2]
}

/// `GET /assets/{name}`: a current file under its current name; anything else is not
/// found (an old name included, so a stale page gets no stale file forever).
pub(crate) async fn asset(Path(name): Path<String>) -> Response {
    let requested = format!("/assets/{name}");
    let Some(asset) = paths()
        .iter()
        .position(|path| *path == requested)
        .map(|i| &ASSETS[i])
    else {
        return crate::problem::not_found().await.into_response();
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        asset.bytes,
    )
        .into_response()
}
