//! The test harness: starts the real `skjold` binary on free loopback ports with a fresh
//! data directory and keyring, and talks HTTPS to it with a client that trusts the
//! generated development CA and nothing else.
//!
//! PostgreSQL tests get a fresh database each on the server named by
//! `SKJOLD_TEST_DATABASE_URL`. Without it they say loudly that they were skipped; with
//! `SKJOLD_TEST_STRICT=1` (CI) a missing dependency fails the test instead.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::ConnectOptions;
use sqlx::postgres::PgConnectOptions;

/// Which database the server under test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Says that a test could not run here, or fails it in strict mode.
pub fn skip(what: &str, how: &str) {
    if std::env::var("SKJOLD_TEST_STRICT").is_ok_and(|v| v == "1") {
        panic!("{what} is required in strict mode (SKJOLD_TEST_STRICT=1): {how}");
    }
    // Written to the real stderr, past the test harness's output capture, so it shows.
    let _ = writeln!(
        std::io::stderr().lock(),
        "\n*** SKIPPED: {what} is not available: {how} ***\n"
    );
}

/// The PostgreSQL server for tests, if one is configured.
pub fn postgres_admin() -> Option<PgConnectOptions> {
    match std::env::var("SKJOLD_TEST_DATABASE_URL") {
        Ok(url) => Some(
            url.parse()
                .expect("SKJOLD_TEST_DATABASE_URL is not a postgres URL"),
        ),
        Err(_) => {
            skip(
                "PostgreSQL (SKJOLD_TEST_DATABASE_URL)",
                "set SKJOLD_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres to run the PostgreSQL tests",
            );
            None
        }
    }
}

/// A database of its own for one test, dropped when the test ends.
#[derive(Debug)]
pub struct TestDatabase {
    admin: PgConnectOptions,
    pub name: String,
}

impl TestDatabase {
    pub async fn create(admin: PgConnectOptions) -> TestDatabase {
        let name = format!("skjold_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = admin
            .connect()
            .await
            .expect("cannot connect to SKJOLD_TEST_DATABASE_URL: is PostgreSQL running?");
        // The name is made here from a UUID, never from input.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
            .expect("cannot create a test database");
        TestDatabase { admin, name }
    }

    /// The URL the server under test gets: same server and user, its own database, and
    /// no password (CI's server trusts loopback).
    pub fn url(&self) -> String {
        format!(
            "postgres://{}@{}:{}/{}",
            self.admin.get_username(),
            self.admin.get_host(),
            self.admin.get_port(),
            self.name
        )
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot be blocked on; a thread with
        // its own small runtime can.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime
                .block_on(async {
                    let mut conn = admin.connect().await?;
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await
                    .map(|_| ())
                })
                .map_err(std::io::Error::other)
        })
        .join();
    }
}

/// How to start a server: backend, extra flags and environment variables.
#[derive(Debug)]
pub struct Launch {
    pub backend: Backend,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Reuse a directory (and so a keyring and data) from an earlier server.
    pub dir: Option<Arc<tempfile::TempDir>>,
    pub database: Option<Arc<TestDatabase>>,
}

impl Launch {
    /// `None` when the backend is not available here (the skip has been reported).
    pub async fn new(backend: Backend) -> Option<Launch> {
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(Arc::new(TestDatabase::create(postgres_admin()?).await)),
        };
        Some(Launch {
            backend,
            args: Vec::new(),
            env: Vec::new(),
            dir: None,
            database,
        })
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Launch {
        self.args.push(arg.into());
        self
    }

    /// Sends the server's mail to `mailbox`.
    pub fn mail_to(mut self, mailbox: &crate::mailbox::Mailbox) -> Launch {
        self.args.extend(mailbox.args());
        self
    }

    pub fn env(mut self, name: &str, value: impl Into<String>) -> Launch {
        self.env.push((name.to_owned(), value.into()));
        self
    }

    /// The command, before it runs: for tests of start-up failures.
    pub fn command(&mut self) -> Command {
        let dir = Arc::clone(self.dir.get_or_insert_with(|| {
            Arc::new(tempfile::tempdir().expect("cannot create a temporary directory"))
        }));
        let mut cmd = skjold(dir.path());
        cmd.args(["serve", "--data-dir", "data", "--key-dir", "keys"])
            .args([
                "--listen",
                "127.0.0.1:0",
                "--redirect-listen",
                "127.0.0.1:0",
                "--metrics-listen",
                "127.0.0.1:0",
            ]);
        if let Some(db) = &self.database {
            cmd.args(["--database-url", &db.url()]);
        }
        cmd.args(&self.args);
        for (name, value) in &self.env {
            cmd.env(name, value);
        }
        cmd
    }

