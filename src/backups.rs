//! `skjold backup …` (C9, C17): encrypted copies of the database in the backup store,
//! and the checks and restores that make them worth having.
//!
//! A backup is a consistent copy of every row (one read transaction on either backend,
//! taken while the server keeps serving; see `skjold_store::snapshot` for why a logical
//! copy rather than `pg_dump` or a file copy), compressed and encrypted to the backup
//! recipients by `skjold_ops::backup`. The store (`crate::backup_store`: a directory or
//! object storage) holds `<id>.backup` and `<id>.manifest.json`, each written whole, so
//! a crash never leaves half a backup under a backup's name.

use std::fs::File;
use std::io::{BufReader, IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use skjold_app::{App, Erasure, ErasureOutcome};
use skjold_crypto::Keyring;
use skjold_domain::Environment;
use skjold_ops::backup::{ArchiveReader, ArchiveWriter, Header, Manifest, sha256_of};
use skjold_ops::identity::{Identity, identities_from};
use skjold_store::{Database, Record, RecordSink, SqliteTarget};
use time::OffsetDateTime;

use crate::backup_store::BackupStore;
use crate::config::{DatabaseConfig, ServeConfig};
use crate::erasure_ledger::Ledger;
use crate::keys::NO_LINKS;
use crate::log_vault::dev_recipient;
use crate::serve::{
    build_app, check_keyring_environment, create_data_dir, lock_embedded, open_database,
};

/// The identity generated for development and test, in the key directory.
pub const DEV_IDENTITY: &str = "backup-operator.identity";

/// What `create` passes on to the archive, counting rows for the progress line.
struct Progress<W: Write> {
    archive: ArchiveWriter<W>,
    rows: u64,
    shown: Option<Instant>,
}

impl<W: Write> RecordSink for Progress<W> {
    type Error = skjold_ops::backup::BackupError;

    fn record(&mut self, record: Record) -> Result<(), Self::Error> {
        if matches!(record, Record::Row(_)) {
            self.rows += 1;
            if self.rows.is_multiple_of(10_000)
                && let Some(shown) = &mut self.shown
                && shown.elapsed().as_millis() >= 250
            {
                eprint!("\r  {} rows copied", self.rows);
                *shown = Instant::now();
            }
        }
        self.archive.record(record)
    }
}

/// The time as the app sees it: the test clock's when one is configured.
pub fn now(config: &ServeConfig) -> OffsetDateTime {
    crate::clock::from_settings(config.test_clock_file.as_ref()).now()
}

/// `<UTC time>-<random>`: sorts by time, and two backups in one second differ.
pub(crate) fn new_id(at: OffsetDateTime) -> anyhow::Result<String> {
    let mut random = [0u8; 3];
    getrandom::fill(&mut random).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z-{}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        random
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    ))
}

/// The backup store, which must exist: reading, verifying, restoring or pruning from a
/// store that is not there is a mistake in the configuration, said as such.
pub(crate) fn open_store(config: &ServeConfig) -> anyhow::Result<Arc<BackupStore>> {
    let store = BackupStore::new(&config.backups.store)?;
    store.require()?;
    Ok(Arc::new(store))
}

/// The backup store for the first backup, which may make it.
pub(crate) fn new_or_open_store(config: &ServeConfig) -> anyhow::Result<Arc<BackupStore>> {
    Ok(Arc::new(BackupStore::new(&config.backups.store)?))
}

/// `skjold backup create`.
pub async fn create(config: &ServeConfig, out: &mut impl Write) -> anyhow::Result<Manifest> {
    check_recipients(config)?;
    let keyring = Arc::new(Keyring::open(&config.key_dir)?);
    check_keyring_environment(&keyring, config)?;
    let database = open_database(config, &keyring, None).await?;
    let progress = std::io::stderr().is_terminal();
    let taken = take(config, &keyring, &database, progress, out).await;
    database.close().await;
    taken
}

/// Production encrypts backups to the operators' own keys only.
pub fn check_recipients(config: &ServeConfig) -> anyhow::Result<()> {
    if config.backups.recipients.is_none() && config.environment == Environment::Production {
        bail!(
            "backup_recipients is not set: in production backups are encrypted to the \
             operators' own keys, whose identities never live on the server; make one with \
             `skjold backup new-identity --out backup.identity` on your own machine and set \
             backup_recipients to the age1… key it prints"
        );
    }
    Ok(())
}

