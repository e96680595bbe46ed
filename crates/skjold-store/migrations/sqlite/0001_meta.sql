-- Facts about the database itself, written once at creation (C8: the environment).
CREATE TABLE skjold_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;
