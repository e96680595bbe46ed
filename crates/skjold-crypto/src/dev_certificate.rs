//! The development TLS certificate: a private CA and a `localhost` leaf it signs.
//!
//! A separate CA (rather than one self-signed leaf) lets a developer or a test client trust
//! `dev-ca.pem` as a root, which TLS libraries accept, while the server presents the leaf.
//! The CA's private key is discarded once the leaf is signed, so the trusted root can sign
//! nothing else. The files live in the key directory: a TLS private key is a key.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

use crate::file_mode::{create_private_dir, write_private_file};

/// Names the development leaf is valid for.
const DEV_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Where the development certificate's files are.
#[derive(Debug, Clone)]
pub struct DevCertificate {
    /// The CA certificate to trust (public).
    pub ca_path: PathBuf,
    /// The leaf certificate the server presents (public).
    pub cert_path: PathBuf,
    /// The leaf's private key (0600).
    pub key_path: PathBuf,
}

/// The development certificate could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum DevCertificateError {
    #[error("cannot generate the development certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("cannot write the development certificate to {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Returns the development certificate under `key_dir/tls/`, generating it on first use.
pub fn ensure_dev_certificate(
    key_dir: &Path,
    now: OffsetDateTime,
) -> Result<DevCertificate, DevCertificateError> {
    let dir = key_dir.join("tls");
    let files = DevCertificate {
        ca_path: dir.join("dev-ca.pem"),
        cert_path: dir.join("dev-cert.pem"),
        key_path: dir.join("dev-key.pem"),
    };
    if files.key_path.exists() && files.cert_path.exists() {
        return Ok(files);
    }
    let write_error = |path: &Path| {
        let path = path.to_owned();
        move |source| DevCertificateError::Write { path, source }
    };
    create_private_dir(&dir).map_err(write_error(&dir))?;

    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name
        .push(DnType::CommonName, "Skjold development CA");
    ca.not_before = now - Duration::hours(1);
    ca.not_after = now + Duration::days(397);
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);

    let leaf_key = KeyPair::generate()?;
    let mut leaf = CertificateParams::new(DEV_NAMES.map(String::from).to_vec())?;
    leaf.distinguished_name
        .push(DnType::CommonName, "Skjold development server");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.not_before = now - Duration::hours(1);
    leaf.not_after = now + Duration::days(397);
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer)?;

    let key_pem = zeroize::Zeroizing::new(leaf_key.serialize_pem());
    // Leftovers of an interrupted run are replaced; the key is written last, so its
    // presence beside the certificate marks a complete set.
    for path in [&files.ca_path, &files.cert_path, &files.key_path] {
        let _ = std::fs::remove_file(path);
    }
    for (path, text) in [
        (&files.ca_path, ca_cert.pem()),
        (&files.cert_path, leaf_cert.pem() + &ca_cert.pem()),
    ] {
        write_private_file(path, text.as_bytes()).map_err(write_error(path))?;
    }
    write_private_file(&files.key_path, key_pem.as_bytes())
        .map_err(write_error(&files.key_path))?;
    Ok(files)
}
