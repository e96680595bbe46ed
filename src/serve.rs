//! `skjold serve`: builds the keyring, the database, TLS and the routers, then serves
//! until SIGINT/SIGTERM and closes the database cleanly.

use std::fs::DirBuilder;
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use skjold_app::{App, AppParts, HashPool, LiveKeyring};
use skjold_crypto::{Keyring, PasswordHashing, ensure_apart, ensure_dev_certificate};
use skjold_http::{
    CertificateFiles, Listeners, ReloadingCertificate, SiteFacts, TrustedProxies, ops_router,
    public_router, redirect_router, serve, server_config,
};
use skjold_store::{Database, PostgresTarget};
use time::OffsetDateTime;

use crate::alerts::Alerts;
use crate::backup_store::BackupStore;
use crate::config::{DatabaseConfig, KmsConfig, ServeConfig, SmsConfig};
use crate::embedded::{self, DataDirLock};
use crate::erasure_ledger::Ledger;
use crate::vault::VaultTransit;
use skjold_ops::layer::LogOutputs;
use skjold_ops::store::LogStore;

pub async fn run(config: ServeConfig, log_slot: &Arc<LogOutputs>) -> anyhow::Result<()> {
    // Whole seconds: the time is shown to people and written into key files.
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    // Checked before anything is created, so a refused layout leaves nothing behind.
    ensure_apart(&config.key_dir, &config.data_dir)?;
    crate::backups::check_recipients(&config)?;
    create_data_dir(&config)?;

    let keyring = Arc::new(Keyring::open_or_create(
        &config.key_dir,
        config.environment,
        now,
    )?);
    check_keyring_environment(&keyring, &config)?;
    let logs = crate::log_vault::start(&config.logs, &config.key_dir, &config.data_dir)?;
    log_slot.attach_vault(logs.vault.sink());
    // Every request logs a line: from here on standard error is written in batches,
    // and what is left when `run` returns (also with an error) is written then.
    let _stderr = log_slot.batch_stderr()?;

    let mut lock = lock_embedded(&config)?;
    let database = open_database(&config, &keyring, lock.as_ref()).await?;
    if let Some(lock) = &mut lock {
        // Other servers may share the embedded database from now on.
        lock.share()?;
    }
    database.claim_environment(config.environment).await?;
    tracing::info!(
        backend = database.backend(),
        environment = %config.environment,
        key = %keyring.current().info().id,
        "database ready"
    );

    let (certificate, dev_ca) = match &config.tls {
        Some(files) => (
            CertificateFiles {
                cert: files.cert.clone(),
                key: files.key.clone(),
            },
            None,
        ),
        None => {
            let dev = ensure_dev_certificate(&config.key_dir, now)?;
            (
                CertificateFiles {
                    cert: dev.cert_path,
                    key: dev.key_path,
                },
                Some(dev.ca_path),
            )
        }
    };
    let certificate =
        ReloadingCertificate::load(certificate).context("cannot load the TLS certificate")?;
    let tls = server_config(Arc::clone(&certificate))?;
    let watcher = tokio::spawn(Arc::clone(&certificate).watch(config.tls_reload));

    let shutdown = shutdown_signal()?;
    let https = bind(config.listen, "--listen")?;
    let redirect = bind(config.redirect_listen, "--redirect-listen")?;
    let metrics = bind(config.metrics_listen, "--metrics-listen")?;
    let https_addr = https.local_addr()?;
    announce(
        https_addr,
        redirect.local_addr()?,
        metrics.local_addr()?,
        dev_ca.as_deref(),
    )?;

    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("https://localhost:{}", https_addr.port()));
    let app = build_app(&config, &keyring, &database, public_url)?;
    let backups = crate::backups::Schedule {
        config: config.clone(),
        keyring: Arc::clone(&keyring),
        database: database.clone(),
        started: crate::backups::now(&config),
    };
    let housekeeping = tokio::spawn(housekeeping(
        app.clone(),
        Arc::clone(&logs.store),
        config.logs.retention,
        config.audit_retention,
        backups,
    ));
    let public = public_router(
        app,
        TrustedProxies::new(config.trusted_proxies.clone()),
        Arc::new(site_facts(&config)),
    );
    let listeners = Listeners {
        https,
        plain: vec![
            (redirect, redirect_router(https_addr.port())),
            (metrics, ops_router(crate::metrics::install()?)),
        ],
    };
    let served = serve(listeners, public, tls, shutdown, config.shutdown_grace).await;

    watcher.abort();
    housekeeping.abort();
    database.close().await;
    tracing::info!("database closed; stopped");
    // The last lines, "stopped" among them, are sealed before the process ends.
    logs.vault.close();
    served.context("the server failed")
}