    /// Starts the server and waits until it announces its addresses.
    pub async fn start(mut self) -> TestApp {
        let mut child = self
            .command()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start the skjold binary");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("stderr is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        collect(stderr, Arc::clone(&log), None);
        let (tx, rx) = mpsc::channel();
        collect(stdout, Arc::clone(&log), Some(tx));

        let (mut https, mut redirect, mut metrics) = (None, None, None);
        let deadline = Instant::now() + Duration::from_secs(60);
        while https.is_none() || redirect.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix("skjold: metrics at http://") {
                        metrics = rest.split('/').next().and_then(|a| a.parse().ok());
                    } else if let Some(rest) = line.strip_prefix("skjold: serving https://") {
                        https = rest.parse::<SocketAddr>().ok();
                    } else if let Some(rest) = line.strip_prefix("skjold: redirecting http://") {
                        redirect = rest.split(' ').next().and_then(|a| a.parse().ok());
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    std::thread::sleep(Duration::from_millis(100));
                    panic!(
                        "the server did not announce its addresses; its output:\n{}",
                        log.lock().map(|l| l.clone()).unwrap_or_default()
                    );
                }
            }
        }
        let dir = self.dir.take().expect("command() made the directory");
        // With a configured certificate there is no dev CA; such tests judge TLS otherwise.
        let ca = dir.path().join("keys/tls/dev-ca.pem");
        let client = https_client(ca.exists().then_some(ca.as_path()));
        TestApp {
            https: https.expect("parsed above"),
            redirect: redirect.expect("parsed above"),
            metrics: metrics.expect("announced before the HTTPS address"),
            dir,
            client,
            child: Some(child),
            log,
            database: self.database.take(),
            backend: self.backend,
        }
    }
}

/// Copies a child's output lines into `log`, and forwards stdout lines to `lines`.
fn collect(
    stream: impl std::io::Read + Send + 'static,
    log: Arc<Mutex<String>>,
    lines: Option<mpsc::Sender<String>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if let Ok(mut log) = log.lock() {
                log.push_str(&line);
                log.push('\n');
            }
            if let Some(tx) = &lines {
                let _ = tx.send(line);
            }
        }
    });
}