/// What an archive holds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Contents {
    /// Every row: a backup, at the top of the store.
    Everything,
    /// The audit events that pruning with this cutoff deletes: an audit archive (C17),
    /// in [`AUDIT_ARCHIVES`].
    AuditEventsBefore(OffsetDateTime),
}

/// The backup store's folder of audit archives.
pub(crate) const AUDIT_ARCHIVES: &str = "audit-archives";

impl Contents {
    pub(crate) fn folder(self) -> Option<&'static str> {
        match self {
            Contents::Everything => None,
            Contents::AuditEventsBefore(_) => Some(AUDIT_ARCHIVES),
        }
    }
}

/// Seals `contents` of `database` into an archive encrypted to the backup recipients,
/// with its manifest, in the backup store: the manifest, and where the archive is. With
/// `progress`, a running count of rows goes to standard error.
pub(crate) async fn seal(
    config: &ServeConfig,
    keyring: &Keyring,
    database: &Database,
    contents: Contents,
    progress: bool,
) -> anyhow::Result<(Manifest, String)> {
    let recipients = match &config.backups.recipients {
        Some(list) => skjold_ops::identity::recipients_from(list)?,
        None => vec![dev_recipient(
            &config.key_dir.join(DEV_IDENTITY),
            "backups are encrypted",
            "backup_recipients",
        )?],
    };
    let store = new_or_open_store(config)?;
    // Whole seconds: the archive's header keeps no more.
    let created_at = now(config)
        .replace_nanosecond(0)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let header = Header {
        id: new_id(created_at)?,
        created_at,
        environment: config.environment.as_str().to_owned(),
        backend: database.backend().to_owned(),
        schema_version: database.schema_version().await?,
    };
    let folder = contents.folder();
    let mut sealed = None;
    store.write_archive(folder, &Manifest::archive_name_of(&header.id), |file| {
        let mut progress = Progress {
            archive: ArchiveWriter::new(file, &header, &recipients)?,
            rows: 0,
            shown: progress.then(Instant::now),
        };
        let exported = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(async {
                match contents {
                    Contents::Everything => database.export(&mut progress).await,
                    Contents::AuditEventsBefore(before) => database
                        .export_audit_events_before(before, &mut progress)
                        .await
                        .map(|_| ()),
                }
            })
        });
        if progress.shown.is_some() {
            eprintln!();
        }
        exported?;
        let (file, done) = progress.archive.finish()?;
        sealed = Some(done);
        Ok(file)
    })?;
    let sealed = sealed.context("the archive was not sealed")?;
    let manifest = Manifest {
        id: header.id.clone(),
        created_at,
        environment: header.environment,
        backend: header.backend,
        schema_version: header.schema_version,
        tables: sealed.tables,
        rows: sealed.rows,
        plain_bytes: sealed.plain_bytes,
        archive_bytes: sealed.archive_bytes,
        archive_sha256: sealed.archive_sha256,
        recipients: recipients.iter().map(ToString::to_string).collect(),
        key_ids: keyring.list().map(|k| k.id.to_string()).collect(),
        skjold_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let mut written = serde_json::to_vec_pretty(&manifest)?;
    written.push(b'\n');
    store.write(folder, &Manifest::manifest_name(&manifest.id), &written)?;
    let archive = store.locate(folder, &manifest.archive_name());
    Ok((manifest, archive))
}

/// Takes a backup of `database` into the store: what `create` and the server's schedule
/// both do. With `progress`, a running count of rows goes to standard error.
async fn take(
    config: &ServeConfig,
    keyring: &Keyring,
    database: &Database,
    progress: bool,
    out: &mut impl Write,
) -> anyhow::Result<Manifest> {
    let started = Instant::now();
    let (manifest, archive) =
        seal(config, keyring, database, Contents::Everything, progress).await?;
    let seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        target: "skjold::audit",
        event = "backup_created",
        backup = %manifest.id,
        rows = manifest.rows,
        bytes = manifest.archive_bytes,
        "backup created"
    );
    writeln!(
        out,
        "backup {} created: {} tables, {} rows, {} → {} encrypted, in {seconds:.1} s ({}/s)",
        manifest.id,
        manifest.tables,
        manifest.rows,
        megabytes(manifest.plain_bytes),
        megabytes(manifest.archive_bytes),
        megabytes((manifest.plain_bytes as f64 / seconds.max(1e-6)) as u64),
    )?;
    writeln!(out, "stored in {archive}")?;
    Ok(manifest)
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Every manifest in the store's `folder`, oldest first.
pub(crate) fn manifests(
    store: &BackupStore,
    folder: Option<&str>,
) -> anyhow::Result<Vec<Manifest>> {
    let mut found: Vec<Manifest> = store
        .json_objects(folder, ".manifest.json", "a backup manifest")
        .with_context(|| format!("cannot read the backup store {store}"))?
        .into_iter()
        .map(|(_, manifest)| manifest)
        .collect();
    found.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(found)
}

