//! Where the log store and the backup store are (C4, C9, C10): a directory, or a
//! container of Azure Blob Storage, or a bucket of S3-compatible storage, each resolved
//! from the same four settings beside the location (`<kind>_account`, `_key_file`,
//! `_endpoint`, `_region`).

use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use skjold_ops::remote_store::{AzureSettings, RemoteStore, S3Settings};
use skjold_ops::store::{DirStore, LogStore};

use crate::settings::Settings;

/// Where a store is.
#[derive(Debug, Clone)]
pub enum StoreConfig {
    Directory(PathBuf),
    Azure(AzureSettings),
    S3(S3Settings),
}

/// The settings that say where a store is, as the user gave them.
#[derive(Debug, Clone, Default)]
pub struct StoreLocation {
    /// A directory, `azure://<container>` or `s3://<bucket>`.
    pub location: Option<PathBuf>,
    /// Azure: the storage account's name; S3: the access key id.
    pub account: Option<String>,
    /// A file holding the Azure account's access key or the S3 secret access key.
    pub key_file: Option<PathBuf>,
    pub endpoint: Option<String>,
    /// S3 only.
    pub region: Option<String>,
}

impl StoreLocation {
    /// The log store's settings.
    pub fn of_logs(s: &Settings) -> StoreLocation {
        StoreLocation {
            location: s.log_store.clone(),
            account: s.log_store_account.clone(),
            key_file: s.log_store_key_file.clone(),
            endpoint: s.log_store_endpoint.clone(),
            region: s.log_store_region.clone(),
        }
    }

    /// The backup store's settings.
    pub fn of_backups(s: &Settings) -> StoreLocation {
        StoreLocation {
            location: s.backup_store.clone(),
            account: s.backup_store_account.clone(),
            key_file: s.backup_store_key_file.clone(),
            endpoint: s.backup_store_endpoint.clone(),
            region: s.backup_store_region.clone(),
        }
    }
}

/// The S3 region when none is given: the one S3-compatible services accept by default.
const DEFAULT_S3_REGION: &str = "us-east-1";

impl StoreConfig {
    /// A directory (`default` unless one is given), or object storage with its account
    /// settings; settings that belong to another kind of store are refused, not ignored.
    /// `setting` is the location's setting name (`log_store`), which errors name.
    pub fn resolve(
        given: StoreLocation,
        default: PathBuf,
        setting: &str,
    ) -> anyhow::Result<StoreConfig> {
        let location = given.location.unwrap_or(default);
        let text = location.to_str().unwrap_or_default();
        let (azure, s3) = (text.strip_prefix("azure://"), text.strip_prefix("s3://"));
        if azure.is_none() && s3.is_none() {
            if given.account.is_some() || given.key_file.is_some() || given.endpoint.is_some() {
                bail!(
                    "{setting}_account, {setting}_key_file and {setting}_endpoint need an \
                     azure:// or s3:// {setting}"
                );
            }
            if given.region.is_some() {
                bail!("{setting}_region needs an s3:// {setting}");
            }
            return Ok(StoreConfig::Directory(location));
        }
        let (Some(account), Some(key_file)) = (given.account, given.key_file) else {
            bail!(
                "an {} {setting} needs {setting}_account and {setting}_key_file ({})",
                if azure.is_some() { "azure://" } else { "s3://" },
                if azure.is_some() {
                    "the storage account, and a file holding its access key"
                } else {
                    "the access key id, and a file holding the secret access key"
                },
            );
        };
        let key = std::fs::read_to_string(&key_file).with_context(|| {
            format!("cannot read the {setting} key file {}", key_file.display())
        })?;
        if let Some(container) = azure {
            if given.region.is_some() {
                bail!("{setting}_region needs an s3:// {setting}");
            }
            return Ok(StoreConfig::Azure(AzureSettings {
                account,
                container: container.trim_end_matches('/').to_owned(),
                access_key: key.into(),
                endpoint: given.endpoint,
            }));
        }
        Ok(StoreConfig::S3(S3Settings {
            bucket: s3.unwrap_or_default().trim_end_matches('/').to_owned(),
            region: given.region.unwrap_or_else(|| DEFAULT_S3_REGION.to_owned()),
            access_key_id: account,
            secret_access_key: key.into(),
            endpoint: given.endpoint,
        }))
    }

    /// The object store, if this is one.
    pub fn remote(&self) -> anyhow::Result<Option<RemoteStore>> {
        Ok(match self {
            StoreConfig::Directory(_) => None,
            StoreConfig::Azure(settings) => Some(RemoteStore::azure(settings)?),
            StoreConfig::S3(settings) => Some(RemoteStore::s3(settings)?),
        })
    }

    /// The log store; a directory is created first if `create`.
    pub fn open_log_store(&self, create: bool) -> anyhow::Result<Arc<dyn LogStore>> {
        let StoreConfig::Directory(dir) = self else {
            let remote = self.remote()?.context("an object store")?;
            return Ok(Arc::new(remote));
        };
        if create {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .with_context(|| format!("cannot create the log store {}", dir.display()))?;
        } else if !dir.is_dir() {
            bail!(
                "there is no log store at {}; give --log-store or --data-dir",
                dir.display()
            );
        }
        Ok(Arc::new(DirStore::new(dir)))
    }
}
