//! The one `tracing` layer that writes logs. It redacts every field of every event and
//! span as it is recorded, before any output exists, then writes the line to standard
//! error (human or JSON; directly, or in batches while a server runs) and hands the JSON
//! form to the log vault. No other layer writes, so no sink can see an unredacted value.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use rustc_hash::FxBuildHasher;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value as Json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::redact::{REDACTED, Redactor, redact_text};
use crate::request_context::{self, ContextValue};
use crate::stderr::Batched;
use crate::vault::VaultSink;

/// How lines look on standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StderrFormat {
    Human,
    Json,
    /// Nothing on standard error (the vault alone).
    Off,
}

/// One recorded value, already redacted.
#[derive(Debug, Clone)]
enum Value {
    /// A string value: quoted in human output.
    Text(String),
    /// A `Display`/`Debug` rendering: printed as is.
    Shown(String),
    Json(Json),
}

impl Value {
    fn human(&self, out: &mut String) {
        let _ = match self {
            // Most values are printable ASCII without a quote or backslash, which `Debug`
            // would print unchanged: quoted as they are, without its walk through each
            // character's escape rules.
            Value::Text(s)
                if s.bytes()
                    .all(|b| matches!(b, b' '..=b'~') && b != b'"' && b != b'\\') =>
            {
                out.push('"');
                out.push_str(s);
                out.push('"');
                Ok(())
            }
            Value::Text(s) => write!(out, "{s:?}"),
            Value::Shown(s) => {
                out.push_str(s);
                Ok(())
            }
            Value::Json(j) => write!(out, "{j}"),
        };
    }
}

/// The redacted fields of an event or span, in the order they were recorded.
#[derive(Debug, Clone)]
struct Fields(Vec<(&'static str, Value)>);

impl Default for Fields {
    /// Room for a request line's fields without growing.
    fn default() -> Self {
        Fields(Vec::with_capacity(8))
    }
}

/// Whether each field name is a secret's, decided once per name. Field names are
/// `&'static str`s of the call sites, so there are only as many as the program has; the
/// check itself compares a name against every rule, on every field of every event.
/// The names hash with FxHash rather than the standard keyed SipHash: they are the
/// program's own call sites' field names, which no one outside chooses, so there is no
/// flooding to guard against, and this lookup runs for every field of every line.
#[derive(Debug)]
struct SecretNames {
    redactor: Redactor,
    known: RwLock<HashMap<&'static str, bool, FxBuildHasher>>,
}

impl SecretNames {
    fn is_secret(&self, name: &'static str) -> bool {
        if let Some(&secret) = self.known.read().ok().as_ref().and_then(|k| k.get(name)) {
            return secret;
        }
        let secret = self.redactor.is_secret_name(name);
        if let Ok(mut known) = self.known.write() {
            known.insert(name, secret);
        }
        secret
    }
}

struct Recorder<'a> {
    fields: &'a mut Fields,
    names: &'a SecretNames,
}

impl Recorder<'_> {
    /// Records `value()` under `name`, or `[redacted]` without computing it if the name
    /// is a secret's.
    fn put(&mut self, name: &'static str, value: impl FnOnce() -> Value) {
        let value = if self.names.is_secret(name) {
            Value::Text(REDACTED.to_owned())
        } else {
            value()
        };
        match self.fields.0.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.fields.0.push((name, value)),
        }
    }
}

impl Visit for Recorder<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field.name(), || Value::Text(redact_text(value)));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field.name(), || {
            Value::Shown(redact_text(&format!("{value:?}")))
        });
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field.name(), || Value::Json(value.into()));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field.name(), || Value::Json(value.into()));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field.name(), || Value::Json(value.into()));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field.name(), || Value::Json(value.into()));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field.name(), || {
            Value::Shown(redact_text(&value.to_string()))
        });
    }
}

/// The layer; see the module documentation.
#[derive(Debug)]
pub struct RedactingLayer {
    names: SecretNames,
    stderr: StderrFormat,
    outputs: Arc<LogOutputs>,
}

