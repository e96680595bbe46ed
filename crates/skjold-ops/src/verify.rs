//! `skjold logs verify`: walks each instance's chain and names every segment that is
//! missing, altered or out of order. Without a key it checks the chain; with the
//! operator's identity it also opens every segment, which finds a change to the newest
//! one (no later segment records its hash).

use age::x25519;

use crate::error::LogError;
use crate::segment::{GENESIS, hash_of, open, read_header, seq_of_name};
use crate::store::{ANCHOR, LogStore};
use crate::vault::Anchor;

/// What `verify` found in one instance's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub instance: String,
    pub segments: usize,
    /// One sentence per problem, naming the segment.
    pub problems: Vec<String>,
}

/// Checks every chain in `store`; `identities`, if given, also open each segment.
pub fn verify(
    store: &dyn LogStore,
    identities: Option<&[x25519::Identity]>,
) -> Result<Vec<ChainReport>, LogError> {
    store
        .instances()?
        .into_iter()
        .map(|instance| verify_chain(store, &instance, identities))
        .collect()
}

fn verify_chain(
    store: &dyn LogStore,
    instance: &str,
    identities: Option<&[x25519::Identity]>,
) -> Result<ChainReport, LogError> {
    let names = store.segments(instance)?;
    let (mut seq, mut hash, mut after) = match store.get(instance, ANCHOR)? {
        Some(bytes) => {
            let anchor: Anchor = serde_json::from_slice(&bytes)
                .map_err(|e| LogError::Format(format!("{instance}/{ANCHOR}: {e}")))?;
            (
                anchor.seq,
                anchor.hash,
                "the segments retention deleted".to_owned(),
            )
        }
        None => (0, GENESIS.to_owned(), "the start".to_owned()),
    };
    let mut problems = Vec::new();
    for name in &names {
        let Some(bytes) = store.get(instance, name)? else {
            problems.push(format!("{name}: vanished while being checked"));
            continue;
        };
        let header = match read_header(&bytes) {
            Ok((header, _)) => header,
            Err(error) => {
                problems.push(format!("{name}: altered: {error}"));
                hash = hash_of(&bytes);
                after = name.clone();
                continue;
            }
        };
        let named = seq_of_name(name).unwrap_or_default();
        if header.seq != named || header.instance != instance {
            problems.push(format!(
                "{name}: out of order: it holds segment {} of instance {}",
                header.seq, header.instance
            ));
        } else if header.seq > seq + 1 {
            problems.push(format!(
                "{name}: segments {} to {} are missing (after {after})",
                seq + 1,
                header.seq - 1
            ));
        } else if header.prev_hash != hash {
            problems.push(format!(
                "{name}: the chain breaks here: {after} was altered or replaced, or {name} was"
            ));
        }
        if let Some(identities) = identities
            && let Err(error) = open(&bytes, identities)
        {
            problems.push(format!("{name}: altered: {error}"));
        }
        seq = header.seq.max(seq);
        hash = hash_of(&bytes);
        after = name.clone();
    }
    Ok(ChainReport {
        instance: instance.to_owned(),
        segments: names.len(),
        problems,
    })
}
