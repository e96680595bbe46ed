//! The backup store (C9, C4): a directory by default, or a container of Azure Blob
//! Storage or a bucket of S3-compatible storage. It holds `<id>.backup` (the encrypted
//! archive), `<id>.manifest.json`, and the erasure ledger under `erasures/`.
//!
//! Everything is written whole or not at all. In a directory: a temporary name, fsync,
//! rename, fsync of the folder. In object storage an object appears only once it is
//! complete; an archive is first written to a temporary file (ciphertext only) and then
//! uploaded in parts, and is downloaded to a temporary file before it is checked and
//! opened, so a store that changes under a restore cannot feed it two different
//! archives.

use std::fs::File;
use std::io::{BufReader, BufWriter, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use skjold_ops::remote_store::RemoteStore;

use crate::serve::create_private_dir;
use crate::stores::StoreConfig;

/// Where backups are kept.
#[derive(Debug)]
pub enum BackupStore {
    Directory(PathBuf),
    Remote {
        store: RemoteStore,
        /// `azure://<container>` or `s3://<bucket>`, for messages.
        url: String,
    },
}

impl std::fmt::Display for BackupStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackupStore::Directory(dir) => write!(f, "{}", dir.display()),
            BackupStore::Remote { url, .. } => f.write_str(url),
        }
    }
}

/// A backup archive as a local file, to read: the store's own file, or a downloaded copy
/// that is deleted when this is dropped.
pub struct Fetched {
    path: PathBuf,
    _download: Option<tempfile::TempDir>,
}

impl Fetched {
    pub fn open(&self) -> anyhow::Result<BufReader<File>> {
        Ok(BufReader::new(File::open(&self.path).with_context(
            || format!("cannot open {}", self.path.display()),
        )?))
    }
}

impl BackupStore {
    /// The store `config` names. Nothing is created or contacted yet.
    pub fn new(config: &StoreConfig) -> anyhow::Result<BackupStore> {
        Ok(match config {
            StoreConfig::Directory(dir) => BackupStore::Directory(dir.clone()),
            StoreConfig::Azure(settings) => BackupStore::Remote {
                store: RemoteStore::azure(settings)?,
                url: format!("azure://{}", settings.container),
            },
            StoreConfig::S3(settings) => BackupStore::Remote {
                store: RemoteStore::s3(settings)?,
                url: format!("s3://{}", settings.bucket),
            },
        })
    }

    /// Fails unless the store exists: a directory that is not there holds no backups,
    /// and is more likely a mistyped path than an empty store. (A container or bucket
    /// that is not there fails at its first use.)
    pub fn require(&self) -> anyhow::Result<()> {
        if let BackupStore::Directory(dir) = self
            && !dir.is_dir()
        {
            bail!(
                "there is no backup store at {}; give --backup-store",
                dir.display()
            );
        }
        Ok(())
    }

    /// Where `name` (in `folder`) is, for people: a path or a URL.
    pub fn locate(&self, folder: Option<&str>, name: &str) -> String {
        let key = folder.map_or_else(|| name.to_owned(), |f| format!("{f}/{name}"));
        match self {
            BackupStore::Directory(dir) => dir.join(key).display().to_string(),
            BackupStore::Remote { url, .. } => format!("{url}/{key}"),
        }
    }

    fn key<'a>(folder: Option<&'a str>, name: &'a str) -> Vec<&'a str> {
        folder.into_iter().chain([name]).collect()
    }

    fn dir_of(dir: &Path, folder: Option<&str>) -> PathBuf {
        folder.map_or_else(|| dir.to_owned(), |f| dir.join(f))
    }

    /// The names of the objects directly in `folder` (the top when `None`), sorted;
    /// temporary files are not among them. A folder that does not exist has none.
    pub fn names(&self, folder: Option<&str>) -> anyhow::Result<Vec<String>> {
        let mut names = match self {
            BackupStore::Directory(dir) => {
                let dir = BackupStore::dir_of(dir, folder);
                let entries = match std::fs::read_dir(&dir) {
                    Ok(entries) => entries,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                    Err(e) => {
                        return Err(e).with_context(|| format!("cannot read {}", dir.display()));
                    }
                };
                let mut names = Vec::new();
                for entry in entries {
                    let entry = entry?;
                    if entry.file_type()?.is_file() {
                        names.push(entry.file_name().to_string_lossy().into_owned());
                    }
                }
                names.retain(|n| !n.starts_with('.'));
                names
            }
            BackupStore::Remote { store, .. } => store.list(folder)?.1,
        };
        names.sort();
        Ok(names)
    }

    /// The bytes of a small object (a manifest, a ledger entry).
    pub fn read(&self, folder: Option<&str>, name: &str) -> anyhow::Result<Vec<u8>> {
        let found = match self {
            BackupStore::Directory(dir) => {
                let path = BackupStore::dir_of(dir, folder).join(name);
                match std::fs::read(&path) {
                    Ok(bytes) => Some(bytes),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                    Err(e) => {
                        return Err(e).with_context(|| format!("cannot read {}", path.display()));
                    }
                }
            }
            BackupStore::Remote { store, .. } => store.get(&BackupStore::key(folder, name))?,
        };
        found.with_context(|| format!("{} is gone", self.locate(folder, name)))
    }

    /// Every object of `folder` whose name ends with `suffix`, parsed as JSON (`what`
    /// names it in an error), with its name.
    pub fn json_objects<T: serde::de::DeserializeOwned>(
        &self,
        folder: Option<&str>,
        suffix: &str,
        what: &str,
    ) -> anyhow::Result<Vec<(String, T)>> {
        let mut found = Vec::new();
        for name in self.names(folder)? {
            if name.ends_with(suffix) {
                let parsed = serde_json::from_slice(&self.read(folder, &name)?)
                    .with_context(|| format!("{} is not {what}", self.locate(folder, &name)))?;
                found.push((name, parsed));
            }
        }
        Ok(found)
    }

