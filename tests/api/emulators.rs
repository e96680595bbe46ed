//! Object storage peers for the stores' tests, on free loopback ports: Azurite (Azure
//! Blob Storage's own emulator) and s3rver (an S3 emulator that refuses
//! unknown access keys), both from npm. Each keeps its objects as files under a directory the
//! test gives, so a test can also look at what the service holds. Stopped on drop.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Azurite's well-known development account and key.
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// s3rver's fixed credentials.
pub const S3RVER_KEY_ID: &str = "S3RVER";
pub const S3RVER_SECRET: &str = "S3RVER";

/// The settings that point the `kind` store (`log` or `backup`) at `url`
/// (`azure://<container>`, `s3://<bucket>`) on an emulator at `endpoint`, as `account`,
/// with the key in the file `store.key`.
pub fn store_args(kind: &str, url: &str, account: &str, endpoint: &str) -> Vec<String> {
    [
        (format!("--{kind}-store"), url),
        (format!("--{kind}-store-account"), account),
        (format!("--{kind}-store-key-file"), "store.key"),
        (format!("--{kind}-store-endpoint"), endpoint),
    ]
    .into_iter()
    .flat_map(|(flag, value)| [flag, value.to_owned()])
    .collect()
}

const NPM_PACKAGES: &str = "npm install -g azurite @azure/storage-blob s3rver";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running emulator process.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `program` with `args`, quietly; `None` (after a loud skip) if it is not installed.
fn spawn(what: &str, program: &str, args: &[&str], dir: &Path) -> Option<Process> {
    match Command::new(program)
        .args(args)
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(child) => Some(Process(child)),
        Err(_) => {
            crate::helpers::skip(what, NPM_PACKAGES);
            None
        }
    }
}

/// Azurite's blob service with one empty container, made with Azure's own SDK as an
/// operator would with their tools.
pub struct Azurite {
    _process: Process,
    /// `http://127.0.0.1:<port>/devstoreaccount1`
    pub endpoint: String,
}

impl Azurite {
    pub async fn start(dir: &Path, container: &str) -> Option<Azurite> {
        let Ok(npm_root) = Command::new("npm").args(["root", "-g"]).output() else {
            crate::helpers::skip("Azurite", NPM_PACKAGES);
            return None;
        };
        let port = free_port().to_string();
        let process = spawn(
            "Azurite",
            "azurite-blob",
            &[
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                &port,
                "--silent",
                "--skipApiVersionCheck",
                "--location",
            ],
            dir,
        )?;
        let endpoint = format!("http://127.0.0.1:{port}/{AZURITE_ACCOUNT}");
        let script = format!(
            "const {{BlobServiceClient, StorageSharedKeyCredential}} = require('@azure/storage-blob');
             const key = new StorageSharedKeyCredential('{AZURITE_ACCOUNT}', '{AZURITE_KEY}');
             new BlobServiceClient('{endpoint}', key).getContainerClient('{container}').create()
               .then(() => process.exit(0), e => {{ console.error(e.message); process.exit(1); }});"
        );
        let root = String::from_utf8_lossy(&npm_root.stdout).trim().to_owned();
        for _ in 0..100 {
            let made = Command::new("node")
                .env("NODE_PATH", &root)
                .args(["-e", &script])
                .output();
            if made.as_ref().is_ok_and(|o| o.status.success()) {
                return Some(Azurite {
                    _process: process,
                    endpoint,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("Azurite did not start, or the container could not be made");
    }
}

/// s3rver with one empty bucket, addressed by path.
pub struct S3rver {
    _process: Process,
    /// `http://127.0.0.1:<port>`
    pub endpoint: String,
}

impl S3rver {
    pub async fn start(dir: &Path, bucket: &str) -> Option<S3rver> {
        let port = free_port().to_string();
        let process = spawn(
            "s3rver",
            "s3rver",
            &[
                "--address",
                "127.0.0.1",
                "--port",
                &port,
                "--silent",
                "--no-vhost-buckets",
                "--configure-bucket",
                bucket,
                "--directory",
            ],
            dir,
        )?;
        let endpoint = format!("http://127.0.0.1:{port}");
        let client = crate::helpers::http_client();
        for _ in 0..100 {
            // The bucket exists once the service answers for it.
            let answered = client.get(format!("{endpoint}/{bucket}")).send().await;
            if answered.is_ok_and(|r| r.status() != reqwest::StatusCode::NOT_FOUND) {
                return Some(S3rver {
                    _process: process,
                    endpoint,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("s3rver did not start, or the bucket could not be made");
    }
}