impl RedactingLayer {
    /// The layer, and the slot its vault is attached to once there is one (the logger
    /// starts before the settings that say where the vault is).
    pub fn new(redactor: Redactor, stderr: StderrFormat) -> (RedactingLayer, Arc<LogOutputs>) {
        let outputs = Arc::new(LogOutputs {
            vault: OnceLock::new(),
            early: Mutex::new(Some(Vec::new())),
            batched: RwLock::new(None),
        });
        let layer = RedactingLayer {
            names: SecretNames {
                redactor,
                known: RwLock::new(HashMap::default()),
            },
            stderr,
            outputs: Arc::clone(&outputs),
        };
        (layer, outputs)
    }
}

/// Where the layer's lines go besides the redaction: the log vault once one is attached,
/// and standard error, directly or in batches.
#[derive(Debug)]
pub struct LogOutputs {
    vault: OnceLock<VaultSink>,
    /// Lines logged before the vault was attached, handed to it when it is.
    early: Mutex<Option<Vec<(String, OffsetDateTime)>>>,
    /// While a server runs: standard error written by its own thread.
    batched: RwLock<Option<Batched>>,
}

/// Standard error is written in batches until this is dropped; then what is left is
/// written and lines go out one `write` each again.
#[derive(Debug)]
pub struct StderrBatching {
    outputs: Arc<LogOutputs>,
}

impl Drop for StderrBatching {
    fn drop(&mut self) {
        let batched = self.outputs.batched.write().ok().and_then(|mut b| b.take());
        // Dropping it writes the rest and ends its thread.
        drop(batched);
    }
}

impl LogOutputs {
    /// From now on lines also go to `vault`, starting with those logged so far.
    pub fn attach_vault(&self, vault: VaultSink) {
        let early = self.early.lock().map(|mut e| e.take()).unwrap_or_default();
        for (line, at) in early.unwrap_or_default() {
            vault.write(line, at);
        }
        let _ = self.vault.set(vault);
    }

    /// Batches standard error (see [`crate::stderr`]) until the guard is dropped: for a
    /// server, whose every request logs a line.
    pub fn batch_stderr(self: &Arc<Self>) -> std::io::Result<StderrBatching> {
        let batched = Batched::start()?;
        if let Ok(mut slot) = self.batched.write() {
            *slot = Some(batched);
        }
        Ok(StderrBatching {
            outputs: Arc::clone(self),
        })
    }

    fn stderr(&self, line: &str) {
        if let Ok(batched) = self.batched.read()
            && let Some(batched) = batched.as_ref()
        {
            batched.write(line);
        } else {
            write_stderr(line);
        }
    }

    /// No vault will come: stop keeping early lines for one.
    pub fn without_vault(&self) {
        if let Ok(mut early) = self.early.lock() {
            early.take();
        }
    }

    fn write(&self, line: String, at: OffsetDateTime) {
        if let Some(vault) = self.vault.get() {
            vault.write(line, at);
        } else if let Ok(mut early) = self.early.lock()
            && let Some(early) = early.as_mut()
        {
            early.push((line, at));
        }
    }
}

/// A span's name and redacted fields, kept in its extensions.
struct SpanFields {
    name: &'static str,
    fields: Fields,
}

