//! The `skjold` command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::settings::Settings;

/// Skjold: the account, identity, access, data-protection and operations core of a
/// multi-tenant product, secure by default.
///
/// Settings come from, lowest first: built-in defaults, the settings file (--config, or
/// ./skjold.toml if present), SKJOLD_* environment variables, and flags. See
/// docs/configuration.md for every setting.
#[derive(Debug, Parser)]
// A flag given twice takes its last value, as in most Unix tools, so a wrapper script
// can set a default and its caller override it.
#[command(
    name = "skjold",
    version,
    propagate_version = true,
    args_override_self = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process; boxing the big variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the site, the web app and the API over HTTPS.
    ///
    /// With no settings at all: creates ./skjold-data and, apart from it, ./skjold-keys
    /// with a new master key; opens an encrypted embedded database; serves HTTPS on
    /// 127.0.0.1:8443 with a development certificate and redirects HTTP on 127.0.0.1:8080.
    /// Stops cleanly on Ctrl-C or SIGTERM.
    Serve {
        /// Settings file (TOML) [default: ./skjold.toml if present]
        #[arg(long, env = "SKJOLD_CONFIG", value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(flatten)]
        settings: Settings,
    },
    /// Inspect and rotate the keyring.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Print the version.
    Version,
}

// Parsed once per process, like `Command`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List the master keys: id, creation time, environment, which one is current.
    /// Never prints key material.
    List {
        /// Settings file (TOML) [default: ./skjold.toml if present]
        #[arg(long, env = "SKJOLD_CONFIG", value_name = "FILE")]
        config: Option<PathBuf>,
        /// Keyring directory [default: ./skjold-keys]
        #[arg(long, env = "SKJOLD_KEY_DIR", value_name = "DIR")]
        key_dir: Option<PathBuf>,
        /// Days after which the current key is marked overdue [default: 90]
        #[arg(long, env = "SKJOLD_MAX_KEY_AGE_DAYS", value_name = "DAYS")]
        max_key_age_days: Option<u32>,
    },
    /// Make a new master key version current, and rewrap every account's data key with
    /// it. Takes the same settings as `serve` (keyring, data directory, database) and may
    /// run while servers serve: they pick the new key up when they meet it. Safe to run
    /// again after an interruption: it finishes what is left.
    Rotate {
        /// Instead of a new master key: give every account a new data key, reseal its
        /// rows with it and delete the old data keys once no row uses them
        #[arg(long)]
        data_keys: bool,
        /// With --data-keys: reseal at most this many rows in this run; run again to
        /// continue where it stopped
        #[arg(long, value_name = "N", requires = "data_keys")]
        max_rows: Option<u64>,
        /// Settings file (TOML) [default: ./skjold.toml if present]
        #[arg(long, env = "SKJOLD_CONFIG", value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(flatten)]
        settings: Settings,
    },
    /// Delete an older master key version for good, once nothing needs it: no account
    /// data key wrapped under it, no field sealed under it, and the embedded database no
    /// longer encrypted under it (a server moves the file to the current key as it
    /// starts; with no server running this command does). Refuses otherwise, and says
    /// what still needs the key. Backups made while the key was current still need it:
    /// keep it in your offline key backup for as long as you keep those.
    Retire {
        /// The key to retire, for example k1 (`skjold keys list` shows them)
        #[arg(value_name = "KEY_ID")]
        key_id: skjold_domain::KeyId,
        /// Settings file (TOML) [default: ./skjold.toml if present]
        #[arg(long, env = "SKJOLD_CONFIG", value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(flatten)]
        settings: Settings,
    },
}
