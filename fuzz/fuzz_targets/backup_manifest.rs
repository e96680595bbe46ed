//! Backup manifests (`<id>.manifest.json` beside each archive in the backup store, read by
//! `skjold backup list|verify|restore` and by retention before any key is at hand):
//! `serde_json::from_slice::<Manifest>`, exactly as the backup store reads them.
//!
//! Must hold: no panic; a manifest that reads is written back as JSON that reads as the
//! same manifest (retention rewrites nothing, but `backup create` writes them this way).

#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_ops::backup::Manifest;

fuzz_target!(|json: &[u8]| {
    let Ok(manifest) = serde_json::from_slice::<Manifest>(json) else {
        return;
    };
    let written =
        serde_json::to_vec(&manifest).unwrap_or_else(|e| panic!("a read manifest must write: {e}"));
    let read = serde_json::from_slice::<Manifest>(&written)
        .unwrap_or_else(|e| panic!("a written manifest must read: {e}"));
    assert_eq!(read, manifest);
    assert_eq!(manifest.archive_name(), format!("{}.backup", manifest.id));
});
