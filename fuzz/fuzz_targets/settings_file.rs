//! The settings file (`skjold.toml`, or the file `--config` names): `Settings::from_file`,
//! what `skjold` does with it. The binary crate has no library, so this target compiles
//! the binary's own `src/settings.rs` as a module of its own: the code fuzzed is the code
//! shipped, and the binary needs no change to be reachable.
//!
//! Must hold: no panic, for any bytes (not UTF-8 included), also while the error is
//! formatted for the operator; settings that read are kept whole by the layering, under
//! and over an empty layer.

#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;

#[path = "../../src/settings.rs"]
mod settings;

use settings::Settings;

/// The file each input is written to, as an operator's file would be: one per process, in
/// the temporary directory (the CI script points that at a scratch directory).
static FILE: LazyLock<PathBuf> = LazyLock::new(|| {
    std::env::temp_dir().join(format!("skjold-fuzz-settings-{}.toml", std::process::id()))
});

fuzz_target!(|bytes: &[u8]| {
    std::fs::write(&*FILE, bytes).unwrap_or_else(|e| panic!("{}: {e}", FILE.display()));
    match Settings::from_file(Some(FILE.as_path())) {
        Ok(read) => {
            let shown = format!("{read:?}");
            assert_eq!(
                format!("{:?}", read.clone().over(Settings::default())),
                shown
            );
            assert_eq!(format!("{:?}", Settings::default().over(read)), shown);
        }
        Err(e) => assert!(!format!("{e:#}").is_empty()),
    }
});