impl<S> tracing_subscriber::Layer<S> for RedactingLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Fields::default();
        attrs.record(&mut Recorder {
            fields: &mut fields,
            names: &self.names,
        });
        span.extensions_mut().insert(SpanFields {
            name: attrs.metadata().name(),
            fields,
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(span_fields) = extensions.get_mut::<SpanFields>() {
            values.record(&mut Recorder {
                fields: &mut span_fields.fields,
                names: &self.names,
            });
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let at = OffsetDateTime::now_utc();
        let mut fields = Fields::default();
        event.record(&mut Recorder {
            fields: &mut fields,
            names: &self.names,
        });
        let mut spans: Vec<(&'static str, Fields)> = Vec::new();
        let mut request = Fields::default();
        let in_request = request_context::for_each(|name, value| {
            let mut recorder = Recorder {
                fields: &mut request,
                names: &self.names,
            };
            match value {
                ContextValue::Text(s) => recorder.put(name, || Value::Text(redact_text(s))),
                ContextValue::Shown(s) => recorder.put(name, || Value::Shown(redact_text(s))),
                ContextValue::Number(n) => {
                    recorder.put(name, || Value::Json(Json::Number(n.clone())))
                }
            }
        });
        if in_request {
            spans.push(("request", request));
        }
        if let Some(scope) = ctx.event_scope(event) {
            spans.extend(scope.from_root().filter_map(|span| {
                let extensions = span.extensions();
                extensions
                    .get::<SpanFields>()
                    .map(|s| (s.name, s.fields.clone()))
            }));
        }
        let meta = event.metadata();
        let timestamp = at.format(&Rfc3339).unwrap_or_default();
        let json = json_line(&timestamp, meta, &fields, &spans);
        match self.stderr {
            StderrFormat::Json => self.outputs.stderr(&json),
            StderrFormat::Human => self
                .outputs
                .stderr(&human_line(&timestamp, meta, &fields, &spans)),
            StderrFormat::Off => {}
        }
        self.outputs.write(json, at);
    }
}

/// One line, one `write`: standard error is unbuffered, and lines from several threads
/// must not interleave.
fn write_stderr(line: &str) {
    let mut bytes = Vec::with_capacity(line.len() + 1);
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    let _ = std::io::stderr().lock().write_all(&bytes);
}

/// One JSON object: `timestamp`, `level`, the event's fields (`message` among them),
/// `target`, the innermost span as `span` and every span from the root as `spans`.
/// Serialised straight from the recorded fields, without an intermediate map; each span
/// once, though the innermost stands in both places.
fn json_line(
    timestamp: &str,
    meta: &tracing::Metadata<'_>,
    fields: &Fields,
    spans: &[(&'static str, Fields)],
) -> String {
    let line = JsonLine {
        timestamp,
        level: meta.level().as_str(),
        target: meta.target(),
        fields,
    };
    // Sized for a request line at once, rather than grown by doubling.
    let mut out = Vec::with_capacity(LINE_CAPACITY);
    let _ = serde_json::to_writer(&mut out, &line);
    if let Some(((name, fields), outer)) = spans.split_last()
        && out.pop() == Some(b'}')
    {
        let mut innermost = Vec::with_capacity(LINE_CAPACITY / 2);
        let _ = serde_json::to_writer(&mut innermost, &JsonSpan(name, fields));
        out.extend_from_slice(b",\"span\":");
        out.extend_from_slice(&innermost);
        out.extend_from_slice(b",\"spans\":[");
        for (name, fields) in outer {
            let _ = serde_json::to_writer(&mut out, &JsonSpan(name, fields));
            out.push(b',');
        }
        out.extend_from_slice(&innermost);
        out.extend_from_slice(b"]}");
    }
    // serde_json writes UTF-8 only.
    String::from_utf8(out).unwrap_or_default()
}

/// Room for a typical line, so building one does not reallocate as it grows; small
/// enough for the allocator's fast per-thread cache (glibc's ends just above 1 KiB).
const LINE_CAPACITY: usize = 1000;

/// A line's own part: everything but its spans.
struct JsonLine<'a> {
    timestamp: &'a str,
    level: &'a str,
    target: &'a str,
    fields: &'a Fields,
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Text(s) | Value::Shown(s) => serializer.serialize_str(s),
            Value::Json(j) => j.serialize(serializer),
        }
    }
}

struct JsonSpan<'a>(&'static str, &'a Fields);

impl Serialize for JsonSpan<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.1.0.len() + 1))?;
        for (name, value) in &self.1.0 {
            map.serialize_entry(name, value)?;
        }
        map.serialize_entry("name", self.0)?;
        map.end()
    }
}

