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
    /// Check the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Read, check and prune the encrypted log vault.
    ///
    /// Every instance writes its logs, redacted, in segments encrypted to the operators'
    /// keys (log_recipients) and hash-chained per instance. Reading needs an operator
    /// identity file; listing, verifying the chains and pruning do not.
    Logs {
        #[command(subcommand)]
        command: LogsCommand,
    },
    /// Take, list, check and restore encrypted backups of the database.
    ///
    /// A backup is a consistent copy of every row, taken while the server keeps serving,
    /// compressed and encrypted to the backup recipients (backup_recipients); restoring
    /// needs a backup identity file, which is kept off the servers. Takes the same
    /// settings as `serve`.
    Backup {
        #[command(subcommand)]
        command: BackupCommand,
    },
    /// Print the version.
    Version,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk every account's hash chain of audit events, recomputing each hash, and name
    /// each event that was altered, deleted or moved; exits with 1 if there is one.
    /// Takes the same settings as `serve` (keyring, data directory, database).
    Verify {
        /// Settings file (TOML) [default: ./skjold.toml if present]
        #[arg(long, env = "SKJOLD_CONFIG", value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(flatten)]
        settings: Settings,
    },
    /// List the encrypted archives of audit events past their retention: before the
    /// daily job deletes them from the database it seals them into `audit-archives/` of
    /// the backup store, encrypted to the backup recipients. Kept until you delete them.
    Archives {
        /// Settings file (TOML) [default: ./skjold.toml if present]
        #[arg(long, env = "SKJOLD_CONFIG", value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(flatten)]
        settings: Settings,
    },
    /// Print the events of one audit archive, one JSON object a line (hashes in hex), after
    /// checking its SHA-256 against its manifest. Needs the backup identity.
    ReadArchive {
        #[command(flatten)]
        archive: BackupChoice,
        /// Settings file (TOML) [default: ./skjold.toml if present]
        #[arg(long, env = "SKJOLD_CONFIG", value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(flatten)]
        settings: Settings,
    },
}

/// Where the log vault is: the same settings `serve` uses.
#[derive(Debug, Clone, clap::Args)]
pub struct LogPlace {
    /// Settings file (TOML) [default: ./skjold.toml if present]
    #[arg(long, env = "SKJOLD_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The log store: a directory, azure://<container> or s3://<bucket> [default: the
    /// settings' log_store, else <data dir>/logs]
    #[arg(long, env = "SKJOLD_LOG_STORE", value_name = "DIR|URL")]
    pub log_store: Option<PathBuf>,
    /// With an azure:// log store: the storage account's name; with s3://: the access
    /// key id
    #[arg(long, env = "SKJOLD_LOG_STORE_ACCOUNT", value_name = "NAME")]
    pub log_store_account: Option<String>,
    /// With an azure:// log store: a file holding the account's access key; with s3://:
    /// the secret access key
    #[arg(long, env = "SKJOLD_LOG_STORE_KEY_FILE", value_name = "FILE")]
    pub log_store_key_file: Option<PathBuf>,
    /// With an azure:// or s3:// log store: another endpoint than the provider's own
    #[arg(long, env = "SKJOLD_LOG_STORE_ENDPOINT", value_name = "URL")]
    pub log_store_endpoint: Option<String>,
    /// With an s3:// log store: the bucket's region [default: us-east-1]
    #[arg(long, env = "SKJOLD_LOG_STORE_REGION", value_name = "REGION")]
    pub log_store_region: Option<String>,
    /// Data directory, for the default log store [default: ./skjold-data]
    #[arg(long, env = "SKJOLD_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Keyring directory, where development keeps its generated identity
    /// [default: ./skjold-keys]
    #[arg(long, env = "SKJOLD_KEY_DIR", value_name = "DIR")]
    pub key_dir: Option<PathBuf>,
}

/// Which lines to print.
#[derive(Debug, Clone, clap::Args)]
pub struct LineFilterArgs {
    /// The operator identity file [default: the development identity in the key
    /// directory, if there is one]
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
    /// Lines from this time on: RFC 3339 (2026-11-26T10:00:00Z) or an age (90m, 2h, 7d)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Lines up to this time, as --since
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only this instance's lines
    #[arg(long, value_name = "ID")]
    pub instance: Option<String>,
    /// The least severe level shown: error, warn, info, debug or trace
    #[arg(long, value_name = "LEVEL")]
    pub level: Option<tracing::Level>,
    /// Only targets starting with this (skjold::security)
    #[arg(long, value_name = "TARGET")]
    pub target: Option<String>,
    /// Keep printing lines as new segments arrive, until Ctrl-C
    #[arg(long)]
    pub follow: bool,
}

