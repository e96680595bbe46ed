//! Claims on periodic jobs, so that one instance of several runs each.

use async_trait::async_trait;
use skjold_app::{JobClaims, StoreFailure};
use time::{Duration, OffsetDateTime};

use crate::database::Database;
use crate::sql::{failure, on_pool, secs};

#[async_trait]
impl JobClaims for Database {
    async fn claim_run(
        &self,
        job: &str,
        now: OffsetDateTime,
        every: Duration,
    ) -> Result<bool, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO job_runs (job, last_run_at) VALUES ($1, $2) \
                 ON CONFLICT (job) DO UPDATE SET last_run_at = $2 \
                 WHERE job_runs.last_run_at <= $3",
            )
            .bind(job)
            .bind(secs(now))
            .bind(secs(now - every))
            .execute(pool)
            .await
            .map(|done| done.rows_affected() == 1)
            .map_err(failure)
        })
    }
}