    /// Stores a small object whole.
    pub fn write(&self, folder: Option<&str>, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
        match self {
            BackupStore::Directory(dir) => {
                let dir = BackupStore::dir_of(dir, folder);
                create_private_dir(&dir, "the backup store")?;
                write_whole(&dir, name, |mut file| {
                    file.write_all(bytes)?;
                    Ok(file)
                })
            }
            BackupStore::Remote { store, .. } => {
                Ok(store.put(&BackupStore::key(folder, name), bytes)?)
            }
        }
    }

    /// Deletes an object; one that is not there is not an error.
    pub fn delete(&self, folder: Option<&str>, name: &str) -> anyhow::Result<()> {
        match self {
            BackupStore::Directory(dir) => {
                let dir = BackupStore::dir_of(dir, folder);
                let path = dir.join(name);
                match std::fs::remove_file(&path) {
                    Ok(()) => Ok(File::open(&dir)?.sync_all()?),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    Err(e) => Err(e).with_context(|| format!("cannot delete {}", path.display())),
                }
            }
            BackupStore::Remote { store, .. } => Ok(store.delete(&BackupStore::key(folder, name))?),
        }
    }

    /// Stores an archive in `folder`: `write` fills the file it is given and hands it
    /// back; the archive appears under `name` only once it is whole.
    pub fn write_archive(
        &self,
        folder: Option<&str>,
        name: &str,
        write: impl FnOnce(BufWriter<File>) -> anyhow::Result<BufWriter<File>>,
    ) -> anyhow::Result<()> {
        match self {
            BackupStore::Directory(dir) => {
                let dir = BackupStore::dir_of(dir, folder);
                create_private_dir(&dir, "the backup store")?;
                write_whole(&dir, name, write)
            }
            BackupStore::Remote { store, .. } => {
                let file = tempfile::tempfile().context("cannot make a temporary file")?;
                let mut file = write(BufWriter::new(file))?
                    .into_inner()
                    .map_err(|e| e.into_error())?;
                file.rewind()?;
                store
                    .upload(&BackupStore::key(folder, name), &mut file)
                    .with_context(|| format!("cannot upload {}", self.locate(folder, name)))
            }
        }
    }

    /// The archive `name` in `folder` as a local file.
    pub fn fetch(&self, folder: Option<&str>, name: &str) -> anyhow::Result<Fetched> {
        match self {
            BackupStore::Directory(dir) => Ok(Fetched {
                path: BackupStore::dir_of(dir, folder).join(name),
                _download: None,
            }),
            BackupStore::Remote { store, .. } => {
                let download = tempfile::tempdir().context("cannot make a temporary directory")?;
                let path = download.path().join(name);
                let mut file = BufWriter::new(
                    std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .mode(0o600)
                        .open(&path)?,
                );
                if !store.download(&BackupStore::key(folder, name), &mut file)? {
                    bail!("{} is gone", self.locate(folder, name));
                }
                Ok(Fetched {
                    path,
                    _download: Some(download),
                })
            }
        }
    }
}

/// Writes `name` in `dir` whole or not at all: a temporary file, fsynced, renamed.
fn write_whole(
    dir: &Path,
    name: &str,
    write: impl FnOnce(BufWriter<File>) -> anyhow::Result<BufWriter<File>>,
) -> anyhow::Result<()> {
    let temporary = dir.join(format!(".{name}.partial"));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .with_context(|| format!("cannot create {}", temporary.display()))?;
    let result = write(BufWriter::new(file)).and_then(|writer| {
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&temporary, dir.join(name))?;
        File::open(dir)?.sync_all()?;
        Ok(())
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_store_writes_whole_lists_by_folder_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let store = BackupStore::Directory(dir.path().join("store"));
        assert!(store.require().is_err(), "not there yet");
        assert_eq!(store.names(None).unwrap(), Vec::<String>::new());
        store.write(Some("erasures"), "b.json", b"{}").unwrap();
        store.write(None, "a.manifest.json", b"[1]").unwrap();
        store
            .write_archive(None, "a.backup", |mut file| {
                file.write_all(b"sealed")?;
                Ok(file)
            })
            .unwrap();
        store.require().unwrap();
        assert_eq!(store.names(None).unwrap(), ["a.backup", "a.manifest.json"]);
        assert_eq!(store.names(Some("erasures")).unwrap(), ["b.json"]);
        let parsed: Vec<(String, Vec<u8>)> = store
            .json_objects(None, ".manifest.json", "a list")
            .unwrap();
        assert_eq!(parsed, [("a.manifest.json".to_owned(), vec![1])]);
        let mut read = String::new();
        std::io::Read::read_to_string(
            &mut store.fetch(None, "a.backup").unwrap().open().unwrap(),
            &mut read,
        )
        .unwrap();
        assert_eq!(read, "sealed");

        // A failed write leaves nothing under the name, and no temporary file.
        let failed = store.write_archive(None, "c.backup", |_| bail!("the export broke"));
        assert!(failed.is_err());
        assert_eq!(store.names(None).unwrap(), ["a.backup", "a.manifest.json"]);
        assert_eq!(
            std::fs::read_dir(dir.path().join("store")).unwrap().count(),
            3
        );

        store.delete(Some("erasures"), "b.json").unwrap();
        store.delete(Some("erasures"), "b.json").unwrap();
        assert!(store.names(Some("erasures")).unwrap().is_empty());
    }
}
