//! Start-up refuses unsafe or inconsistent setups, says why and how to fix it, and leaves
//! nothing half-made behind (C2, C8, C6, ASVS 13.3.1).

use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use crate::helpers::{Backend, Launch, on_both_backends, spawn_app};

/// Runs `launch` to completion and asserts that it failed with `expected` in its message.
fn assert_refused(mut launch: Launch, expected: &[&str]) -> Output {
    let out = launch.command().output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "start-up was not refused:\n{stderr}");
    // Logs may come first; then the reason, said once.
    let reasons = stderr.lines().filter(|l| l.starts_with("error: ")).count();
    assert_eq!(reasons, 1, "{stderr}");
    for text in expected {
        assert!(stderr.contains(text), "no {text:?} in:\n{stderr}");
    }
    out
}

on_both_backends! {
    async fn c2_a_key_directory_inside_the_data_directory_is_refused_before_anything_is_made(backend: Backend) {
        let Some(launch) = Launch::new(backend).await else { return };
        let mut launch = launch.arg("--key-dir").arg("data/keys");
        let _ = launch.command();
        let dir = launch.dir.clone().unwrap();
        assert_refused(launch, &["inside the data directory", "--key-dir"]);
        let dir = dir.path();
        assert!(!dir.join("data").exists(), "the data directory was created anyway");
        assert!(!dir.join("data/keys").exists());
    }

    async fn c2_a_key_file_readable_by_others_is_refused_with_the_fix(backend: Backend) {
        let Some(mut app) = spawn_app(backend).await else { return };
        assert!(app.stop().await.success());
        let key = app.key_dir().join("master-k1.toml");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_refused(app.relaunch(), &["master-k1.toml", "group or others", "chmod 600"]);

        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(app.key_dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_refused(app.relaunch(), &["chmod 700"]);
    }

    async fn c8_a_keyring_of_another_environment_is_refused(backend: Backend) {
        let Some(launch) = Launch::new(backend).await else { return };
        let mut app = launch.arg("--environment").arg("test").start().await;
        assert!(app.stop().await.success());
        assert_refused(
            app.relaunch().arg("--environment").arg("staging"),
            &["keyring", "belongs to the test environment", "configured as staging"],
        );
    }

    async fn c8_a_database_of_another_environment_is_refused(backend: Backend) {
        let Some(launch) = Launch::new(backend).await else { return };
        let mut app = launch.arg("--environment").arg("test").start().await;
        assert!(app.stop().await.success());
        // The keyring now claims staging (same key material), the database still says test.
        let key = app.key_dir().join("master-k1.toml");
        let text = std::fs::read_to_string(&key).unwrap().replace("environment = \"test\"", "environment = \"staging\"");
        std::fs::write(&key, text).unwrap();
        assert_refused(
            app.relaunch().arg("--environment").arg("staging"),
            &["database was created for the test environment", "configured as staging"],
        );
    }

    async fn c6_development_refuses_a_non_loopback_address(backend: Backend) {
        let Some(launch) = Launch::new(backend).await else { return };
        assert_refused(launch.arg("--listen").arg("0.0.0.0:0"), &["loopback", "0.0.0.0:0"]);
    }
}

#[tokio::test]
async fn c17_the_embedded_database_does_not_open_with_another_keyring() {
    let Some(mut app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    assert!(app.stop().await.success());
    std::fs::remove_dir_all(app.key_dir()).unwrap();
    assert_refused(
        app.relaunch(),
        &["cannot be decrypted with master key k1", "--key-dir"],
    );
}

#[tokio::test]
async fn asvs_13_3_1_a_password_in_the_database_url_is_refused_and_not_echoed() {
    let Some(launch) = Launch::new(Backend::Sqlite).await else {
        return;
    };
    let out = assert_refused(
        launch
            .arg("--database-url")
            .arg("postgres://app:Hunter2Secret@127.0.0.1/skjold"),
        &["contains a password", "database_password_file"],
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("Hunter2Secret"));
}

#[tokio::test]
async fn an_unknown_key_in_the_settings_file_is_named() {
    let Some(mut launch) = Launch::new(Backend::Sqlite).await else {
        return;
    };
    let _ = launch.command();
    let dir = launch.dir.as_ref().unwrap().path().to_owned();
    std::fs::write(
        dir.join("skjold.toml"),
        "environment = \"test\"\nlisten_addr = \"127.0.0.1:1\"\n",
    )
    .unwrap();
    assert_refused(launch, &["skjold.toml", "listen_addr"]);
}

#[tokio::test]
async fn an_unreachable_postgresql_is_reported_with_what_to_check() {
    let Some(launch) = Launch::new(Backend::Sqlite).await else {
        return;
    };
    // Port 1 on loopback: nothing listens there.
    assert_refused(
        launch
            .arg("--database-url")
            .arg("postgres://skjold@127.0.0.1:1/skjold"),
        &[
            "cannot connect to PostgreSQL at 127.0.0.1:1/skjold",
            "--database-url",
        ],
    );
}
