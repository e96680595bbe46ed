//! The database at rest (C17) and across instances (C3): the embedded file is encrypted
//! as a whole and opens only with the key derived from the keyring; PostgreSQL serves
//! several instances at once.

use secrecy::ExposeSecret;
use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;

use crate::helpers::{Backend, on_both_backends, spawn_app};

#[tokio::test]
async fn c17_the_embedded_database_is_one_encrypted_file_that_needs_the_derived_key() {
    let Some(mut app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    assert_eq!(app.get("/readyz").await.status(), 200);
    assert!(app.stop().await.success(), "{}", app.output());
    let file = app.data_dir().join("skjold.db");

    let bytes = std::fs::read(&file).unwrap();
    assert!(
        bytes.len() >= 4096,
        "the database file exists and has pages"
    );
    assert!(
        !bytes.starts_with(b"SQLite format 3"),
        "the file has a plain SQLite header"
    );
    // What the database holds (its environment, table names) is not in the file in clear.
    for clear in [&b"development"[..], b"skjold_meta", b"CREATE TABLE"] {
        assert!(
            !bytes.windows(clear.len()).any(|w| w == clear),
            "{:?} is in clear",
            String::from_utf8_lossy(clear)
        );
    }

    let without_key = SqliteConnectOptions::new()
        .filename(&file)
        .read_only(true)
        .connect()
        .await;
    let error = match without_key {
        Ok(mut conn) => sqlx::query("SELECT count(*) FROM sqlite_master")
            .fetch_one(&mut conn)
            .await
            .unwrap_err(),
        Err(error) => error,
    };
    assert!(
        error.to_string().contains("file is not a database"),
        "{error}"
    );

    let keyring = skjold_crypto::Keyring::open(&app.key_dir()).unwrap();
    let key = skjold_crypto::database_key(keyring.current());
    let mut conn = SqliteConnectOptions::new()
        .filename(&file)
        .read_only(true)
        .pragma("key", key.sqlcipher_pragma().expose_secret().to_owned())
        .connect()
        .await
        .unwrap();
    let environment: String =
        sqlx::query_scalar("SELECT value FROM skjold_meta WHERE key = 'environment'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(environment, "development");
}

#[tokio::test]
async fn c3_two_instances_serve_one_postgresql_database() {
    let Some(first) = spawn_app(Backend::Postgres).await else {
        return;
    };
    // Started together with the first one's database: migrations run once, under a lock.
    let second = first.relaunch().start().await;
    for app in [&first, &second] {
        assert_eq!(app.get("/readyz").await.status(), 200);
    }
    let name = &first.database.as_ref().unwrap().name;
    let admin = crate::helpers::postgres_admin().unwrap();
    let mut conn = admin.database(name).connect().await.unwrap();
    let environment: String =
        sqlx::query_scalar("SELECT value FROM skjold_meta WHERE key = 'environment'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(environment, "development");
}

on_both_backends! {
    async fn sigterm_stops_the_server_cleanly_and_closes_the_database(backend: Backend) {
        let Some(mut app) = spawn_app(backend).await else { return };
        assert_eq!(app.get("/healthz").await.status(), 200);
        let status = app.stop().await;
        assert!(status.success(), "exit status {status}:\n{}", app.output());
        assert!(app.output().contains("database closed"), "{}", app.output());
        // The data is intact: the same directory serves again.
        let again = app.relaunch().start().await;
        assert_eq!(again.get("/readyz").await.status(), 200);
    }
}
