-- Each account's data keys and its register of people (C15, C17).

-- An account's data keys, only ever stored wrapped by the master key version named in
-- master_key_id. The highest version is the one new rows are sealed with.
CREATE TABLE account_keys (
    account_id     TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    version        BIGINT NOT NULL,
    master_key_id  TEXT NOT NULL,
    wrapped        BYTEA NOT NULL,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, version)
);

-- Contacts. Personal and sensitive fields are sealed with the account's data key
-- key_version, bound to table, column, row and account; e-mail and phone also have a
-- blind index for exact search. Company and tags are public: stored as they are.
CREATE TABLE contacts (
    id                  TEXT PRIMARY KEY NOT NULL,
    account_id          TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key_version         BIGINT NOT NULL,
    name_sealed         BYTEA NOT NULL,
    email_sealed        BYTEA,
    email_index         BYTEA,
    phone_sealed        BYTEA,
    phone_index         BYTEA,
    address_sealed      BYTEA,
    birth_date_sealed   BYTEA,
    national_id_sealed  BYTEA,
    notes_sealed        BYTEA,
    company             TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);

CREATE INDEX contacts_by_account ON contacts (account_id, id);
CREATE INDEX contacts_by_email ON contacts (account_id, email_index);
CREATE INDEX contacts_by_phone ON contacts (account_id, phone_index);
CREATE INDEX contacts_by_company ON contacts (account_id, company);

CREATE TABLE contact_tags (
    contact_id  TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    account_id  TEXT NOT NULL,
    tag         TEXT NOT NULL,
    PRIMARY KEY (contact_id, tag)
);

CREATE INDEX contact_tags_by_tag ON contact_tags (account_id, tag);

-- What an audit event concerns beyond its action, as JSON: e.g. the contacts and fields
-- of a read of personal data. Never a personal value itself.
ALTER TABLE audit_events ADD COLUMN detail TEXT;
