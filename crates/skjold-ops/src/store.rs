//! Where sealed log segments are kept: a store shared by every instance, one folder
//! (prefix) per instance. The local directory store is the default; object stores plug
//! in behind the same trait.

use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::error::LogError;
use crate::segment::seq_of_name;

/// What an instance's chain starts from once retention has deleted its oldest segments:
/// the sequence number and hash of the last deleted one.
pub const ANCHOR: &str = "anchor.json";

/// A log store. Writes are whole-object and durable when they return.
pub trait LogStore: Send + Sync + std::fmt::Debug {
    /// The instances that have written here.
    fn instances(&self) -> Result<Vec<String>, LogError>;
    /// The segment names of `instance`, in chain order.
    fn segments(&self, instance: &str) -> Result<Vec<String>, LogError>;
    /// An object's bytes; `None` if it does not exist.
    fn get(&self, instance: &str, name: &str) -> Result<Option<Vec<u8>>, LogError>;
    /// Stores an object whole: after a crash it is either all there or not at all.
    fn put(&self, instance: &str, name: &str, bytes: &[u8]) -> Result<(), LogError>;
    fn delete(&self, instance: &str, name: &str) -> Result<(), LogError>;
}

/// Segments as files in a local directory (or a mounted share): `<root>/<instance>/`.
#[derive(Debug, Clone)]
pub struct DirStore {
    root: PathBuf,
}

impl DirStore {
    pub fn new(root: impl Into<PathBuf>) -> DirStore {
        DirStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn names(dir: &Path) -> Result<Vec<String>, LogError> {
        match fs::read_dir(dir) {
            Ok(entries) => entries
                .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }
}

/// The names among `names` that are segments', in chain order: what every store's
/// [`LogStore::segments`] answers.
pub(crate) fn segment_names(names: Vec<String>) -> Vec<String> {
    let mut names: Vec<String> = names
        .into_iter()
        .filter(|n| seq_of_name(n).is_some())
        .collect();
    names.sort();
    names
}

/// An instance name that is safe as one path component.
fn checked(instance: &str) -> Result<&str, LogError> {
    let ok = !instance.is_empty()
        && instance
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !instance.starts_with('.');
    ok.then_some(instance)
        .ok_or_else(|| LogError::Config(format!("{instance:?} is not a usable instance id")))
}

impl LogStore for DirStore {
    fn instances(&self) -> Result<Vec<String>, LogError> {
        let mut names: Vec<String> = DirStore::names(&self.root)?
            .into_iter()
            .filter(|n| checked(n).is_ok() && self.root.join(n).is_dir())
            .collect();
        names.sort();
        Ok(names)
    }

    fn segments(&self, instance: &str) -> Result<Vec<String>, LogError> {
        Ok(segment_names(DirStore::names(
            &self.root.join(checked(instance)?),
        )?))
    }

    fn get(&self, instance: &str, name: &str) -> Result<Option<Vec<u8>>, LogError> {
        match fs::read(self.root.join(checked(instance)?).join(checked(name)?)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes a temporary file, fsyncs it, renames it into place and fsyncs the folder:
    /// a crash leaves the old state or the new, never half a segment under its name.
    fn put(&self, instance: &str, name: &str, bytes: &[u8]) -> Result<(), LogError> {
        let dir = self.root.join(checked(instance)?);
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)?;
        let temporary = dir.join(format!(".{}.partial", checked(name)?));
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temporary, dir.join(name))?;
        File::open(&dir)?.sync_all()?;
        Ok(())
    }

    fn delete(&self, instance: &str, name: &str) -> Result<(), LogError> {
        let dir = self.root.join(checked(instance)?);
        match fs::remove_file(dir.join(checked(name)?)) {
            Ok(()) => Ok(File::open(&dir)?.sync_all()?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_kept_per_instance_and_names_cannot_leave_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirStore::new(dir.path());
        store.put("node-1", "0000000002-x.seg", b"two").unwrap();
        store.put("node-1", "0000000001-x.seg", b"one").unwrap();
        store.put("node-1", ANCHOR, b"{}").unwrap();
        assert_eq!(store.instances().unwrap(), ["node-1"]);
        assert_eq!(
            store.segments("node-1").unwrap(),
            ["0000000001-x.seg", "0000000002-x.seg"]
        );
        assert_eq!(
            store.get("node-1", "0000000001-x.seg").unwrap().unwrap(),
            b"one"
        );
        store.delete("node-1", "0000000001-x.seg").unwrap();
        assert_eq!(store.segments("node-1").unwrap(), ["0000000002-x.seg"]);
        assert!(store.put("../escape", "a.seg", b"").is_err());
        assert!(store.get("node-1", "../../etc/passwd").is_err());
    }
}
