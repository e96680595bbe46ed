//! `skjold logs …`: the operator's side of the log vault (C10).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use skjold_ops::read::{LineFilter, list, read_new};
use std::sync::Arc;

use skjold_ops::store::LogStore;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cli::{LineFilterArgs, LogPlace, LogsCommand};
use crate::config::{DEFAULT_DATA_DIR, DEFAULT_KEY_DIR};
use crate::log_vault::{DEV_IDENTITY, retention, write_private};
use crate::settings::Settings;
use crate::stores::{StoreConfig, StoreLocation};

/// What one `skjold logs` command needs to know of the settings.
struct Place {
    store: Arc<dyn LogStore>,
    key_dir: PathBuf,
    retention_days: Option<u32>,
}

fn place(p: &LogPlace) -> anyhow::Result<Place> {
    let file = Settings::from_file(p.config.as_deref())?;
    let data_dir = p
        .data_dir
        .clone()
        .or(file.data_dir.clone())
        .unwrap_or_else(|| DEFAULT_DATA_DIR.into());
    let from_file = StoreLocation::of_logs(&file);
    let given = StoreLocation {
        location: p.log_store.clone().or(from_file.location),
        account: p.log_store_account.clone().or(from_file.account),
        key_file: p.log_store_key_file.clone().or(from_file.key_file),
        endpoint: p.log_store_endpoint.clone().or(from_file.endpoint),
        region: p.log_store_region.clone().or(from_file.region),
    };
    let store = StoreConfig::resolve(given, data_dir.join("logs"), "log_store")?;
    Ok(Place {
        store: store.open_log_store(false)?,
        key_dir: p
            .key_dir
            .clone()
            .or(file.key_dir)
            .unwrap_or_else(|| DEFAULT_KEY_DIR.into()),
        retention_days: file.log_retention_days,
    })
}

/// The operator's identities: the file given, else the development one.
fn identities(
    given: Option<&PathBuf>,
    key_dir: &std::path::Path,
) -> anyhow::Result<Vec<skjold_ops::identity::Identity>> {
    let path = match given {
        Some(path) => path.clone(),
        None if key_dir.join(DEV_IDENTITY).exists() => key_dir.join(DEV_IDENTITY),
        None => bail!("reading logs needs the operator identity file: give --identity FILE"),
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the identity file {}", path.display()))?;
    skjold_ops::identity::identities_from(&text)
        .with_context(|| format!("{} is not usable", path.display()))
}

/// A time as RFC 3339, or as an age before now (`90m`, `2h`, `7d`, `30s`).
fn parse_time(text: &str, now: OffsetDateTime) -> anyhow::Result<OffsetDateTime> {
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(at);
    }
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let n: i64 = number
        .parse()
        .with_context(|| format!("{text:?} is neither an RFC 3339 time nor an age like 2h"))?;
    let age = match unit {
        "s" => time::Duration::seconds(n),
        "m" => time::Duration::minutes(n),
        "h" => time::Duration::hours(n),
        "d" => time::Duration::days(n),
        _ => bail!("{text:?}: an age ends in s, m, h or d"),
    };
    Ok(now - age)
}

fn line_filter(args: &LineFilterArgs, text: Option<&str>) -> anyhow::Result<LineFilter> {
    let now = OffsetDateTime::now_utc();
    Ok(LineFilter {
        since: args
            .since
            .as_deref()
            .map(|t| parse_time(t, now))
            .transpose()?,
        until: args
            .until
            .as_deref()
            .map(|t| parse_time(t, now))
            .transpose()?,
        instance: args.instance.clone(),
        level: args.level,
        target: args.target.clone(),
        text: text.map(str::to_owned),
    })
}

/// Logs what retention deleted: the deletion itself is on record.
pub fn log_pruned(deleted: &[(String, String)]) {
    if !deleted.is_empty() {
        let names: Vec<String> = deleted.iter().map(|(i, n)| format!("{i}/{n}")).collect();
        tracing::info!(
            target: "skjold::logs",
            count = deleted.len(),
            segments = %names.join(","),
            "log segments past their retention deleted"
        );
    }
}

pub fn run(command: LogsCommand, out: &mut impl Write) -> anyhow::Result<()> {
    match command {
        LogsCommand::List { place: p } => {
            let place = place(&p)?;
            for (name, h) in list(place.store.as_ref())? {
                let at = |t: OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
                writeln!(
                    out,
                    "{}/{name}  seq {}  {} .. {}  {} lines",
                    h.instance,
                    h.seq,
                    at(h.first_at),
                    at(h.last_at),
                    h.lines
                )?;
            }
            Ok(())
        }
        LogsCommand::Read { place: p, filter } => read(&p, &filter, None, out),
        LogsCommand::Search {
            text,
            place: p,
            filter,
        } => read(&p, &filter, Some(&text), out),
        LogsCommand::Verify { place: p, identity } => {
            let place = place(&p)?;
            let identities = identity
                .map(|path| identities(Some(&path), &place.key_dir))
                .transpose()?;
            let reports = skjold_ops::verify::verify(place.store.as_ref(), identities.as_deref())?;
            let mut broken = 0;
            for report in &reports {
                writeln!(
                    out,
                    "{}: {} segments, {}",
                    report.instance,
                    report.segments,
                    if report.problems.is_empty() {
                        "chain intact"
                    } else {
                        "CHAIN BROKEN"
                    }
                )?;
                for problem in &report.problems {
                    writeln!(out, "  {}/{problem}", report.instance)?;
                }
                broken += report.problems.len();
            }
            if broken > 0 {
                bail!("{broken} problems in the log vault");
            }
            Ok(())
        }
        LogsCommand::Prune {
            place: p,
            retention_days,
        } => {
            let place = place(&p)?;
            let retention = retention(retention_days.or(place.retention_days))?;
            let deleted = skjold_ops::retention::prune(
                place.store.as_ref(),
                retention,
                OffsetDateTime::now_utc(),
            )?;
            log_pruned(&deleted);
            for (instance, name) in &deleted {
                writeln!(out, "deleted {instance}/{name}")?;
            }
            writeln!(
                out,
                "{} segments older than {} days deleted",
                deleted.len(),
                retention.whole_days()
            )?;
            Ok(())
        }
        LogsCommand::NewIdentity { out: path } => new_identity(&path, "log_recipients", out),
    }
}

fn read(
    p: &LogPlace,
    args: &LineFilterArgs,
    text: Option<&str>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let place = place(p)?;
    let identities = identities(args.identity.as_ref(), &place.key_dir)?;
    let filter = line_filter(args, text)?;
    let mut seen = BTreeSet::new();
    loop {
        let printed = read_new(
            place.store.as_ref(),
            &identities,
            &filter,
            &mut seen,
            |line| writeln!(out, "{line}"),
        );
        match printed {
            Err(skjold_ops::LogError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                return Ok(());
            }
            other => other?,
        }
        out.flush()?;
        if !args.follow {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

/// `skjold logs|backup new-identity`: writes an identity file and prints the line of
/// `setting` that makes its recipient one of the readers.
pub fn new_identity(path: &Path, setting: &str, out: &mut impl Write) -> anyhow::Result<()> {
    let created = OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default();
    let (text, recipient) = skjold_ops::identity::new_identity_file(&created);
    write_private(path, &text)?;
    writeln!(
        out,
        "identity written to {} (keep it off the servers)",
        path.display()
    )?;
    writeln!(out, "{setting} = [\"{recipient}\"]")?;
    Ok(())
}
