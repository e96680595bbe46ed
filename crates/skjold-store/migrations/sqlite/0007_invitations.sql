-- Invitations to join an account with a role (C15). Only the SHA-256 of the link's
-- token is kept, and the invitee's address only as its blind index: the invitation is
-- accepted by whoever signs in with that address and follows the link.
CREATE TABLE invitations (
    token_hash   BLOB PRIMARY KEY NOT NULL,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email_index  BLOB NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'restricted')),
    invited_by   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER
) STRICT;

CREATE INDEX invitations_by_account ON invitations (account_id);
