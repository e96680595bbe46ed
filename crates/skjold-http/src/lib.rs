//! Skjold's HTTP layer: routers, middleware and listeners. It turns requests into calls on
//! [`skjold_app::App`] and answers into responses, nothing more; no SQL and no business
//! rule lives here.

pub mod browser_requests;
mod client_ip;
mod ops;
mod problem;
mod redirect;
mod request_span;
mod router;
mod routes;
mod security_headers;
mod server;
mod site;
mod tls;

pub use client_ip::{ClientIp, TrustedProxies};
pub use ops::{RenderMetrics, ops_router};
pub use redirect::redirect_router;
pub use router::public_router;
pub use server::{Listeners, serve};
pub use site::SiteFacts;
pub use tls::{CertificateFiles, ReloadingCertificate, TlsError, server_config};
