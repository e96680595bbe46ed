//! `skjold keys …`: what an operator may see of the keyring.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use skjold_crypto::Keyring;
use time::format_description::well_known::Rfc3339;

/// Prints one line per master key, never its material.
pub fn list(key_dir: &Path, out: &mut impl Write) -> anyhow::Result<()> {
    let keyring = Keyring::open(key_dir)?;
    let current = keyring.current().info().id;
    writeln!(
        out,
        "{:<6} {:<26} {:<12} CURRENT",
        "ID", "CREATED", "ENVIRONMENT"
    )?;
    for info in keyring.list() {
        let created = info
            .created_at
            .format(&Rfc3339)
            .context("formatting a date")?;
        let marker = if info.id == current { "*" } else { "" };
        writeln!(
            out,
            "{:<6} {:<26} {:<12} {marker}",
            info.id, created, info.environment
        )?;
    }
    Ok(())
}
