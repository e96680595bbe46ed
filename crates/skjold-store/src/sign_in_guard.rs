//! Known devices and failed-password counters (C14). Counts change in one statement
//! each, so instances sharing the database count together.

use async_trait::async_trait;
use skjold_app::{SignInGuardStore, StoreFailure};
use skjold_crypto::TokenHash;
use skjold_domain::UserId;
use time::OffsetDateTime;

use crate::database::Database;
use crate::sql::{failure, on_pool, secs, time_of};

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

#[async_trait]
impl SignInGuardStore for Database {
    async fn known_device(
        &self,
        user: UserId,
        hash: &TokenHash,
        at: OffsetDateTime,
    ) -> Result<bool, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE known_devices SET last_used_at = $1 WHERE token_hash = $2 AND user_id = $3",
            )
            .bind(secs(at))
            .bind(hash.0.as_slice())
            .bind(user.to_string())
            .execute(pool)
            .await
            .map(|done| done.rows_affected() == 1)
            .map_err(failure)
        })
    }

    async fn add_device(
        &self,
        user: UserId,
        hash: &TokenHash,
        at: OffsetDateTime,
    ) -> Result<(), StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO known_devices (token_hash, user_id, created_at, last_used_at) \
                 VALUES ($1, $2, $3, $3)",
            )
            .bind(hash.0.as_slice())
            .bind(user.to_string())
            .bind(secs(at))
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(failure)
        })
    }

    async fn failures(
        &self,
        bucket: &[u8; 32],
    ) -> Result<Option<(u64, OffsetDateTime)>, StoreFailure> {
        let row: Option<(i64, i64)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT failures, last_failure_at FROM sign_in_failures WHERE bucket = $1",
            )
            .bind(bucket.as_slice())
            .fetch_optional(pool)
            .await
            .map_err(failure)?
        });
        row.map(|(n, at)| Ok((count(n), time_of(at)?))).transpose()
    }

    async fn record_failure(
        &self,
        bucket: &[u8; 32],
        at: OffsetDateTime,
    ) -> Result<u64, StoreFailure> {
        let n: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "INSERT INTO sign_in_failures (bucket, failures, last_failure_at) VALUES ($1, 1, $2) \
                 ON CONFLICT (bucket) DO UPDATE SET failures = sign_in_failures.failures + 1, \
                 last_failure_at = excluded.last_failure_at RETURNING failures",
            )
            .bind(bucket.as_slice())
            .bind(secs(at))
            .fetch_one(pool)
            .await
            .map_err(failure)?
        });
        Ok(count(n))
    }

    async fn clear_failures(&self, bucket: &[u8; 32]) -> Result<(), StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM sign_in_failures WHERE bucket = $1")
                .bind(bucket.as_slice())
                .execute(pool)
                .await
                .map(|_| ())
                .map_err(failure)
        })
    }

    async fn count_unrecognised_failure(
        &self,
        user: UserId,
        at: OffsetDateTime,
    ) -> Result<u64, StoreFailure> {
        let n: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "UPDATE users SET unrecognised_failures = unrecognised_failures + 1, \
                 last_unrecognised_attempt_at = $2 WHERE id = $1 RETURNING unrecognised_failures",
            )
            .bind(user.to_string())
            .bind(secs(at))
            .fetch_one(pool)
            .await
            .map_err(failure)?
        });
        Ok(count(n))
    }

    async fn clear_unrecognised_failures(
        &self,
        user: UserId,
        quiet_since: Option<OffsetDateTime>,
    ) -> Result<(), StoreFailure> {
        // Without a bound, any time at all (the far future) counts as quiet.
        let bound = quiet_since.map_or(i64::MAX, secs);
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE users SET unrecognised_failures = 0 WHERE id = $1 \
                 AND (last_unrecognised_attempt_at IS NULL OR last_unrecognised_attempt_at < $2)",
            )
            .bind(user.to_string())
            .bind(bound)
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(failure)
        })
    }
}