/// `skjold backup list`.
pub fn list(config: &ServeConfig, out: &mut impl Write) -> anyhow::Result<()> {
    let store = open_store(config)?;
    print_manifests(&store, None, "backups", out, |m| {
        format!(
            "{:<8} schema {:<3} {:>9} rows  {:>10}",
            m.backend,
            m.schema_version,
            m.rows,
            megabytes(m.archive_bytes)
        )
    })
}

/// The archives of `folder` in `store`, oldest first, a line each: id, time and
/// environment, then `rest`; or that there are no `what` there.
pub(crate) fn print_manifests(
    store: &BackupStore,
    folder: Option<&str>,
    what: &str,
    out: &mut impl Write,
    rest: impl Fn(&Manifest) -> String,
) -> anyhow::Result<()> {
    let all = manifests(store, folder)?;
    if all.is_empty() {
        writeln!(out, "no {what} in {store}")?;
    }
    for m in all {
        writeln!(
            out,
            "{}  {}  {:<11} {}",
            m.id,
            m.created_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            m.environment,
            rest(&m),
        )?;
    }
    Ok(())
}

/// `skjold backup prune`: deletes what the retention policy says is past keeping,
/// archive first, then manifest (a manifest without its archive is listed as such, never
/// an archive without a manifest left unaccounted for).
pub fn prune(config: &ServeConfig, out: &mut impl Write) -> anyhow::Result<()> {
    let store = open_store(config)?;
    let all = manifests(&store, None)?;
    let dated: Vec<(String, OffsetDateTime)> =
        all.iter().map(|m| (m.id.clone(), m.created_at)).collect();
    let doomed = config.backups.policy.to_delete(&dated, now(config));
    for id in &doomed {
        let manifest = all
            .iter()
            .find(|m| m.id == *id)
            .context("listed a moment ago")?;
        store.delete(None, &manifest.archive_name())?;
        store.delete(None, &Manifest::manifest_name(id))?;
        tracing::info!(
            target: "skjold::audit",
            event = "backup_deleted",
            backup = %id,
            "backup deleted: past its retention"
        );
        writeln!(out, "deleted backup {id}")?;
    }
    writeln!(
        out,
        "{} backups deleted, {} kept",
        doomed.len(),
        all.len() - doomed.len()
    )?;
    // A restore applies the erasures recorded since its backup: those older than every
    // backup kept are needed by none.
    let before = all
        .iter()
        .filter(|m| !doomed.contains(&m.id.as_str()))
        .map(|m| m.created_at)
        .min()
        .unwrap_or_else(|| now(config));
    let forgotten = Ledger::in_store(store).prune(before)?;
    if forgotten > 0 {
        tracing::info!(
            target: "skjold::audit",
            event = "erasure_ledger_pruned",
            entries = forgotten,
            "erasure ledger entries older than every backup deleted"
        );
        writeln!(
            out,
            "{forgotten} erasure ledger entries older than every backup deleted"
        )?;
    }
    Ok(())
}

/// The manifest of `id` and its archive, opened with `identity` after the archive's
/// size and hash were checked against the manifest.
pub(crate) fn open_backup(
    config: &ServeConfig,
    store: &BackupStore,
    folder: Option<&str>,
    id: &str,
    identity: Option<&Path>,
) -> anyhow::Result<(Manifest, ArchiveReader<BufReader<File>>)> {
    let manifest = manifests(store, folder)?
        .into_iter()
        .find(|m| m.id == id)
        .with_context(|| format!("there is no backup {id} in {store}"))?;
    // From object storage, a download; the reader keeps its file open after the
    // download's directory is removed at the end of this function.
    let fetched = store.fetch(folder, &manifest.archive_name())?;
    let (sha256, bytes) = sha256_of(fetched.open()?)?;
    if bytes != manifest.archive_bytes || sha256 != manifest.archive_sha256 {
        bail!(
            "backup {id} is damaged: its archive does not have the size and SHA-256 its \
             manifest records"
        );
    }
    let identities = backup_identities(config, identity)?;
    let archive = ArchiveReader::open(fetched.open()?, &identities)
        .with_context(|| format!("cannot open backup {id}"))?;
    let header = &archive.header;
    if header.id != manifest.id
        || header.created_at != manifest.created_at
        || header.environment != manifest.environment
        || header.backend != manifest.backend
        || header.schema_version != manifest.schema_version
    {
        bail!("backup {id}: the manifest does not say what the archive holds");
    }
    Ok((manifest, archive))
}