#[derive(Debug, Subcommand)]
pub enum LogsCommand {
    /// List the segments: instance, sequence number, time range, lines. Needs no key.
    List {
        #[command(flatten)]
        place: LogPlace,
    },
    /// Print the log lines (one JSON object a line), oldest first per instance.
    Read {
        #[command(flatten)]
        place: LogPlace,
        #[command(flatten)]
        filter: LineFilterArgs,
    },
    /// Print the lines that contain TEXT (ignoring case).
    Search {
        /// The text to look for
        #[arg(value_name = "TEXT")]
        text: String,
        #[command(flatten)]
        place: LogPlace,
        #[command(flatten)]
        filter: LineFilterArgs,
    },
    /// Check every instance's hash chain and name each missing, altered or reordered
    /// segment; exits with 1 if there is one. With --identity it also opens every
    /// segment, which finds a change to the newest one too.
    Verify {
        #[command(flatten)]
        place: LogPlace,
        /// The operator identity file
        #[arg(long, value_name = "FILE")]
        identity: Option<PathBuf>,
    },
    /// Delete the segments older than the retention, oldest first; says what it deleted.
    Prune {
        #[command(flatten)]
        place: LogPlace,
        /// Days to keep, at most 90 [default: the settings' log_retention_days, else 90]
        #[arg(long, env = "SKJOLD_LOG_RETENTION_DAYS", value_name = "DAYS")]
        retention_days: Option<u32>,
    },
    /// Make a new operator identity file, readable by you only, and print the recipient
    /// to put in log_recipients. Keep the file off the servers.
    NewIdentity {
        /// Where to write the identity (must not exist)
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// A backup's (or audit archive's) id and the identity that opens it.
#[derive(Debug, Clone, clap::Args)]
pub struct BackupChoice {
    /// The id, as `skjold backup list` (or `skjold audit archives`) shows it
    pub id: String,
    /// The backup identity file [default: outside production, the development identity
    /// in the key directory]
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
}

// Parsed once per process, like `Command`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Copy every row as of one moment, compress it (zstd), encrypt it to the backup
    /// recipients and store it with a manifest; shows progress on a terminal.
    Create {
        /// Settings file (TOML) [default: ./skjold.toml if present]
        #[arg(long, env = "SKJOLD_CONFIG", value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(flatten)]
        settings: Settings,
    },
    /// List the backups in the store, oldest first: id, time, environment, backend,
    /// schema version, rows, size.
    List {
        /// Settings file (TOML) [default: ./skjold.toml if present]
        #[arg(long, env = "SKJOLD_CONFIG", value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(flatten)]
        settings: Settings,
    },
    /// Delete the backups past the retention policy: each is kept at least
    /// backup_min_days (30), none past backup_max_days (90), and between the two the
    /// newest of each backup_thin_days (7) period. Prints and logs what it deleted.
    Prune {
        /// Settings file (TOML) [default: ./skjold.toml if present]
        #[arg(long, env = "SKJOLD_CONFIG", value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(flatten)]
        settings: Settings,
    },
    /// Check a backup without touching the live database: its archive's SHA-256 against
    /// the manifest, its decryption, and a restore into a scratch database.
    Verify {
        #[command(flatten)]
        backup: BackupChoice,
        /// Settings file (TOML) [default: ./skjold.toml if present]
        #[arg(long, env = "SKJOLD_CONFIG", value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(flatten)]
        settings: Settings,
    },
    /// Restore a backup into the configured database, which must be empty. Refuses a
    /// backup of another environment, and a keyring without the backup's keys. Stop the
    /// server first. Contacts erased after the backup was taken (the erasure ledger in
    /// the backup store records them) are erased again before the restore finishes.
    Restore {
        #[command(flatten)]
        backup: BackupChoice,
        /// Replace the rows of a database that is not empty (in one transaction: if the
        /// restore fails, the rows stay)
        #[arg(long)]
        force: bool,
        /// Restore a backup of another environment (production data into test, say)
        #[arg(long)]
        allow_other_environment: bool,
        /// Do not erase again what the erasure ledger says was erased after the backup:
        /// for when the erasure itself was the accident. Recorded in each affected
        /// account's audit trail
        #[arg(long)]
        keep_erased: bool,
        /// Settings file (TOML) [default: ./skjold.toml if present]
        #[arg(long, env = "SKJOLD_CONFIG", value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(flatten)]
        settings: Settings,
    },
    /// Make a backup identity file and print the recipient to put in backup_recipients.
    /// Run it on your own machine, and keep the file off the servers.
    NewIdentity {
        /// Where to write the identity (must not exist)
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
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
