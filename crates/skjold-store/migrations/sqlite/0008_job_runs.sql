-- When each periodic job last ran, whichever instance ran it: an instance runs a job
-- only if it claims the run by moving last_run_at forward in one statement, so several
-- instances over one database run a daily job once a day.
CREATE TABLE job_runs (
    job          TEXT PRIMARY KEY NOT NULL,
    last_run_at  INTEGER NOT NULL
) STRICT;
