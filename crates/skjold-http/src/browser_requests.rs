//! What a browser's request says about itself: its cookies, and whether it comes from
//! one of this site's own pages. Shared by the API's cookie sessions and the site's
//! forms.

use axum::http::{HeaderMap, Uri, header};

/// The value of the cookie `name`, if the request carries it: the first `name=value`
/// pair of any `Cookie` header. Public so the fuzz target `cookie_header` can reach it;
/// every cookie the site reads (the session, the consent, the language) comes through
/// here, from whatever a client sends.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

/// Whether a request comes from a page of this site (CSRF): by the browser's Fetch
/// Metadata (`Sec-Fetch-Site`), which no page can set, or, from browsers without it, by
/// an `Origin` naming this host. Neither header: refused, since every browser that sends
/// cookies or posts a form sends one of them. (Under this site's `no-referrer` policy
/// Chrome posts forms with `Origin: null`, which is why Fetch Metadata comes first.)
pub(crate) fn same_site(headers: &HeaderMap, uri: &Uri) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return site.as_bytes() == b"same-origin";
    }
    // HTTP/2 carries the host in the request's authority, HTTP/1.1 in the Host header.
    let host = uri
        .authority()
        .map(|a| a.as_str())
        .or_else(|| headers.get(header::HOST).and_then(|h| h.to_str().ok()));
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .and_then(|o| o.strip_prefix("https://"));
    matches!((host, origin), (Some(host), Some(origin)) if host.eq_ignore_ascii_case(origin))
}
