//! Logging: human-readable on a terminal by default, JSON lines when configured; always to
//! standard error, so standard output stays for what commands print for people and scripts.
//! Every line passes the redacting layer first, and `serve` also sends it to the log vault
//! (C10).

use std::sync::Arc;

use skjold_ops::layer::{LogOutputs, RedactingLayer, StderrFormat};
use skjold_ops::redact::Redactor;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::settings::LogFormat;

/// Installs the global subscriber; the slot is where `serve` attaches the vault. A
/// filter that does not parse is an error, not a silent fallback: an operator who asked
/// for debug logs should not quietly get none.
///
/// The filter is `target=level` pairs and a default level (`info,sqlx=warn`), decided
/// once per call site. (`EnvFilter`, which can also filter by span fields, takes a lock
/// each time any span is entered or left: on every poll of every request.)
pub fn init(
    format: LogFormat,
    filter: &str,
    redact_fields: &[String],
) -> anyhow::Result<Arc<LogOutputs>> {
    let filter: Targets = filter
        .parse()
        .map_err(|e| anyhow::anyhow!("log filter {filter:?} is invalid: {e}"))?;
    let stderr = match format {
        LogFormat::Human => StderrFormat::Human,
        LogFormat::Json => StderrFormat::Json,
    };
    let (layer, slot) = RedactingLayer::new(
        Redactor::with_extra_names(redact_fields.iter().cloned()),
        stderr,
    );
    tracing_subscriber::registry()
        .with(filter)
        .with(layer)
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot install the logger: {e}"))?;
    Ok(slot)
}
