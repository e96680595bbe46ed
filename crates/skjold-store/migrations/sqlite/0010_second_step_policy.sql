-- An owner may require 2-step security of every member of the account (C13): a member
-- without a second step is refused the account's data until they set one up.
ALTER TABLE accounts ADD COLUMN require_second_step INTEGER NOT NULL DEFAULT 0;
