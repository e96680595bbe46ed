//! Running the HTTPS and plain-HTTP listeners until shutdown, then draining them.

use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum_server::tls_rustls::RustlsConfig;
use axum_server::{Control, Handle};
use rustls::ServerConfig;

/// The bound sockets. Binding happens before serving so that the caller can print the
/// real addresses (a test binds port 0) and fail early on a taken port.
#[derive(Debug)]
pub struct Listeners {
    pub https: TcpListener,
    /// Plain-HTTP listeners with what each serves: the redirect to HTTPS, and the
    /// operations endpoints on loopback.
    pub plain: Vec<(TcpListener, Router)>,
}

/// Serves until `shutdown` completes, then stops accepting, lets in-flight requests finish
/// for up to `grace`, and returns.
pub async fn serve(
    listeners: Listeners,
    public: Router,
    tls: Arc<ServerConfig>,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> io::Result<()> {
    let control = Control::new();
    listeners.https.set_nonblocking(true)?;
    let https = axum_server::from_tcp_rustls(listeners.https, RustlsConfig::from_config(tls))?
        .handle(Handle::with_control(control.clone()))
        .serve(public.into_make_service_with_connect_info::<SocketAddr>());
    let mut servers = vec![tokio::spawn(https)];
    for (listener, router) in listeners.plain {
        listener.set_nonblocking(true)?;
        let plain = axum_server::from_tcp(listener)?
            .handle(Handle::with_control(control.clone()))
            .serve(router.into_make_service());
        servers.push(tokio::spawn(plain));
    }

    shutdown.await;
    tracing::info!(
        grace_seconds = grace.as_secs(),
        "shutting down: finishing in-flight requests"
    );
    control.graceful_shutdown(Some(grace));
    for server in servers {
        server.await.map_err(io::Error::other)??;
    }
    Ok(())
}