/// The identities to decrypt with: the file given, else the development identity in
/// the key directory (outside production).
fn backup_identities(config: &ServeConfig, given: Option<&Path>) -> anyhow::Result<Vec<Identity>> {
    let path = match given {
        Some(path) => path.to_owned(),
        None if config.backups.recipients.is_none() => config.key_dir.join(DEV_IDENTITY),
        None => bail!(
            "give --identity: the backup identity file whose key is one of backup_recipients \
             (it is kept off the servers)"
        ),
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the identity file {}", path.display()))?;
    Ok(identities_from(&text)?)
}

/// Loads the archive into a database that exists only for this check.
async fn load_into_scratch(
    keyring: &Keyring,
    archive: ArchiveReader<BufReader<File>>,
) -> anyhow::Result<u64> {
    let scratch = tempfile::tempdir().context("cannot make a scratch directory")?;
    let key = skjold_crypto::database_key(keyring.current());
    let database = Database::open_sqlite(SqliteTarget {
        path: scratch.path().join("verify.db"),
        key: &key,
    })
    .await?;
    let loaded = tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(database.import(archive, false))
    });
    database.close().await;
    Ok(loaded?)
}

fn check_schema(manifest: &Manifest, database_schema: i64) -> anyhow::Result<()> {
    if manifest.schema_version != database_schema {
        bail!(
            "backup {} holds schema version {}, and this Skjold's is {database_schema}: restore \
             it with the Skjold version that made it ({})",
            manifest.id,
            manifest.schema_version,
            manifest.skjold_version
        );
    }
    Ok(())
}

/// `skjold backup verify`: the archive's hash, its decryption, and a restore into a
/// scratch database; the live database is not opened.
pub async fn verify(
    config: &ServeConfig,
    id: &str,
    identity: Option<&Path>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let keyring = Keyring::open(&config.key_dir)?;
    let store = open_store(config)?;
    let (manifest, archive) = open_backup(config, &store, None, id, identity)?;
    let loaded = load_into_scratch(&keyring, archive)
        .await
        .with_context(|| format!("backup {id} does not restore"))?;
    if loaded != manifest.rows {
        bail!(
            "backup {id} restored {loaded} rows, but its manifest records {}",
            manifest.rows
        );
    }
    writeln!(
        out,
        "backup {id}: intact (SHA-256 matches), decrypts, and restores {loaded} rows into a \
         scratch database"
    )?;
    Ok(())
}

/// How `restore` may go beyond the safe default.
#[derive(Debug, Clone, Copy, Default)]
pub struct RestoreOptions {
    /// Replace the rows of a database that has some.
    pub force: bool,
    /// Restore a backup of another environment.
    pub allow_other_environment: bool,
    /// Leave the contacts erased since the backup restored (audited).
    pub keep_erased: bool,
}