/// The use cases with their concrete ports.
pub(crate) fn build_app(
    config: &ServeConfig,
    keyring: &Arc<Keyring>,
    database: &Database,
    public_url: String,
) -> anyhow::Result<App> {
    let clock = crate::clock::from_settings(config.test_clock_file.as_ref());
    let live = Arc::new(LiveKeyring::new(Arc::clone(keyring)));
    let mailer: Arc<dyn skjold_app::Mailer> = Arc::from(crate::mailer::from_config(&config.mail)?);
    Ok(App::new(AppParts {
        probe: Arc::new(database.clone()),
        accounts: Arc::new(database.clone()),
        profiles: Arc::new(database.clone()),
        contacts: Arc::new(database.clone()),
        members: Arc::new(database.clone()),
        audit_log: Arc::new(database.clone()),
        key_maintenance: Arc::new(database.clone()),
        second_steps: Arc::new(database.clone()),
        rate_counters: Arc::new(database.clone()),
        sign_in_guard: Arc::new(database.clone()),
        master_keys: match &config.kms {
            KmsConfig::Keyring => Arc::clone(&live) as Arc<dyn skjold_app::MasterKeys>,
            KmsConfig::Vault {
                addr,
                key,
                token_file,
            } => Arc::new(VaultTransit::new(addr, key, token_file)?),
        },
        clock,
        mailer: Arc::clone(&mailer),
        alerts: Arc::new(Alerts::new(&config.alerts, mailer)?),
        sms_codes: Arc::new(database.clone()),
        sms: crate::sms::from_config(&config.sms)?.map(Arc::from),
        public_url,
        hashes: HashPool::new(
            PasswordHashing::new(config.hash_params)?,
            config.hash_concurrency,
        ),
        blind_index: keyring.blind_index(),
        keyring: live,
        policy: config.password_policy,
        sessions: config.sessions,
        jobs: Arc::new(database.clone()),
        erasures: Arc::new(Ledger::in_store(Arc::new(BackupStore::new(
            &config.backups.store,
        )?))),
        max_key_age: config.max_key_age,
    }))
}

/// How often an instance does its housekeeping; the key age event itself is recorded at
/// most once a day across instances.
const HOUSEKEEPING: std::time::Duration = std::time::Duration::from_secs(3600);

/// At start and then hourly, for as long as the server runs: checks the master key's
/// age, deletes rate limit counters of windows long past, (one instance a day) deletes
/// log segments and audit events past their retention, and runs the backup schedule.
async fn housekeeping(
    app: App,
    log_store: Arc<dyn LogStore>,
    retention: time::Duration,
    audit_retention: time::Duration,
    backups: crate::backups::Schedule,
) {
    let mut tick = tokio::time::interval(HOUSEKEEPING);
    loop {
        tick.tick().await;
        backups.run(&app).await;
        match app.claim_daily_job("log_retention").await {
            Ok(true) => {
                let store = Arc::clone(&log_store);
                let pruned = tokio::task::spawn_blocking(move || {
                    skjold_ops::retention::prune(
                        store.as_ref(),
                        retention,
                        OffsetDateTime::now_utc(),
                    )
                })
                .await;
                match pruned {
                    Ok(Ok(deleted)) => crate::logs_cli::log_pruned(&deleted),
                    Ok(Err(error)) => tracing::error!(%error, "deleting old log segments failed"),
                    Err(error) => tracing::error!(%error, "deleting old log segments failed"),
                }
            }
            Ok(false) => {}
            Err(error) => tracing::error!(%error, "claiming the log retention job failed"),
        }
        match app.claim_daily_job("audit_retention").await {
            Ok(true) => {
                // Archived first: what cannot be archived is not deleted (C17).
                let before = crate::backups::now(&backups.config) - audit_retention;
                let archived = crate::audit_archive::archive_before(
                    &backups.config,
                    &backups.keyring,
                    &backups.database,
                    before,
                )
                .await;
                match archived {
                    Ok(_) => {
                        if let Err(error) = app.prune_audit_trail(before).await {
                            tracing::error!(%error, "deleting old audit events failed");
                        }
                    }
                    Err(error) => tracing::error!(
                        error = %format!("{error:#}"),
                        "archiving the audit events past their retention failed; none were deleted"
                    ),
                }
            }
            Ok(false) => {}
            Err(error) => tracing::error!(%error, "claiming the audit retention job failed"),
        }
        if let Err(error) = app.check_key_age().await {
            tracing::error!(%error, "checking the master key's age failed");
        }
        if let Err(error) = app.forget_old_rate_counters().await {
            tracing::error!(%error, "deleting old rate limit counters failed");
        }
    }
}

