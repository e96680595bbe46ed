//! Creating and checking files that hold secrets (C2): directories 0700, files 0600.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Permission bits that let anyone but the owner in.
const GROUP_OR_OTHERS: u32 = 0o077;

/// Creates `dir` (and its parents) readable by its owner only, or leaves it as it is.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Writes a new secret file with mode 0600, flushed to disk before it counts as written.
/// Refuses to overwrite: a key that exists is never replaced by accident.
pub(crate) fn write_private_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)?;
    file.sync_all()?;
    if let Some(parent) = path.parent() {
        File::open(parent)?.sync_all()?;
    }
    Ok(())
}

/// The mode of `path` if group or others have any access to it.
pub(crate) fn too_open(path: &Path) -> io::Result<Option<u32>> {
    let mode = fs::metadata(path)?.permissions().mode() & 0o777;
    Ok((mode & GROUP_OR_OTHERS != 0).then_some(mode))
}
