//! TLS as a client sees it (C16; ASVS 12.1.1, 12.1.2): judged by OpenSSL's own client,
//! which can still offer what Skjold must refuse.

use std::time::Duration;

use crate::helpers::{Backend, Launch, on_both_backends, openssl, spawn_app};

/// A handshake with `openssl s_client` and extra options: (succeeded, everything printed).
fn handshake(port: u16, options: &[&str]) -> Option<(bool, String)> {
    let connect = format!("127.0.0.1:{port}");
    let mut args = vec!["s_client", "-connect", &connect, "-servername", "localhost"];
    args.extend_from_slice(options);
    let out = openssl(&args, b"")?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let established = text.contains(", Cipher is ") && !text.contains("Cipher is (NONE)");
    Some((out.status.success() && established, text))
}

fn assert_refused(port: u16, what: &str, options: &[&str]) {
    let Some((ok, text)) = handshake(port, options) else {
        return;
    };
    assert!(!ok, "{what} was accepted:\n{text}");
    // The server itself said no (alert 40, handshake failure), not the local client.
    assert!(text.contains("alert handshake failure"), "{what}:\n{text}");
}

fn assert_accepted(port: u16, what: &str, options: &[&str], expect: &[&str]) {
    let Some((ok, text)) = handshake(port, options) else {
        return;
    };
    assert!(ok, "{what} was refused:\n{text}");
    for line in expect {
        assert!(text.contains(line), "{what}: no {line:?} in\n{text}");
    }
}

on_both_backends! {
    async fn asvs_12_1_1_tls_1_1_and_tls_1_2_without_ecdhe_aead_are_refused(backend: Backend) {
        let Some(app) = spawn_app(backend).await else { return };
        let port = app.https.port();
        // SECLEVEL=0 lets the local OpenSSL offer what it would otherwise not.
        assert_refused(port, "TLS 1.1", &["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"]);
        assert_refused(port, "TLS 1.2 with CBC suites", &[
            "-tls1_2", "-cipher",
            "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES128-SHA:AES128-SHA:AES256-SHA256:@SECLEVEL=0",
        ]);
        assert_refused(port, "TLS 1.2 with RSA key exchange", &["-tls1_2", "-cipher", "AES128-GCM-SHA256:AES256-GCM-SHA384"]);

        assert_accepted(port, "TLS 1.2 ECDHE AES-GCM", &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"],
            &["New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256"]);
        assert_accepted(port, "TLS 1.2 ECDHE ChaCha20", &["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"],
            &["New, TLSv1.2, Cipher is ECDHE-ECDSA-CHACHA20-POLY1305"]);
    }

    async fn asvs_12_1_2_tls_1_3_is_preferred_and_alpn_offers_h2_and_http_1_1(backend: Backend) {
        let Some(app) = spawn_app(backend).await else { return };
        let port = app.https.port();
        assert_accepted(port, "default handshake", &["-alpn", "h2,http/1.1"],
            &["New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384", "ALPN protocol: h2"]);
        assert_accepted(port, "HTTP/1.1 only", &["-alpn", "http/1.1"], &["ALPN protocol: http/1.1"]);
    }
}

/// Writes a fresh self-signed certificate for localhost into `dir` as cert.pem/key.pem
/// (through temporary names and renames, as a certificate renewal tool would) and returns
/// its SHA-256 fingerprint line.
fn new_certificate(dir: &std::path::Path, name: &str) -> Option<String> {
    let (cert, key) = (
        dir.join(format!("{name}.cert.tmp")),
        dir.join(format!("{name}.key.tmp")),
    );
    let out = openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            key.to_str()?,
            "-out",
            cert.to_str()?,
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-addext",
            "subjectAltName=DNS:localhost",
        ],
        b"",
    )?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::rename(&key, dir.join("key.pem")).unwrap();
    std::fs::rename(&cert, dir.join("cert.pem")).unwrap();
    let fp = openssl(
        &[
            "x509",
            "-noout",
            "-fingerprint",
            "-sha256",
            "-in",
            dir.join("cert.pem").to_str()?,
        ],
        b"",
    )?;
    Some(String::from_utf8_lossy(&fp.stdout).trim().to_owned())
}

/// The fingerprint of the certificate the server presents now.
fn served_fingerprint(port: u16) -> Option<String> {
    let connect = format!("127.0.0.1:{port}");
    let out = openssl(
        &["s_client", "-connect", &connect, "-servername", "localhost"],
        b"",
    )?;
    let fp = openssl(&["x509", "-noout", "-fingerprint", "-sha256"], &out.stdout)?;
    Some(String::from_utf8_lossy(&fp.stdout).trim().to_owned())
}

#[tokio::test]
async fn c16_a_renewed_certificate_is_served_without_restart_and_a_broken_one_is_not() {
    let Some(launch) = Launch::new(Backend::Sqlite).await else {
        return;
    };
    let certs = tempfile::tempdir().unwrap();
    let Some(first) = new_certificate(certs.path(), "first") else {
        return;
    };
    let app = launch
        .arg("--tls-cert-file")
        .arg(certs.path().join("cert.pem").to_str().unwrap())
        .arg("--tls-key-file")
        .arg(certs.path().join("key.pem").to_str().unwrap())
        .arg("--tls-reload-seconds")
        .arg("1")
        .start()
        .await;
    let port = app.https.port();
    assert_eq!(served_fingerprint(port).unwrap(), first);

    let second = new_certificate(certs.path(), "second").unwrap();
    assert_ne!(first, second);
    let mut served = String::new();
    for _ in 0..100 {
        served = served_fingerprint(port).unwrap();
        if served == second {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(served, second, "the renewed certificate was not picked up");

    // A broken renewal keeps the last good certificate and says so in the log.
    std::fs::write(certs.path().join("cert.pem"), "not a certificate").unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(served_fingerprint(port).unwrap(), second);
    app.wait_for_output("still serving the previous one").await;
}