/// `skjold backup restore`: into the configured database, which must be empty (or
/// `force`), of the backup's environment (or `allow_other_environment`), with a keyring
/// that holds the backup's keys. The server must not be running on an embedded database.
pub async fn restore(
    config: &ServeConfig,
    id: &str,
    identity: Option<&Path>,
    options: RestoreOptions,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let keyring = Arc::new(Keyring::open(&config.key_dir)?);
    check_keyring_environment(&keyring, config)?;
    let store = open_store(config)?;
    let (manifest, archive) = open_backup(config, &store, None, id, identity)?;
    // Read before anything is written: a ledger that cannot be read stops the restore
    // with the target untouched, instead of after the erased rows are back.
    let erasures = Ledger::in_store(store)
        .since(manifest.created_at)
        .context("the erasure ledger cannot be read, so the erasures since the backup could not be applied again; nothing was restored")?;
    let here = config.environment.as_str();
    if manifest.environment != here && !options.allow_other_environment {
        bail!(
            "backup {id} is of the {} environment and this is {here}: data does not move \
             between environments (give --allow-other-environment if this is really meant)",
            manifest.environment
        );
    }
    let held: Vec<String> = keyring.list().map(|k| k.id.to_string()).collect();
    if !manifest.key_ids.iter().any(|k| held.contains(k)) {
        bail!(
            "backup {id} was taken with keyring keys {}, and the keyring at {} holds none of \
             them: restore the keyring from its own backup first",
            manifest.key_ids.join(", "),
            config.key_dir.display()
        );
    }
    if matches!(config.database, DatabaseConfig::Embedded) {
        create_data_dir(config)?;
    }
    let lock = lock_embedded(config)?;
    if lock.as_ref().is_some_and(|l| !l.is_exclusive()) {
        bail!("the server is running on this data directory: stop it before a restore");
    }
    let database = open_database(config, &keyring, lock.as_ref()).await?;
    check_schema(&manifest, database.schema_version().await?)?;
    let loaded = tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(database.import(archive, options.force))
    });
    let loaded = match loaded {
        Ok(loaded) => loaded,
        Err(e) => {
            database.close().await;
            return Err(e).with_context(|| format!("backup {id} was not restored"));
        }
    };
    if manifest.environment != here {
        database.reclaim_environment(config.environment).await?;
    }
    let erased =
        apply_erasure_ledger(config, &keyring, &database, &manifest, &erasures, options).await;
    database.close().await;
    tracing::info!(
        target: "skjold::audit",
        event = "backup_restored",
        backup = %id,
        rows = loaded,
        forced = options.force,
        "backup restored"
    );
    writeln!(out, "backup {id} restored: {loaded} rows")?;
    let (recorded, outcome) = erased?;
    if options.keep_erased {
        writeln!(
            out,
            "kept {} erased contacts of {recorded} erasures recorded after the backup \
             (--keep-erased; each is in its account's audit trail)",
            outcome.found
        )?;
    } else {
        writeln!(
            out,
            "{recorded} erasure{} recorded after the backup applied again: {} contacts erased",
            if recorded == 1 { "" } else { "s" },
            outcome.erased
        )?;
    }
    Ok(())
}

/// Erases again, in the restored database, what the erasure ledger recorded after the
/// backup was taken (or, with `keep_erased`, records that it was not): how many entries
/// there were, and what was done.
async fn apply_erasure_ledger(
    config: &ServeConfig,
    keyring: &Arc<Keyring>,
    database: &Database,
    manifest: &Manifest,
    erasures: &[Erasure],
    options: RestoreOptions,
) -> anyhow::Result<(usize, ErasureOutcome)> {
    let app = build_app(config, keyring, database, NO_LINKS.to_owned())?;
    let outcome = app.apply_erasures(erasures, options.keep_erased).await?;
    tracing::info!(
        target: "skjold::audit",
        event = if options.keep_erased { "erasures_kept" } else { "erasures_reapplied" },
        backup = %manifest.id,
        recorded = erasures.len(),
        found = outcome.found,
        erased = outcome.erased,
        "erasure ledger applied to the restored database"
    );
    Ok((erasures.len(), outcome))
}

/// What the server needs for its scheduled backups (C9).
pub struct Schedule {
    pub config: ServeConfig,
    pub keyring: Arc<Keyring>,
    pub database: Database,
    /// When this server started: with no backup yet, "overdue" counts from here.
    pub started: OffsetDateTime,
}

impl Schedule {
    /// Called hourly: in the configured hour one instance takes the day's backup and
    /// prunes; a failure is a security event. Every instance checks that some backup
    /// succeeded in the last 26 hours.
    pub async fn run(&self, app: &App) {
        let config = &self.config;
        match app.claim_scheduled_backup(config.backups.hour).await {
            Ok(true) => {
                let taken = take(
                    config,
                    &self.keyring,
                    &self.database,
                    false,
                    &mut std::io::sink(),
                )
                .await
                .and_then(|_| prune(config, &mut std::io::sink()));
                if let Err(error) = taken {
                    tracing::error!(error = %format!("{error:#}"), "the scheduled backup failed");
                    if let Err(error) = app.backup_failed(&format!("{error:#}")).await {
                        tracing::error!(%error, "recording a failed backup failed");
                    }
                }
            }
            Ok(false) => {}
            Err(error) => tracing::error!(%error, "claiming the scheduled backup failed"),
        }
        let newest = new_or_open_store(config)
            .and_then(|store| manifests(&store, None))
            .ok()
            .and_then(|all| all.last().map(|m| m.created_at));
        if let Err(error) = app
            .check_backup_freshness(newest.unwrap_or(self.started))
            .await
        {
            tracing::error!(%error, "checking the backups' freshness failed");
        }
    }
}
