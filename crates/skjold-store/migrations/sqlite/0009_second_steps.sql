-- 2-step security (C13). A user's second steps: for TOTP the shared secret, sealed under
-- the master key version in key_id (bound to the users row) and NULL-confirmed while it
-- is being set up; last_step is the last TOTP time step accepted, so a code is never
-- accepted twice.
CREATE TABLE second_steps (
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    method         TEXT NOT NULL CHECK (method IN ('totp', 'sms')),
    secret_sealed  BLOB NOT NULL,
    key_id         TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    confirmed_at   INTEGER,
    last_step      INTEGER,
    PRIMARY KEY (user_id, method)
) STRICT;

-- Single-use recovery codes: only the SHA-256 of each (they carry 120 random bits).
CREATE TABLE recovery_codes (
    code_hash  BLOB PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    used_at    INTEGER
) STRICT;

CREATE INDEX recovery_codes_by_user ON recovery_codes (user_id);

-- A sign-in whose password was right and whose second step is pending: only the SHA-256
-- of the challenge handed to the client, its lifetime, and the wrong codes tried.
CREATE TABLE sign_in_challenges (
    challenge_hash  BLOB PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at      INTEGER NOT NULL,
    failures        INTEGER NOT NULL DEFAULT 0,
    used_at         INTEGER
) STRICT;
