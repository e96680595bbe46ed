-- Attempt counters for rate limits (C14), shared by every instance: one row per bucket
-- (an endpoint and a keyed hash of the client's address, never the address itself),
-- counting the hits of the current fixed window.
CREATE TABLE rate_limits (
    bucket        BLOB PRIMARY KEY NOT NULL,
    window_start  INTEGER NOT NULL,
    hits          INTEGER NOT NULL
) STRICT;

CREATE INDEX rate_limits_by_window ON rate_limits (window_start);
