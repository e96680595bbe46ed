-- Single-use tokens sent by e-mail: e-mail verification and password reset. Only the
-- SHA-256 of each token is kept; a token is spent by setting used_at, atomically.
CREATE TABLE one_time_tokens (
    token_hash  BLOB PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
) STRICT;