impl Serialize for JsonLine<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("timestamp", self.timestamp)?;
        map.serialize_entry("level", self.level)?;
        for (name, value) in &self.fields.0 {
            map.serialize_entry(name, value)?;
        }
        map.serialize_entry("target", self.target)?;
        map.end()
    }
}

/// `timestamp LEVEL span{a=1 b="x"}:inner{…}: target: message k=v …`
fn human_line(
    timestamp: &str,
    meta: &tracing::Metadata<'_>,
    fields: &Fields,
    spans: &[(&'static str, Fields)],
) -> String {
    let mut out = String::with_capacity(LINE_CAPACITY / 2);
    out.push_str(timestamp);
    out.push(' ');
    let level = meta.level().as_str();
    // Right-aligned in five columns, as `{:>5}` would.
    out.push_str(&"     "[level.len().min(5)..]);
    out.push_str(level);
    out.push(' ');
    for (name, span_fields) in spans {
        out.push_str(name);
        if !span_fields.0.is_empty() {
            out.push('{');
            for (i, (field, value)) in span_fields.0.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(field);
                out.push('=');
                value.human(&mut out);
            }
            out.push('}');
        }
        out.push_str(": ");
    }
    out.push_str(meta.target());
    out.push(':');
    for (name, value) in &fields.0 {
        out.push(' ');
        if *name == "message" {
            match value {
                Value::Text(s) | Value::Shown(s) => out.push_str(s),
                Value::Json(j) => out.push_str(&j.to_string()),
            }
        } else {
            out.push_str(name);
            out.push('=');
            value.human(&mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn human_values_are_quoted_as_debug_quotes_them() {
        for text in [
            "GET",
            "/api/v1/x",
            "a \"quoted\" word",
            "line\nbreak",
            "tab\t",
            "ø",
            "\u{202e}",
        ] {
            let mut out = String::new();
            Value::Text(text.to_owned()).human(&mut out);
            assert_eq!(out, format!("{text:?}"));
        }
    }

    #[test]
    fn events_and_spans_are_redacted_before_the_vault_sees_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(crate::store::DirStore::new(dir.path()));
        let operator = age::x25519::Identity::generate();
        let vault = crate::vault::Vault::start(
            store.clone(),
            crate::vault::VaultSettings {
                instance: "test".to_owned(),
                recipients: vec![operator.to_public()],
                segment_bytes: 1 << 20,
                segment_age: std::time::Duration::from_secs(60),
            },
        )
        .unwrap();
        let (layer, slot) = RedactingLayer::new(Redactor::default(), StderrFormat::Off);
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                password = "hunter2 hunter2",
                "before the vault, mail kari@example.no"
            );
            slot.attach_vault(vault.sink());
            let span = tracing::info_span!("request", route = "/x", token = tracing::field::Empty);
            let _entered = span.enter();
            span.record("token", "skjs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
            tracing::warn!(status = 200, card = "4111 1111 1111 1111", "done");
        });
        vault.close();
        let name = &crate::store::LogStore::segments(store.as_ref(), "test").unwrap()[0];
        let bytes = crate::store::LogStore::get(store.as_ref(), "test", name)
            .unwrap()
            .unwrap();
        let lines = crate::segment::open(&bytes, &[operator]).unwrap();
        let text = lines.join("\n");
        for secret in ["hunter2", "kari@", "skjs_", "4111"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        let last: Json = serde_json::from_str(lines.last().unwrap()).unwrap();
        assert_eq!(last["span"]["route"], "/x");
        assert_eq!(last["spans"], serde_json::json!([last["span"].clone()]));
        assert_eq!(last["span"]["name"], "request");
        assert_eq!(last["span"]["token"], REDACTED);
        assert_eq!(last["status"], 200);
        assert_eq!(lines.len(), 2, "the early line was kept: {text}");
    }
}
