//! The TLS policy (C16; ASVS 12.1.1, 12.1.2) and certificates that renew without restart.
//!
//! Policy: TLS 1.3 and TLS 1.2 only; in TLS 1.2 only ECDHE key exchange with AEAD suites,
//! strongest first. rustls implements neither CBC suites, RSA key exchange nor TLS ≤ 1.1,
//! so nothing weaker can be negotiated even by mistake; the list below makes the choice
//! visible rather than inherited.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ServerConfig, SupportedCipherSuite};

/// Strongest first; the server's order wins (ASVS 12.1.2).
const CIPHER_SUITES: [SupportedCipherSuite; 9] = [
    ring::cipher_suite::TLS13_AES_256_GCM_SHA384,
    ring::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
    ring::cipher_suite::TLS13_AES_128_GCM_SHA256,
    ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ring::cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ring::cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ring::cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
];

/// The certificate chain and private key files of the HTTPS listener.
#[derive(Debug, Clone)]
pub struct CertificateFiles {
    /// PEM: the leaf first, then intermediates.
    pub cert: PathBuf,
    /// PEM: PKCS#8, SEC1 or PKCS#1 private key.
    pub key: PathBuf,
}

/// The certificate could not be loaded; the message names the file and never its content.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} holds no PEM certificate")]
    NoCertificate { path: PathBuf },
    #[error("{path} holds no usable PEM private key")]
    NoKey { path: PathBuf },
    #[error("the private key in {key} does not belong to the certificate in {cert}")]
    Mismatch { cert: PathBuf, key: PathBuf },
    #[error("the TLS configuration is invalid: {0}")]
    Config(#[from] rustls::Error),
}

/// A server certificate that is re-read when its files change, so a renewed certificate
/// is served without a restart and without dropping connections.
#[derive(Debug)]
pub struct ReloadingCertificate {
    files: CertificateFiles,
    provider: Arc<CryptoProvider>,
    current: RwLock<(Arc<CertifiedKey>, Stamp)>,
}

/// What identifies one version of the files on disk.
type Stamp = [Option<(SystemTime, u64)>; 2];

fn stamp(files: &CertificateFiles) -> Stamp {
    let of = |p: &Path| {
        fs::metadata(p)
            .ok()
            .and_then(|m| Some((m.modified().ok()?, m.len())))
    };
    [of(&files.cert), of(&files.key)]
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(CryptoProvider {
        cipher_suites: CIPHER_SUITES.to_vec(),
        ..ring::default_provider()
    })
}

impl ReloadingCertificate {
    /// Loads the certificate now; fails if the files are missing, unreadable or mismatched.
    pub fn load(files: CertificateFiles) -> Result<Arc<ReloadingCertificate>, TlsError> {
        let provider = provider();
        let stamp = stamp(&files);
        let key = load_certified_key(&files, &provider)?;
        Ok(Arc::new(ReloadingCertificate {
            files,
            provider,
            current: RwLock::new((key, stamp)),
        }))
    }

    /// Re-reads the files if they changed since the last look. A broken new version is
    /// reported and the old certificate kept: a bad renewal must not take the site down.
    pub fn reload_if_changed(&self) {
        let now = stamp(&self.files);
        let unchanged = self
            .current
            .read()
            .map(|guard| guard.1 == now)
            .unwrap_or(false);
        if unchanged {
            return;
        }
        match load_certified_key(&self.files, &self.provider) {
            Ok(key) => {
                if let Ok(mut guard) = self.current.write() {
                    *guard = (key, now);
                }
                tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded");
            }
            Err(error) => {
                tracing::error!(%error, "TLS certificate changed but cannot be loaded; still serving the previous one");
                // Remember the broken version so the error is logged once, not every poll.
                if let Ok(mut guard) = self.current.write() {
                    guard.1 = now;
                }
            }
        }
    }

    /// Polls the files every `interval` until the task is dropped.
    pub async fn watch(self: Arc<Self>, interval: Duration) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let this = Arc::clone(&self);
            // File reads and key parsing are blocking work.
            let _ = tokio::task::spawn_blocking(move || this.reload_if_changed()).await;
        }
    }
}

impl ResolvesServerCert for ReloadingCertificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|guard| Arc::clone(&guard.0))
    }
}

fn load_certified_key(
    files: &CertificateFiles,
    provider: &CryptoProvider,
) -> Result<Arc<CertifiedKey>, TlsError> {
    let read = |path: &Path| {
        fs::read(path).map_err(|source| TlsError::Read {
            path: path.to_owned(),
            source,
        })
    };
    let cert_pem = read(&files.cert)?;
    let key_pem = zeroize::Zeroizing::new(read(&files.key)?);
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .ok()
        .filter(|c: &Vec<_>| !c.is_empty())
        .ok_or_else(|| TlsError::NoCertificate {
            path: files.cert.clone(),
        })?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| TlsError::NoKey {
        path: files.key.clone(),
    })?;
    let signing_key = provider
        .key_provider
        .load_private_key(key)
        .map_err(|_| TlsError::NoKey {
            path: files.key.clone(),
        })?;
    let certified = CertifiedKey::new(chain, signing_key);
    certified.keys_match().map_err(|_| TlsError::Mismatch {
        cert: files.cert.clone(),
        key: files.key.clone(),
    })?;
    Ok(Arc::new(certified))
}

/// The rustls configuration of the HTTPS listener: the policy above, ALPN `h2` and
/// `http/1.1`, no client certificates (the ops listener with mTLS is separate).
pub fn server_config(cert: Arc<ReloadingCertificate>) -> Result<Arc<ServerConfig>, TlsError> {
    let mut config = ServerConfig::builder_with_provider(Arc::clone(&cert.provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_cert_resolver(cert);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config.ignore_client_order = true;
    Ok(Arc::new(config))
}
