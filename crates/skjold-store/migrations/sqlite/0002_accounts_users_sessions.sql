-- Accounts (tenants), users, memberships, sessions and the audit trail (C11, C12).
-- Times are Unix seconds (UTC). Ids are UUIDs as text. A user's e-mail is stored only
-- encrypted (email_sealed, under master key email_key_id) with a blind index to find it.

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
    id                TEXT PRIMARY KEY NOT NULL,
    email_index       BLOB NOT NULL UNIQUE,
    email_sealed      BLOB NOT NULL,
    email_key_id      TEXT NOT NULL,
    password_hash     TEXT NOT NULL,
    security_stamp    INTEGER NOT NULL,
    email_verified_at INTEGER,
    created_at        INTEGER NOT NULL
) STRICT;

CREATE TABLE memberships (
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'restricted')),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, user_id)
) STRICT;

CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE sessions (
    id              TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash      BLOB NOT NULL UNIQUE,
    security_stamp  INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    user_agent      TEXT NOT NULL,
    ip_prefix       TEXT NOT NULL
) STRICT;

CREATE INDEX sessions_by_user ON sessions (user_id);

-- Append-only: nothing updates or deletes these rows except retention (a later issue).
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    account_id  TEXT,
    actor_id    TEXT,
    action      TEXT NOT NULL,
    ip_prefix   TEXT
) STRICT;
