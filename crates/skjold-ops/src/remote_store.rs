//! Log stores on object storage, through the `object_store` crate: Azure Blob Storage
//! (tested against the Azurite emulator) and S3-compatible storage (tested against the
//! s3rver emulator). An object is written whole or not
//! at all, which is what [`LogStore::put`] promises.
//!
//! `object_store` is async; the vault's writer, `skjold logs` and the retention job call
//! the store from plain threads, sometimes inside the server's runtime. Each call
//! therefore runs on a short-lived thread of its own with the store's own small runtime,
//! so it never blocks or re-enters the caller's.

use std::sync::Arc;

use age::secrecy::{ExposeSecret, SecretString};

use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::error::LogError;
use crate::store::{LogStore, segment_names};

/// Where an Azure log store is and how to reach it. Its key never prints.
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

/// Where an S3-compatible log store is and how to reach it. Its secret never prints.
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
            "the log store endpoint {endpoint} must be https:// (plain http only to this host)"
        )));
    }
    Ok(loopback)
}

/// Segments as blobs: `<instance>/<segment name>` in one container.
pub struct ObjectLogStore {
    store: Arc<dyn ObjectStore>,
    /// Taken only when the store is dropped.
    runtime: Option<tokio::runtime::Runtime>,
    description: String,
}

impl Drop for ObjectLogStore {
    /// The server drops the store inside its own runtime, where waiting for another
    /// runtime's threads is not allowed: it is left to wind down on its own.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl std::fmt::Debug for ObjectLogStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

fn failure(error: impl std::fmt::Display) -> LogError {
    LogError::Remote(error.to_string())
}

impl ObjectLogStore {
    pub fn azure(settings: &AzureSettings) -> Result<ObjectLogStore, LogError> {
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
        ObjectLogStore::new(
            Arc::new(store),
            format!(
                "Azure Blob Storage, account {}, container {}",
                settings.account, settings.container
            ),
        )
    }

    pub fn s3(settings: &S3Settings) -> Result<ObjectLogStore, LogError> {
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
        ObjectLogStore::new(
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

    fn new(store: Arc<dyn ObjectStore>, description: String) -> Result<ObjectLogStore, LogError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(ObjectLogStore {
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
            return Err(failure("the log store is closed"));
        };
        std::thread::scope(|scope| {
            scope
                .spawn(|| runtime.block_on(work))
                .join()
                .unwrap_or_else(|_| Err(failure("a log store call panicked")))
        })
    }

    fn names(&self, prefix: Option<&Path>) -> Result<(Vec<String>, Vec<String>), LogError> {
        let store = Arc::clone(&self.store);
        let prefix = prefix.cloned();
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
}

impl LogStore for ObjectLogStore {
    fn instances(&self) -> Result<Vec<String>, LogError> {
        let (mut folders, _) = self.names(None)?;
        folders.sort();
        Ok(folders)
    }

    fn segments(&self, instance: &str) -> Result<Vec<String>, LogError> {
        let (_, files) = self.names(Some(&Path::from(instance)))?;
        Ok(segment_names(files))
    }

    fn get(&self, instance: &str, name: &str) -> Result<Option<Vec<u8>>, LogError> {
        let store = Arc::clone(&self.store);
        let path = Path::from_iter([instance, name]);
        self.wait(async move {
            match store.get(&path).await {
                Ok(found) => Ok(Some(found.bytes().await.map_err(failure)?.to_vec())),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(error) => Err(failure(error)),
            }
        })
    }

    fn put(&self, instance: &str, name: &str, bytes: &[u8]) -> Result<(), LogError> {
        let store = Arc::clone(&self.store);
        let path = Path::from_iter([instance, name]);
        let payload = bytes.to_vec();
        self.wait(async move {
            store
                .put(&path, payload.into())
                .await
                .map(|_| ())
                .map_err(failure)
        })
    }

    fn delete(&self, instance: &str, name: &str) -> Result<(), LogError> {
        let store = Arc::clone(&self.store);
        let path = Path::from_iter([instance, name]);
        self.wait(async move {
            match store.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(error) => Err(failure(error)),
            }
        })
    }
}
