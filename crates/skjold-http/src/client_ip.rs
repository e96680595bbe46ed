//! The client's address, taken from `X-Forwarded-For`/`Forwarded` only when the connection
//! comes from a configured trusted proxy (C6). Anyone can send those headers; believing
//! them from an untrusted peer would let a client choose the address it is rate-limited
//! and logged under.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

/// Networks whose forwarding headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<[IpNet]>);

/// The address a request is attributed to, available to handlers as an extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl TrustedProxies {
    pub fn new(nets: impl IntoIterator<Item = IpNet>) -> TrustedProxies {
        TrustedProxies(nets.into_iter().collect())
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Walks the forwarding chain from the nearest hop outwards and stops at the first
    /// address that is not a trusted proxy: that is the client. `Forwarded` (RFC 7239) is
    /// preferred to `X-Forwarded-For` when a proxy sends both.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops = forwarded_for(headers).unwrap_or_else(|| x_forwarded_for(headers));
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop {
                Some(ip) => {
                    client = *ip;
                    if !self.trusts(*ip) {
                        break;
                    }
                }
                // An obfuscated or malformed hop: nothing beyond it can be believed.
                None => break,
            }
        }
        client
    }
}

/// The `for=` addresses of every `Forwarded` header, oldest hop first, or `None` if the
/// request has no such header.
fn forwarded_for(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let values: Vec<_> = headers.get_all("forwarded").iter().collect();
    if values.is_empty() {
        return None;
    }
    let hops = values
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("").split(','))
        .map(|element| {
            element
                .split(';')
                .filter_map(|pair| pair.trim().split_once('='))
                .find(|(name, _)| name.eq_ignore_ascii_case("for"))
                .and_then(|(_, value)| parse_node(value.trim_matches('"')))
        })
        .collect();
    Some(hops)
}

fn x_forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("").split(','))
        .map(|hop| parse_node(hop.trim()))
        .collect()
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:8080`, `2001:db8::1`,
/// `[2001:db8::1]` or `[2001:db8::1]:8080`.
fn parse_node(text: &str) -> Option<IpAddr> {
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            text.strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse().ok())
        })
}

/// Middleware: attaches [`ClientIp`] to the request and records it for the request's log
/// lines, so security events can say where an attempt came from (ASVS 16.2.1).
pub(crate) async fn attach_client_ip(
    State(proxies): State<TrustedProxies>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let ip = proxies.client_ip(peer.ip(), request.headers());
    skjold_ops::request_context::record_display("client_ip", ip);
    request.extensions_mut().insert(ClientIp(ip));
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn proxies(nets: &[&str]) -> TrustedProxies {
        TrustedProxies::new(nets.iter().map(|n| n.parse().unwrap()))
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_static(value));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(
            proxies(&[]).client_ip(ip("198.51.100.1"), &h),
            ip("198.51.100.1")
        );
        assert_eq!(
            proxies(&["10.0.0.0/8"]).client_ip(ip("198.51.100.1"), &h),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn the_first_untrusted_hop_from_the_right_is_the_client() {
        // The client forged the first entry; the trusted proxy appended the real one.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.0.0.2")]);
        let p = proxies(&["10.0.0.0/8"]);
        assert_eq!(p.client_ip(ip("10.0.0.1"), &h), ip("203.0.113.9"));
    }

    #[test]
    fn forwarded_is_parsed_with_ports_and_ipv6() {
        let h = headers(&[(
            "forwarded",
            "for=\"[2001:db8::7]:4711\";proto=https, for=10.0.0.2:80",
        )]);
        let p = proxies(&["10.0.0.0/8"]);
        assert_eq!(p.client_ip(ip("10.0.0.1"), &h), ip("2001:db8::7"));
    }

    #[test]
    fn an_obfuscated_hop_stops_the_walk_at_the_last_known_address() {
        let h = headers(&[("forwarded", "for=203.0.113.9, for=_hidden, for=10.0.0.2")]);
        let p = proxies(&["10.0.0.0/8"]);
        assert_eq!(p.client_ip(ip("10.0.0.1"), &h), ip("10.0.0.2"));
    }

    #[test]
    fn an_ipv4_mapped_peer_matches_an_ipv4_network() {
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        let p = proxies(&["127.0.0.1/32"]);
        assert_eq!(p.client_ip(ip("::ffff:127.0.0.1"), &h), ip("203.0.113.9"));
    }
}
