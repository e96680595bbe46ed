-- Codes sent by text message (C13). Only a keyed HMAC of each code is kept (six digits
-- could otherwise be tried offline), bound to what asked for it: the confirmation of a
-- new phone number, or one sign-in challenge. One live code per user and purpose; a
-- right code deletes its row, a wrong one counts a try.
CREATE TABLE sms_codes (
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose         TEXT NOT NULL CHECK (purpose IN ('confirm_phone', 'sign_in')),
    challenge_hash  BYTEA,
    code_mac        BYTEA NOT NULL,
    expires_at      BIGINT NOT NULL,
    tries           BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, purpose)
);

-- When codes were sent to each user, for the send limits (one per 30 s, ten an hour).
CREATE TABLE sms_sends (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sent_at  BIGINT NOT NULL
);

CREATE INDEX sms_sends_by_user ON sms_sends (user_id, sent_at);
