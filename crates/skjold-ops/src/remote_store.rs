//! Object storage for the log store and the backup store, through the `object_store`
//! crate: Azure Blob Storage (tested against the Azurite emulator) and S3-compatible
//! storage (tested against the s3rver emulator). An object is written whole or not at
//! all, which is what [`LogStore::put`] promises and what a backup needs.
//!
//! `object_store` is async; the vault's writer, `skjold logs`, `skjold backup` and the
//! retention jobs call the store from plain threads, sometimes inside the server's
//! runtime. Each call therefore runs on a short-lived thread of its own with the store's
//! own small runtime, so it never blocks or re-enters the caller's.

use std::io::{Read, Write};
use std::sync::Arc;

use age::secrecy::{ExposeSecret, SecretString};

use futures_util::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};

use crate::error::LogError;
use crate::store::{LogStore, segment_names};

/// Where an Azure store is and how to reach it. Its key never prints.
#[derive(Debug, Clone)]
pub struct AzureSettings {
    pub account: String,
    pub container: String,
    /// The storage account's access key (base64), read from a file.
    pub access_key: SecretString,
    /// Another endpoint than `https://<account>.blob.core.windows.net`: the emulator's
    /// `http://127.0.0.1:10000/<account>`, say. Plain HTTP only to a loopback address.
    pub endpoint: Option<String>,
}

/// Where an S3-compatible store is and how to reach it. Its secret never prints.
#[derive(Debug, Clone)]
pub struct S3Settings {
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    /// The secret access key, read from a file.
    pub secret_access_key: SecretString,
    /// Another endpoint than AWS's own: a MinIO, Ceph or other S3-compatible service,
    /// addressed by path (`<endpoint>/<bucket>/<key>`). Plain HTTP only to a loopback
    /// address.
    pub endpoint: Option<String>,
}

/// Whether `endpoint` may be used, and whether it is plain HTTP to this host (the only
/// plain HTTP allowed: an emulator in a test or beside the server).
fn check_endpoint(endpoint: &str) -> Result<bool, LogError> {
    let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|prefix| {
            endpoint
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
        });
    if !endpoint.starts_with("https://") && !loopback {
        return Err(LogError::Config(format!(
            "the store endpoint {endpoint} must be https:// (plain http only to this host)"
        )));
    }
    Ok(loopback)
}

/// One container or bucket. As a log store, segments are blobs named
/// `<instance>/<segment name>`; as a backup store, archives, manifests and the erasure
/// ledger are named as in a directory.
pub struct RemoteStore {
    store: Arc<dyn ObjectStore>,
    /// Taken only when the store is dropped.
    runtime: Option<tokio::runtime::Runtime>,
    description: String,
}

impl Drop for RemoteStore {
    /// The server drops the store inside its own runtime, where waiting for another
    /// runtime's threads is not allowed: it is left to wind down on its own.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl std::fmt::Debug for RemoteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

fn failure(error: impl std::fmt::Display) -> LogError {
    LogError::Remote(error.to_string())
}

impl RemoteStore {
    pub fn azure(settings: &AzureSettings) -> Result<RemoteStore, LogError> {
        let mut builder = MicrosoftAzureBuilder::new()
            .with_account(&settings.account)
            .with_container_name(&settings.container)
            .with_access_key(settings.access_key.expose_secret().trim());
        if let Some(endpoint) = &settings.endpoint {
            let loopback = check_endpoint(endpoint)?;
            builder = builder
                .with_endpoint(endpoint.clone())
                .with_allow_http(loopback);
        }
        let store = builder
            .build()
            .map_err(|e| LogError::Config(e.to_string()))?;
        RemoteStore::new(
            Arc::new(store),
            format!(
                "Azure Blob Storage, account {}, container {}",
                settings.account, settings.container
            ),
        )
    }

    pub fn s3(settings: &S3Settings) -> Result<RemoteStore, LogError> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_access_key_id(&settings.access_key_id)
            .with_secret_access_key(settings.secret_access_key.expose_secret().trim());
        if let Some(endpoint) = &settings.endpoint {
            let loopback = check_endpoint(endpoint)?;
            builder = builder
                .with_endpoint(endpoint.clone())
                .with_virtual_hosted_style_request(false)
                .with_allow_http(loopback);
        }
        let store = builder
            .build()
            .map_err(|e| LogError::Config(e.to_string()))?;
        RemoteStore::new(
            Arc::new(store),
            format!(
                "S3 bucket {} ({}{})",
                settings.bucket,
                settings.region,
                settings
                    .endpoint
                    .as_deref()
                    .map(|e| format!(", {e}"))
                    .unwrap_or_default()
            ),
        )
    }

