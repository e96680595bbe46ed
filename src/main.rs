//! The `skjold` binary: reads the command line and settings, builds everything, runs it.
//! This is the only place that names concrete implementations.

mod alerts;
mod audit_archive;
mod audit_cli;
mod backup_store;
mod backups;
mod cli;
mod clock;
mod config;
mod embedded;
mod erasure_ledger;
mod keys;
mod log_vault;
mod logs_cli;
mod mailer;
mod metrics;
mod outbound;
mod serve;
mod settings;
mod sms;
mod stores;
mod telemetry;
mod vault;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use skjold_ops::layer::LogOutputs;

use crate::cli::{AuditCommand, BackupCommand, Cli, Command, KeysCommand};
use crate::config::{DEFAULT_KEY_DIR, ServeConfig};
use crate::settings::Settings;

fn main() -> ExitCode {
    outbound::install_crypto_provider();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the cause chain on one line: "what failed: why".
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// What `serve` and the commands that work on its data need: the resolved settings,
/// logging, and a runtime.
fn serve_setup(
    file: Option<std::path::PathBuf>,
    settings: Settings,
) -> anyhow::Result<(ServeConfig, tokio::runtime::Runtime, Arc<LogOutputs>)> {
    let file = Settings::from_file(file.as_deref())?;
    let config = ServeConfig::resolve(settings.over(file))?;
    let slot = telemetry::init(config.log_format, &config.log, &config.logs.redact_fields)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    Ok((config, runtime, slot))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { config, settings } => {
            let (config, runtime, slot) = serve_setup(config, settings)?;
            runtime.block_on(serve::run(config, &slot))
        }
        Command::Keys {
            command:
                KeysCommand::List {
                    config,
                    key_dir,
                    max_key_age_days,
                },
        } => {
            let file = Settings::from_file(config.as_deref())?;
            let key_dir = key_dir
                .or(file.key_dir)
                .unwrap_or_else(|| DEFAULT_KEY_DIR.into());
            let max_age = crate::config::max_key_age(max_key_age_days.or(file.max_key_age_days))?;
            keys::list(&key_dir, max_age, &mut std::io::stdout().lock())
        }
        Command::Keys {
            command:
                KeysCommand::Rotate {
                    data_keys,
                    max_rows,
                    config,
                    settings,
                },
        } => {
            let (config, runtime, slot) = serve_setup(config, settings)?;
            // Maintenance commands log to the terminal only.
            slot.without_vault();
            let out = &mut std::io::stdout().lock();
            if data_keys {
                runtime.block_on(keys::rotate_data_keys(&config, max_rows, out))
            } else {
                runtime.block_on(keys::rotate(&config, out))
            }
        }
        Command::Keys {
            command:
                KeysCommand::Retire {
                    key_id,
                    config,
                    settings,
                },
        } => {
            let (config, runtime, slot) = serve_setup(config, settings)?;
            // Maintenance commands log to the terminal only.
            slot.without_vault();
            runtime.block_on(keys::retire(&config, key_id, &mut std::io::stdout().lock()))
        }
        Command::Audit { command } => audit(command),
        Command::Backup { command } => backup(command),
        Command::Logs { command } => {
            telemetry::init(settings::LogFormat::Human, "warn,skjold::logs=info", &[])?
                .without_vault();
            logs_cli::run(command, &mut std::io::stdout().lock())
        }
        Command::Version => {
            use std::io::Write;
            writeln!(std::io::stdout(), "skjold {}", env!("CARGO_PKG_VERSION"))?;
            Ok(())
        }
    }
}

fn audit(command: AuditCommand) -> anyhow::Result<()> {
    let out = &mut std::io::stdout().lock();
    let (AuditCommand::Verify { config, settings }
    | AuditCommand::Archives { config, settings }
    | AuditCommand::ReadArchive {
        config, settings, ..
    }) = &command;
    let (config, runtime, slot) = serve_setup(config.clone(), settings.clone())?;
    slot.without_vault();
    match command {
        AuditCommand::Verify { .. } => runtime.block_on(audit_cli::verify(&config, out)),
        AuditCommand::Archives { .. } => audit_archive::list(&config, out),
        AuditCommand::ReadArchive { archive, .. } => {
            audit_archive::read(&config, &archive.id, archive.identity.as_deref(), out)
        }
    }
}

fn backup(command: BackupCommand) -> anyhow::Result<()> {
    let out = &mut std::io::stdout().lock();
    let (config, settings) = match &command {
        BackupCommand::NewIdentity { out: path } => {
            return logs_cli::new_identity(path, "backup_recipients", out);
        }
        BackupCommand::Create { config, settings }
        | BackupCommand::List { config, settings }
        | BackupCommand::Prune { config, settings }
        | BackupCommand::Verify {
            config, settings, ..
        }
        | BackupCommand::Restore {
            config, settings, ..
        } => (config.clone(), settings.clone()),
    };
    let (config, runtime, slot) = serve_setup(config, settings)?;
    slot.without_vault();
    runtime.block_on(async {
        match command {
            BackupCommand::Create { .. } => backups::create(&config, out).await.map(|_| ()),
            BackupCommand::List { .. } => backups::list(&config, out),
            BackupCommand::Prune { .. } => backups::prune(&config, out),
            BackupCommand::Verify { backup, .. } => {
                backups::verify(&config, &backup.id, backup.identity.as_deref(), out).await
            }
            BackupCommand::Restore {
                backup,
                force,
                allow_other_environment,
                keep_erased,
                ..
            } => {
                let options = backups::RestoreOptions {
                    force,
                    allow_other_environment,
                    keep_erased,
                };
                backups::restore(
                    &config,
                    &backup.id,
                    backup.identity.as_deref(),
                    options,
                    out,
                )
                .await
            }
            BackupCommand::NewIdentity { .. } => Ok(()),
        }
    })
}
