-- Brute-force defence that cannot lock a victim out (C14).
--
-- Devices that completed a sign-in get a token (only its SHA-256 is kept): they are
-- recognised later and spared the delays below.
CREATE TABLE known_devices (
    token_hash    BLOB PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX known_devices_by_user ON known_devices (user_id);

-- Failed passwords from unrecognised devices per (address tried, client), keyed by an
-- HMAC of both: past a few, that pair waits longer and longer.
CREATE TABLE sign_in_failures (
    bucket           BLOB PRIMARY KEY NOT NULL,
    failures         INTEGER NOT NULL,
    last_failure_at  INTEGER NOT NULL
) STRICT;

-- Consecutive failed passwords from unrecognised devices, across all clients, and when
-- the last came; at 100 such devices are refused until the owner resets the password or
-- signs in from a recognised device once the attempts have stopped (NIST SP 800-63B).
ALTER TABLE users ADD COLUMN unrecognised_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_unrecognised_attempt_at INTEGER;
