-- A user's name, and changes of e-mail address waiting for the new address to confirm
-- them. Both hold personal data, so both are stored only encrypted (C17).

-- The name, sealed under the master key version in name_key_id; NULL until set.
ALTER TABLE users ADD COLUMN name_sealed BLOB;
ALTER TABLE users ADD COLUMN name_key_id TEXT;

-- A requested change of address. The new address is kept sealed for the users row it
-- will replace, with its blind index; only the SHA-256 of the link's token is kept.
-- Spent (used_at set) in one statement, like one_time_tokens.
CREATE TABLE email_changes (
    token_hash        BLOB PRIMARY KEY NOT NULL,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    new_email_index   BLOB NOT NULL,
    new_email_sealed  BLOB NOT NULL,
    email_key_id      TEXT NOT NULL,
    expires_at        INTEGER NOT NULL,
    used_at           INTEGER
) STRICT;

CREATE INDEX email_changes_by_user ON email_changes (user_id);
