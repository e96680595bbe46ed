//! Rate limit counters (C14): one upsert per hit, so every instance over the database
//! counts into the same window.

use async_trait::async_trait;
use skjold_app::{RateCounters, StoreFailure};
use time::OffsetDateTime;

use crate::database::Database;
use crate::sql::{failure, on_pool, secs};

#[async_trait]
impl RateCounters for Database {
    async fn hit(
        &self,
        bucket: &[u8; 32],
        window_start: OffsetDateTime,
    ) -> Result<u64, StoreFailure> {
        let hits: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
                 ON CONFLICT (bucket) DO UPDATE SET \
                   hits = CASE WHEN rate_limits.window_start = excluded.window_start \
                          THEN rate_limits.hits + 1 ELSE 1 END, \
                   window_start = excluded.window_start \
                 RETURNING hits",
            )
            .bind(bucket.as_slice())
            .bind(secs(window_start))
            .fetch_one(pool)
            .await
            .map_err(failure)?
        });
        Ok(u64::try_from(hits).unwrap_or(0))
    }

    async fn hits(
        &self,
        bucket: &[u8; 32],
        window_start: OffsetDateTime,
    ) -> Result<u64, StoreFailure> {
        let hits: Option<i64> = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT hits FROM rate_limits WHERE bucket = $1 AND window_start = $2",
            )
            .bind(bucket.as_slice())
            .bind(secs(window_start))
            .fetch_optional(pool)
            .await
            .map_err(failure)?
        });
        Ok(hits.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }

    async fn forget_before(&self, before: OffsetDateTime) -> Result<u64, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
                .bind(secs(before))
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
                .map_err(failure)
        })
    }
}
