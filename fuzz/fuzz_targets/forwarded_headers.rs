//! `Forwarded` and `X-Forwarded-For` headers, which anyone can send and which decide the
//! address a request is rate-limited and logged under: `TrustedProxies::client_ip`.
//!
//! The input's first line is the connecting peer's address; each further line is a header,
//! `name: value` (lines that are not a valid header are left out, as the HTTP server would
//! refuse them). The trusted proxies are 10.0.0.0/8 and 2001:db8::/32.
//!
//! Must hold: no panic; the headers of a peer that is not a trusted proxy are ignored;
//! without forwarding headers the client is the peer.

#![no_main]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::LazyLock;

use http::header::{HeaderMap, HeaderName, HeaderValue};
use ipnet::IpNet;
use libfuzzer_sys::fuzz_target;
use skjold_http::TrustedProxies;

static NETS: LazyLock<[IpNet; 2]> = LazyLock::new(|| {
    ["10.0.0.0/8", "2001:db8::/32"].map(|n| n.parse().unwrap_or_else(|e| panic!("{n}: {e}")))
});

fuzz_target!(|data: &[u8]| {
    let mut lines = data.split(|&b| b == b'\n');
    let peer: IpAddr = lines
        .next()
        .and_then(|l| std::str::from_utf8(l).ok())
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            headers.append(name, value);
        }
    }
    let proxies = TrustedProxies::new(NETS.iter().copied());
    let client = proxies.client_ip(peer, &headers);
    let trusted = NETS.iter().any(|net| net.contains(&peer.to_canonical()));
    if !trusted {
        assert_eq!(client, peer, "headers of an untrusted peer were believed");
    }
    assert_eq!(proxies.client_ip(peer, &HeaderMap::new()), peer);
});
