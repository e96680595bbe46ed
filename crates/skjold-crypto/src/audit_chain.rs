//! The audit trail's hash chain (C10): each event's hash covers the previous event's
//! hash and every field of the event, so changing, deleting or reordering a stored event
//! breaks the chain from there on, and `skjold audit verify` names where.

use sha2::{Digest, Sha256};

/// The `prev_hash` of a chain's first event.
pub const AUDIT_GENESIS: [u8; 32] = [0; 32];

/// One event's fields as the chain covers them.
#[derive(Debug, Clone, Copy)]
pub struct AuditLink<'a> {
    /// The account's id, or `-` for events of no account.
    pub chain: &'a str,
    pub seq: i64,
    /// Unix seconds.
    pub at: i64,
    pub actor_id: Option<&'a str>,
    pub action: &'a str,
    pub ip_prefix: Option<&'a str>,
    pub detail: Option<&'a str>,
}

/// SHA-256 over `prev` and the link's fields, each length-prefixed (and absent fields
/// told apart from empty ones), so no two different events encode alike.
pub fn audit_hash(prev: &[u8; 32], link: &AuditLink<'_>) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(b"skjold-audit-v1");
    hash.update(prev);
    let mut field = |value: Option<&[u8]>| match value {
        None => hash.update([0u8]),
        Some(bytes) => {
            hash.update([1u8]);
            hash.update((bytes.len() as u64).to_be_bytes());
            hash.update(bytes);
        }
    };
    field(Some(link.chain.as_bytes()));
    field(Some(&link.seq.to_be_bytes()));
    field(Some(&link.at.to_be_bytes()));
    field(link.actor_id.map(str::as_bytes));
    field(Some(link.action.as_bytes()));
    field(link.ip_prefix.map(str::as_bytes));
    field(link.detail.map(str::as_bytes));
    hash.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(detail: Option<&str>) -> AuditLink<'_> {
        AuditLink {
            chain: "acc",
            seq: 1,
            at: 1_764_000_000,
            actor_id: Some("user"),
            action: "pii_read",
            ip_prefix: None,
            detail,
        }
    }

    #[test]
    fn every_field_and_the_previous_hash_count() {
        let base = audit_hash(&AUDIT_GENESIS, &link(Some("{}")));
        assert_eq!(base, audit_hash(&AUDIT_GENESIS, &link(Some("{}"))));
        assert_ne!(base, audit_hash(&[1; 32], &link(Some("{}"))));
        assert_ne!(base, audit_hash(&AUDIT_GENESIS, &link(None)));
        assert_ne!(
            audit_hash(&AUDIT_GENESIS, &link(Some(""))),
            audit_hash(&AUDIT_GENESIS, &link(None)),
            "empty is not absent"
        );
        let moved = AuditLink {
            actor_id: None,
            ip_prefix: Some("user"),
            ..link(Some("{}"))
        };
        assert_ne!(
            base,
            audit_hash(&AUDIT_GENESIS, &moved),
            "a value moved to another field"
        );
    }
}
