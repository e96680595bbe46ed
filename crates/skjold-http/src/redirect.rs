//! The plain-HTTP listener: it serves nothing and redirects every request, whatever its
//! method, to the same path on HTTPS with 308 (which keeps the method and body) (C16).

use axum::Router;
use axum::http::uri::Authority;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};

/// A router that redirects to HTTPS on `https_port` (omitted from the URL when 443).
pub fn redirect_router(https_port: u16) -> Router {
    Router::new().fallback(move |headers: HeaderMap, uri: Uri| async move {
        redirect(https_port, &headers, &uri)
    })
}

fn redirect(https_port: u16, headers: &HeaderMap, uri: &Uri) -> Response {
    // The host comes from the request: the redirect goes back to where the client already
    // was. A Host that is not a plain host name or address is refused, not echoed.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse::<Authority>().ok())
        .filter(|a| {
            a.as_str()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .map(|a| a.host().to_owned());
    let Some(host) = host else {
        return (StatusCode::BAD_REQUEST, "a Host header is required").into_response();
    };
    let path = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let location = if https_port == 443 {
        format!("https://{host}{path}")
    } else {
        format!("https://{host}:{https_port}{path}")
    };
    Redirect::permanent(&location).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn location(host: &'static str, uri: &'static str, port: u16) -> Option<String> {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static(host));
        let response = redirect(port, &headers, &Uri::from_static(uri));
        response
            .headers()
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_owned())
    }

    #[test]
    fn the_path_and_query_are_kept_and_the_port_replaced() {
        assert_eq!(
            location("example.com:8080", "/a/b?c=d", 8443).as_deref(),
            Some("https://example.com:8443/a/b?c=d")
        );
        assert_eq!(
            location("example.com", "/", 443).as_deref(),
            Some("https://example.com/")
        );
        assert_eq!(
            location("[::1]:8080", "/x", 8443).as_deref(),
            Some("https://[::1]:8443/x")
        );
    }

    #[test]
    fn a_host_with_userinfo_is_refused() {
        assert_eq!(location("evil.example@good.example", "/", 443), None);
    }
}