/// The `skjold` binary, run in `dir`, with no `SKJOLD_*` variable of the test's own
/// environment leaking in.
pub fn skjold(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_skjold"));
    cmd.current_dir(dir);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SKJOLD_") {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// A plain-HTTP client that does not follow redirects.
pub fn http_client() -> reqwest::Client {
    // reqwest is built without a bundled crypto provider (Skjold uses ring only), so even
    // a plain client needs the process default set.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("the client builds")
}

/// An HTTPS client that trusts exactly the CA in `ca_pem` (nothing if `None`), speaks HTTP/2 or 1.1, and does
/// not follow redirects.
pub fn https_client(ca_pem: Option<&Path>) -> reqwest::Client {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in ca_pem
        .into_iter()
        .flat_map(|ca| CertificateDer::pem_file_iter(ca).expect("the dev CA is readable"))
    {
        roots
            .add(cert.expect("the dev CA is PEM"))
            .expect("the dev CA is a certificate");
    }
    let mut tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("the client builds")
}

/// A running server and what a test needs to talk to it.
#[derive(Debug)]
pub struct TestApp {
    pub https: SocketAddr,
    pub redirect: SocketAddr,
    pub metrics: SocketAddr,
    pub dir: Arc<tempfile::TempDir>,
    pub client: reqwest::Client,
    child: Option<Child>,
    log: Arc<Mutex<String>>,
    pub database: Option<Arc<TestDatabase>>,
    pub backend: Backend,
}

impl TestApp {
    /// `https://localhost:<port><path>`: the name the development certificate is for.
    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{}", self.https.port(), path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("the request reaches the server")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn key_dir(&self) -> PathBuf {
        self.dir.path().join("keys")
    }

    /// Everything the server printed so far (stdout and stderr).
    pub fn output(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The server's output once it holds `needle`: a running server writes its log to
    /// standard error in batches, a few milliseconds after the fact. Fails after 5 s.
    pub async fn wait_for_output(&self, needle: &str) -> String {
        for _ in 0..250 {
            let out = self.output();
            if out.contains(needle) {
                return out;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("no {needle:?} in the server's output:\n{}", self.output());
    }

    /// Sends SIGTERM and waits for the process to end. Async, so that this test's client
    /// connections keep running and can answer the server's HTTP/2 GOAWAY while it drains.
    pub async fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("the server is running");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("cannot run kill");
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().expect("waiting for the server") {
                // Give the output threads a moment to drain the pipes.
                tokio::time::sleep(Duration::from_millis(50)).await;
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop after SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Kills the server with SIGKILL, as a crash or the OOM killer would.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("the server is running");
        child.kill().expect("cannot kill the server");
        child.wait().expect("waiting for the server");
    }

    /// Runs `sql` against the server's database, from outside (the way a person with a
    /// copy of the database would look), and returns the first column of the first row.
    pub async fn db_text(&self, sql: &str) -> String {
        self.db_value(sql).await
    }

    /// Like [`TestApp::db_text`], for a value of any type both drivers decode.
    pub async fn db_value<T>(&self, sql: &str) -> T
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
        T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
        T: Send + Unpin,
    {
        match self.backend {
            Backend::Sqlite => {
                let mut conn = self.sqlite().await;
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
                    .fetch_one(&mut conn)
                    .await
                    .unwrap()
            }
            Backend::Postgres => {
                let mut conn = self.postgres().await;
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
                    .fetch_one(&mut conn)
                    .await
                    .unwrap()
            }
        }
    }

    /// Runs a statement with one text parameter (`$1`) against the server's database.
    pub async fn db_execute(&self, sql: &str, param: &str) {
        match self.backend {
            Backend::Sqlite => {
                let mut conn = self.sqlite().await;
                sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                    .bind(param)
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
            Backend::Postgres => {
                let mut conn = self.postgres().await;
                sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                    .bind(param)
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
        }
    }

    async fn sqlite(&self) -> sqlx::SqliteConnection {
        use secrecy::ExposeSecret;
        let keyring = skjold_crypto::Keyring::open(&self.key_dir()).unwrap();
        // The file is keyed by the master key named beside it, not necessarily the newest.
        let id = std::fs::read_to_string(self.data_dir().join("skjold.db.key-id")).unwrap();
        let master = keyring.get(id.trim().parse().unwrap()).unwrap();
        let key = skjold_crypto::database_key(master);
        sqlx::sqlite::SqliteConnectOptions::new()
            .filename(self.data_dir().join("skjold.db"))
            .pragma("key", key.sqlcipher_pragma().expose_secret().to_owned())
            .busy_timeout(Duration::from_secs(5))
            .connect()
            .await
            .unwrap()
    }

    async fn postgres(&self) -> sqlx::PgConnection {
        let name = &self.database.as_ref().unwrap().name;
        postgres_admin()
            .unwrap()
            .database(name)
            .connect()
            .await
            .unwrap()
    }

    /// `POST path` with a JSON body; returns the status and the JSON answer.
    pub async fn post_json(
        &self,
        path: &str,
        body: serde_json::Value,
        token: Option<&str>,
    ) -> (u16, serde_json::Value) {
        self.send_json(reqwest::Method::POST, path, body, token)
            .await
    }

    /// A request with a JSON body; returns the status and the JSON answer.
    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
        token: Option<&str>,
    ) -> (u16, serde_json::Value) {
        let mut request = self.client.request(method, self.url(path)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    /// `GET path` with a bearer token; returns the status and the JSON answer.
    pub async fn get_json(&self, path: &str, token: &str) -> (u16, serde_json::Value) {
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    /// Signs up a new account; panics unless the server accepted it.
    pub async fn sign_up(&self, email: &str, password: &str) {
        let body = serde_json::json!({"account_name": "Integrera AS", "email": email, "password": password});
        let (status, answer) = self.post_json("/api/v1/signup", body, None).await;
        assert_eq!(status, 201, "{answer}");
    }

    /// Signs in; the session token, or the status and answer of the refusal.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
    ) -> Result<String, (u16, serde_json::Value)> {
        let body = serde_json::json!({"email": email, "password": password});
        match self.post_json("/api/v1/sessions", body, None).await {
            (201, answer) => Ok(answer["token"].as_str().unwrap().to_owned()),
            refused => Err(refused),
        }
    }

    /// Runs `skjold <args>` against this server's keyring, data directory and database
    /// (as an operator on the same host would), and returns its output.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = skjold(self.dir.path());
        cmd.args(args)
            .args(["--data-dir", "data", "--key-dir", "keys"]);
        if let Some(db) = &self.database {
            cmd.args(["--database-url", &db.url()]);
        }
        cmd.output().expect("running skjold")
    }

    /// A launch that reuses this server's directory and database, for a restart.
    pub fn relaunch(&self) -> Launch {
        Launch {
            backend: self.backend,
            args: Vec::new(),
            env: Vec::new(),
            dir: Some(Arc::clone(&self.dir)),
            database: self.database.clone(),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `openssl` with `args`, or `None` (reported as a skip) where it is not installed.
pub fn openssl(args: &[&str], stdin: &[u8]) -> Option<std::process::Output> {
    let child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(_) => {
            skip(
                "the openssl command",
                "install it (Debian: apt-get install openssl)",
            );
            return None;
        }
    };
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin)
        .expect("writing to openssl");
    Some(child.wait_with_output().expect("waiting for openssl"))
}

/// Starts a server on `backend` with default settings; `None` if the backend is skipped.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    Some(Launch::new(backend).await?.start().await)
}

/// Declares each test twice: on the embedded database and on PostgreSQL.
macro_rules! on_both_backends {
    ($(
        $(#[$meta:meta])*
        async fn $name:ident($backend:ident: Backend) $body:block
    )*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($backend: $crate::helpers::Backend) $body

            #[tokio::test]
            async fn sqlite() {
                run($crate::helpers::Backend::Sqlite).await
            }

            #[tokio::test]
            async fn postgres() {
                run($crate::helpers::Backend::Postgres).await
            }
        }
    )*};
}
pub(crate) use on_both_backends;
