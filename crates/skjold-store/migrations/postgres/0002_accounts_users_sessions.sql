-- Accounts (tenants), users, memberships, sessions and the audit trail (C11, C12).
-- Times are Unix seconds (UTC). Ids are UUIDs as text. A user's e-mail is stored only
-- encrypted (email_sealed, under master key email_key_id) with a blind index to find it.

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id                TEXT PRIMARY KEY NOT NULL,
    email_index       BYTEA NOT NULL UNIQUE,
    email_sealed      BYTEA NOT NULL,
    email_key_id      TEXT NOT NULL,
    password_hash     TEXT NOT NULL,
    security_stamp    BIGINT NOT NULL,
    email_verified_at BIGINT,
    created_at        BIGINT NOT NULL
);

CREATE TABLE memberships (
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'restricted')),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (account_id, user_id)
);

CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE sessions (
    id              TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash      BYTEA NOT NULL UNIQUE,
    security_stamp  BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    last_seen_at    BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    user_agent      TEXT NOT NULL,
    ip_prefix       TEXT NOT NULL
);

CREATE INDEX sessions_by_user ON sessions (user_id);

-- Append-only: nothing updates or deletes these rows except retention (a later issue).
CREATE TABLE audit_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          BIGINT NOT NULL,
    account_id  TEXT,
    actor_id    TEXT,
    action      TEXT NOT NULL,
    ip_prefix   TEXT
);
