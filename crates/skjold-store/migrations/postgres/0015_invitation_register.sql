-- Pending invitations are listed and revocable (C15): each keeps the invitee's address
-- masked (`o***@example.com`), enough for the inviter to recognise it and nothing more,
-- and when it was made. Invitations made before this have neither and list as such.
ALTER TABLE invitations ADD COLUMN email_masked TEXT;
ALTER TABLE invitations ADD COLUMN created_at BIGINT;