/// Refuses a keyring made for another environment than the configured one (C8).
pub(crate) fn check_keyring_environment(
    keyring: &Keyring,
    config: &ServeConfig,
) -> anyhow::Result<()> {
    if keyring.environment() != config.environment {
        bail!(
            "the keyring {} belongs to the {} environment, but this instance is configured as \
             {}; use the {} keyring (--key-dir), or set --environment {} if this really is {}",
            config.key_dir.display(),
            keyring.environment(),
            config.environment,
            config.environment,
            keyring.environment(),
            keyring.environment(),
        );
    }
    Ok(())
}

/// Opens the configured database. An embedded one under the key it is encrypted with,
/// moved to the current master key first when `lock` is exclusive; without a lock
/// (commands that only read or write rows) it is never moved.
pub(crate) async fn open_database(
    config: &ServeConfig,
    keyring: &Keyring,
    lock: Option<&DataDirLock>,
) -> anyhow::Result<Database> {
    Ok(match &config.database {
        DatabaseConfig::Embedded => {
            let may_move = lock.is_some_and(DataDirLock::is_exclusive);
            embedded::open(&config.data_dir, keyring, may_move).await?
        }
        DatabaseConfig::Postgres { url, password_file } => {
            Database::open_postgres(PostgresTarget {
                url: url.clone(),
                password_file: password_file.clone(),
            })
            .await?
        }
    })
}

/// Makes the data directory (0700) if it is not there.
pub(crate) fn create_data_dir(config: &ServeConfig) -> anyhow::Result<()> {
    create_private_dir(&config.data_dir, "the data directory")
}

/// What the public security page states, from the settings in force.
fn site_facts(config: &ServeConfig) -> SiteFacts {
    let policy = &config.backups.policy;
    SiteFacts {
        backup_min_days: policy.min_days(),
        backup_max_days: policy.max_days(),
        backup_thin_days: policy.thin_days(),
        log_retention_days: config.logs.retention.whole_days(),
        audit_retention_days: config.audit_retention.whole_days(),
        session_idle_minutes: config.sessions.idle.whole_minutes(),
        session_absolute_hours: config.sessions.absolute.whole_hours(),
        max_key_age_days: config.max_key_age.whole_days(),
        password_min_length: config.password_policy.min_length(),
        sms_second_step: !matches!(config.sms, SmsConfig::Off),
        security_contact: config.security_contact.clone(),
    }
}

/// Creates `dir` (`what`, for the error) and its parents, readable by this user only.
pub(crate) fn create_private_dir(dir: &Path, what: &str) -> anyhow::Result<()> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {what} {}", dir.display()))
}

/// The lock of the data directory, when the database is the embedded one in it.
pub(crate) fn lock_embedded(config: &ServeConfig) -> anyhow::Result<Option<DataDirLock>> {
    match config.database {
        DatabaseConfig::Embedded => embedded::lock(&config.data_dir).map(Some),
        DatabaseConfig::Postgres { .. } => Ok(None),
    }
}

fn bind(addr: SocketAddr, flag: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).with_context(|| {
        format!("cannot listen on {addr}; is another process using it? choose another with {flag}")
    })
}

/// Tells the person at the terminal where to go. Standard output, one fact a line, so
/// scripts and the test harness can read the addresses too.
fn announce(
    https: SocketAddr,
    redirect: SocketAddr,
    metrics: SocketAddr,
    dev_ca: Option<&Path>,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "skjold: metrics at http://{metrics}/metrics")?;
    writeln!(out, "skjold: serving https://{https}")?;
    writeln!(out, "skjold: redirecting http://{redirect} to HTTPS")?;
    if let Some(ca) = dev_ca {
        writeln!(
            out,
            "skjold: warning: using a development certificate, not for production (trust {} to avoid browser warnings)",
            ca.display()
        )?;
    }
    out.flush()?;
    Ok(())
}

/// Registers for SIGINT (Ctrl-C) and SIGTERM (container stop) now, and returns a future
/// that completes on the first of them. Registering before the addresses are announced
/// matters: a SIGTERM in between would otherwise kill the process with the default action,
/// without closing the database.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
    })
}
