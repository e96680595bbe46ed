-- The audit trail as hash chains (C10): one chain per account, and `-` for events of no
-- account. Each event records its place (seq), the previous event's hash and its own,
-- computed over every field; the head of each chain is kept apart and updated in the
-- same transaction, which also makes concurrent writers of one chain take turns.
-- Events recorded before this migration have no chain fields and are not covered.
ALTER TABLE audit_events ADD COLUMN chain TEXT;
ALTER TABLE audit_events ADD COLUMN seq BIGINT;
ALTER TABLE audit_events ADD COLUMN prev_hash BYTEA;
ALTER TABLE audit_events ADD COLUMN hash BYTEA;
CREATE UNIQUE INDEX audit_events_by_chain ON audit_events (chain, seq);

-- first_seq and first_prev_hash: where the chain starts once retention deleted its
-- oldest events (seq 1 and the genesis hash until then).
CREATE TABLE audit_chain_heads (
    chain            TEXT PRIMARY KEY,
    seq              BIGINT NOT NULL,
    hash             BYTEA NOT NULL,
    first_seq        BIGINT NOT NULL DEFAULT 1,
    first_prev_hash  BYTEA
);