    fn new(store: Arc<dyn ObjectStore>, description: String) -> Result<RemoteStore, LogError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(RemoteStore {
            store,
            runtime: Some(runtime),
            description,
        })
    }

    /// Runs `work` to completion on a thread of its own.
    fn wait<T: Send>(
        &self,
        work: impl std::future::Future<Output = Result<T, LogError>> + Send,
    ) -> Result<T, LogError> {
        let Some(runtime) = &self.runtime else {
            return Err(failure("the store is closed"));
        };
        std::thread::scope(|scope| {
            scope
                .spawn(|| runtime.block_on(work))
                .join()
                .unwrap_or_else(|_| Err(failure("a store call panicked")))
        })
    }

    /// The folders and the objects directly under `folder` (the top when `None`): their
    /// last names only.
    pub fn list(&self, folder: Option<&str>) -> Result<(Vec<String>, Vec<String>), LogError> {
        let store = Arc::clone(&self.store);
        let prefix = folder.map(Path::from);
        self.wait(async move {
            let listing = store
                .list_with_delimiter(prefix.as_ref())
                .await
                .map_err(failure)?;
            let folders = listing
                .common_prefixes
                .iter()
                .filter_map(|p| p.filename().map(str::to_owned))
                .collect();
            let files = listing
                .objects
                .iter()
                .filter_map(|o| o.location.filename().map(str::to_owned))
                .collect();
            Ok((folders, files))
        })
    }

    /// An object's bytes, whole; `None` if it does not exist.
    pub fn get(&self, key: &[&str]) -> Result<Option<Vec<u8>>, LogError> {
        let store = Arc::clone(&self.store);
        let path = Path::from_iter(key.iter().copied());
        self.wait(async move {
            match store.get(&path).await {
                Ok(found) => Ok(Some(found.bytes().await.map_err(failure)?.to_vec())),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(error) => Err(failure(error)),
            }
        })
    }

    /// Stores `bytes` as one object, whole.
    pub fn put(&self, key: &[&str], bytes: &[u8]) -> Result<(), LogError> {
        let store = Arc::clone(&self.store);
        let path = Path::from_iter(key.iter().copied());
        let payload = bytes.to_vec();
        self.wait(async move {
            store
                .put(&path, payload.into())
                .await
                .map(|_| ())
                .map_err(failure)
        })
    }

    /// Deletes an object; one that is not there is not an error.
    pub fn delete(&self, key: &[&str]) -> Result<(), LogError> {
        let store = Arc::clone(&self.store);
        let path = Path::from_iter(key.iter().copied());
        self.wait(async move {
            match store.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(error) => Err(failure(error)),
            }
        })
    }

    /// Streams `from` into one object in parts (a backup archive can be larger than
    /// memory): the object appears only when the last part is in, and a failed upload is
    /// aborted, leaving nothing under the name.
    pub fn upload(&self, key: &[&str], from: &mut (dyn Read + Send)) -> Result<(), LogError> {
        let store = Arc::clone(&self.store);
        let path = Path::from_iter(key.iter().copied());
        self.wait(async move {
            let mut upload = WriteMultipart::new_with_chunk_size(
                store.put_multipart(&path).await.map_err(failure)?,
                UPLOAD_PART,
            );
            let mut buffer = vec![0u8; 1 << 20];
            let copied: Result<(), LogError> = async {
                loop {
                    let read = from.read(&mut buffer)?;
                    if read == 0 {
                        return Ok(());
                    }
                    upload
                        .wait_for_capacity(UPLOADS_AT_ONCE)
                        .await
                        .map_err(failure)?;
                    upload.write(&buffer[..read]);
                }
            }
            .await;
            match copied {
                Ok(()) => upload.finish().await.map(|_| ()).map_err(failure),
                Err(error) => {
                    let _ = upload.abort().await;
                    Err(error)
                }
            }
        })
    }

    /// Streams an object into `to`; `false` if it does not exist.
    pub fn download(&self, key: &[&str], to: &mut (dyn Write + Send)) -> Result<bool, LogError> {
        let store = Arc::clone(&self.store);
        let path = Path::from_iter(key.iter().copied());
        self.wait(async move {
            let mut chunks = match store.get(&path).await {
                Ok(found) => found.into_stream(),
                Err(object_store::Error::NotFound { .. }) => return Ok(false),
                Err(error) => return Err(failure(error)),
            };
            while let Some(chunk) = chunks.next().await {
                to.write_all(&chunk.map_err(failure)?)?;
            }
            to.flush()?;
            Ok(true)
        })
    }
}

/// The size of an upload's parts: S3 wants at least 5 MiB in every part but the last.
const UPLOAD_PART: usize = 8 << 20;
/// How many parts are in flight at once: the memory an upload holds is about this many
/// parts.
const UPLOADS_AT_ONCE: usize = 4;

impl LogStore for RemoteStore {
    fn instances(&self) -> Result<Vec<String>, LogError> {
        let (mut folders, _) = self.list(None)?;
        folders.sort();
        Ok(folders)
    }

    fn segments(&self, instance: &str) -> Result<Vec<String>, LogError> {
        let (_, files) = self.list(Some(instance))?;
        Ok(segment_names(files))
    }

    fn get(&self, instance: &str, name: &str) -> Result<Option<Vec<u8>>, LogError> {
        RemoteStore::get(self, &[instance, name])
    }

    fn put(&self, instance: &str, name: &str, bytes: &[u8]) -> Result<(), LogError> {
        RemoteStore::put(self, &[instance, name], bytes)
    }

    fn delete(&self, instance: &str, name: &str) -> Result<(), LogError> {
        RemoteStore::delete(self, &[instance, name])
    }
}
