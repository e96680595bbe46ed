//! Retention: segments older than the limit are deleted, oldest first, and the chain
//! remembers where it now starts (its anchor), so `verify` can tell retention from a
//! deletion.

use time::{Duration, OffsetDateTime};

use crate::error::LogError;
use crate::segment::{hash_of, read_header};
use crate::store::{ANCHOR, LogStore};
use crate::vault::Anchor;

/// The longest retention the security page allows.
pub const MAX_RETENTION: Duration = Duration::days(90);

/// Deletes every segment whose last line is older than `now - retention`: the names
/// deleted, per instance. A chain is cut only from its start, so a segment past the
/// limit that follows a younger one (a clock set back) waits for it.
pub fn prune(
    store: &dyn LogStore,
    retention: Duration,
    now: OffsetDateTime,
) -> Result<Vec<(String, String)>, LogError> {
    if retention > MAX_RETENTION || retention <= Duration::ZERO {
        return Err(LogError::Config(format!(
            "log retention must be more than 0 and at most {} days",
            MAX_RETENTION.whole_days()
        )));
    }
    let cutoff = now - retention;
    let mut deleted = Vec::new();
    for instance in store.instances()? {
        // With every segment gone the anchor is the chain's tip, which the writer
        // continues.
        for name in store.segments(&instance)? {
            let Some(bytes) = store.get(&instance, &name)? else {
                continue;
            };
            let (header, _) = read_header(&bytes)?;
            if header.last_at >= cutoff {
                break;
            }
            let anchor = Anchor {
                seq: header.seq,
                hash: hash_of(&bytes),
            };
            let anchor =
                serde_json::to_vec(&anchor).map_err(|e| LogError::Format(e.to_string()))?;
            store.put(&instance, ANCHOR, &anchor)?;
            store.delete(&instance, &name)?;
            deleted.push((instance.clone(), name));
        }
    }
    Ok(deleted)
}
