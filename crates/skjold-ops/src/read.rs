//! Reading the vault back with the operator's identity: `skjold logs list|read|search`.

use age::x25519;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::LogError;
use crate::segment::{SegmentHeader, open, read_header};
use crate::store::LogStore;

/// Which lines to show. Empty filters let everything through.
#[derive(Debug, Clone, Default)]
pub struct LineFilter {
    pub since: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    pub instance: Option<String>,
    /// The least severe level shown (`error` < `warn` < `info` < `debug` < `trace`).
    pub level: Option<tracing::Level>,
    /// A prefix of the target (`skjold::security`).
    pub target: Option<String>,
    /// Text the line must contain, case-insensitively.
    pub text: Option<String>,
}

impl LineFilter {
    /// Whether a segment may hold lines this filter lets through.
    pub fn may_hold(&self, header: &SegmentHeader) -> bool {
        self.instance.as_ref().is_none_or(|i| *i == header.instance)
            && self.since.is_none_or(|since| header.last_at >= since)
            && self.until.is_none_or(|until| header.first_at <= until)
    }

    /// Whether `line` (one JSON object) passes.
    pub fn passes(&self, line: &str) -> bool {
        let Ok(event) = serde_json::from_str::<Value>(line) else {
            return self.text.is_none() && self.level.is_none() && self.target.is_none();
        };
        let at = event["timestamp"]
            .as_str()
            .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
        let level = event["level"]
            .as_str()
            .and_then(|l| l.parse::<tracing::Level>().ok());
        self.since
            .is_none_or(|since| at.is_some_and(|at| at >= since))
            && self
                .until
                .is_none_or(|until| at.is_some_and(|at| at <= until))
            && self.level.is_none_or(|max| level.is_some_and(|l| l <= max))
            && self.target.as_ref().is_none_or(|t| {
                event["target"]
                    .as_str()
                    .is_some_and(|target| target.starts_with(t.as_str()))
            })
            && self
                .text
                .as_ref()
                .is_none_or(|text| line.to_lowercase().contains(&text.to_lowercase()))
    }
}

/// The headers of every segment, per instance in chain order; unreadable files are
/// skipped (`verify` names them).
pub fn list(store: &dyn LogStore) -> Result<Vec<(String, SegmentHeader)>, LogError> {
    let mut all = Vec::new();
    for instance in store.instances()? {
        for name in store.segments(&instance)? {
            if let Some(bytes) = store.get(&instance, &name)?
                && let Ok((header, _)) = read_header(&bytes)
            {
                all.push((name, header));
            }
        }
    }
    Ok(all)
}

/// The lines of `filter` in the segments not in `seen`, oldest segment first per
/// instance; each segment read is added to `seen` (so `--follow` reads only new ones).
pub fn read_new(
    store: &dyn LogStore,
    identities: &[x25519::Identity],
    filter: &LineFilter,
    seen: &mut std::collections::BTreeSet<(String, String)>,
    mut each: impl FnMut(&str) -> std::io::Result<()>,
) -> Result<(), LogError> {
    for instance in store.instances()? {
        for name in store.segments(&instance)? {
            let key = (instance.clone(), name.clone());
            if seen.contains(&key) {
                continue;
            }
            let Some(bytes) = store.get(&instance, &name)? else {
                continue;
            };
            let (header, _) = read_header(&bytes)?;
            seen.insert(key);
            if !filter.may_hold(&header) {
                continue;
            }
            let lines = open(&bytes, identities)
                .map_err(|e| LogError::Crypto(format!("{instance}/{name}: {e}")))?;
            for line in lines.iter().filter(|l| filter.passes(l)) {
                each(line)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_pick_lines_by_time_level_target_and_text() {
        let line = r#"{"timestamp":"2026-11-26T01:00:00Z","level":"WARN","message":"Sign-in Refused","target":"skjold::security"}"#;
        let at = |t: &str| Some(OffsetDateTime::parse(t, &Rfc3339).unwrap());
        let pass = |f: LineFilter| f.passes(line);
        assert!(pass(LineFilter::default()));
        assert!(pass(LineFilter {
            level: Some(tracing::Level::INFO),
            ..Default::default()
        }));
        assert!(!pass(LineFilter {
            level: Some(tracing::Level::ERROR),
            ..Default::default()
        }));
        assert!(pass(LineFilter {
            target: Some("skjold::sec".into()),
            ..Default::default()
        }));
        assert!(!pass(LineFilter {
            target: Some("sqlx".into()),
            ..Default::default()
        }));
        assert!(pass(LineFilter {
            text: Some("sign-in refused".into()),
            ..Default::default()
        }));
        assert!(!pass(LineFilter {
            since: at("2026-11-26T01:00:01Z"),
            ..Default::default()
        }));
        assert!(pass(LineFilter {
            until: at("2026-11-26T01:00:00Z"),
            ..Default::default()
        }));
    }
}
