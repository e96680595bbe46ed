//! Second steps, recovery codes and sign-in challenges (C13). Every "use once" is one
//! conditional statement, so two requests (or two instances) cannot both spend a code.

use async_trait::async_trait;
use skjold_app::{Sealed, SecondStepStore, StoreFailure, StoredSecondStep};
use skjold_crypto::TokenHash;
use skjold_domain::{SecondStepMethod, UserId};
use time::OffsetDateTime;

use crate::database::Database;
use crate::sql::{failure, on_pool, parse, secs};

#[async_trait]
impl SecondStepStore for Database {
    async fn second_steps(&self, user: UserId) -> Result<Vec<StoredSecondStep>, StoreFailure> {
        let rows: Vec<(String, Vec<u8>, String, Option<i64>)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT method, secret_sealed, key_id, confirmed_at FROM second_steps \
                 WHERE user_id = $1 ORDER BY method",
            )
            .bind(user.to_string())
            .fetch_all(pool)
            .await
            .map_err(failure)?
        });
        rows.into_iter()
            .map(|(method, bytes, key_id, confirmed_at)| {
                Ok(StoredSecondStep {
                    method: parse(&method)?,
                    secret: Sealed { bytes, key_id },
                    confirmed: confirmed_at.is_some(),
                })
            })
            .collect()
    }

    async fn begin_second_step(
        &self,
        user: UserId,
        method: SecondStepMethod,
        secret: &Sealed,
        at: OffsetDateTime,
    ) -> Result<bool, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO second_steps (user_id, method, secret_sealed, key_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (user_id, method) DO UPDATE \
                 SET secret_sealed = excluded.secret_sealed, key_id = excluded.key_id, \
                     created_at = excluded.created_at, last_step = NULL \
                 WHERE second_steps.confirmed_at IS NULL",
            )
            .bind(user.to_string())
            .bind(method.as_str())
            .bind(&secret.bytes)
            .bind(&secret.key_id)
            .bind(secs(at))
            .execute(pool)
            .await
            .map(|done| done.rows_affected() == 1)
            .map_err(failure)
        })
    }

    async fn confirm_second_step(
        &self,
        user: UserId,
        method: SecondStepMethod,
        step: i64,
        at: OffsetDateTime,
    ) -> Result<bool, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE second_steps SET confirmed_at = $1, last_step = $2 \
                 WHERE user_id = $3 AND method = $4 AND confirmed_at IS NULL",
            )
            .bind(secs(at))
            .bind(step)
            .bind(user.to_string())
            .bind(method.as_str())
            .execute(pool)
            .await
            .map(|done| done.rows_affected() == 1)
            .map_err(failure)
        })
    }

    async fn use_totp_step(&self, user: UserId, step: i64) -> Result<bool, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE second_steps SET last_step = $1 \
                 WHERE user_id = $2 AND method = 'totp' AND confirmed_at IS NOT NULL \
                 AND (last_step IS NULL OR last_step < $1)",
            )
            .bind(step)
            .bind(user.to_string())
            .execute(pool)
            .await
            .map(|done| done.rows_affected() == 1)
            .map_err(failure)
        })
    }

    async fn remove_second_step(
        &self,
        user: UserId,
        method: SecondStepMethod,
    ) -> Result<bool, StoreFailure> {
        let user = user.to_string();
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(failure)?;
            let removed =
                sqlx::query("DELETE FROM second_steps WHERE user_id = $1 AND method = $2")
                    .bind(&user)
                    .bind(method.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(failure)?
                    .rows_affected()
                    == 1;
            sqlx::query(
                "DELETE FROM recovery_codes WHERE user_id = $1 AND NOT EXISTS \
                 (SELECT 1 FROM second_steps WHERE user_id = $1 AND confirmed_at IS NOT NULL)",
            )
            .bind(&user)
            .execute(&mut *tx)
            .await
            .map_err(failure)?;
            tx.commit().await.map_err(failure)?;
            Ok(removed)
        })
    }

    async fn replace_recovery_codes(
        &self,
        user: UserId,
        hashes: &[TokenHash],
    ) -> Result<(), StoreFailure> {
        let user = user.to_string();
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(failure)?;
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(&user)
                .execute(&mut *tx)
                .await
                .map_err(failure)?;
            for hash in hashes {
                sqlx::query("INSERT INTO recovery_codes (code_hash, user_id) VALUES ($1, $2)")
                    .bind(hash.0.as_slice())
                    .bind(&user)
                    .execute(&mut *tx)
                    .await
                    .map_err(failure)?;
            }
            tx.commit().await.map_err(failure)
        })
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        hash: &TokenHash,
        at: OffsetDateTime,
    ) -> Result<bool, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE recovery_codes SET used_at = $1 \
                 WHERE code_hash = $2 AND user_id = $3 AND used_at IS NULL",
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

    async fn recovery_codes_left(&self, user: UserId) -> Result<u64, StoreFailure> {
        let left: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
            )
            .bind(user.to_string())
            .fetch_one(pool)
            .await
            .map_err(failure)?
        });
        Ok(u64::try_from(left).unwrap_or(0))
    }

    async fn create_challenge(
        &self,
        hash: &TokenHash,
        user: UserId,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO sign_in_challenges (challenge_hash, user_id, expires_at) \
                 VALUES ($1, $2, $3)",
            )
            .bind(hash.0.as_slice())
            .bind(user.to_string())
            .bind(secs(expires_at))
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(failure)
        })
    }

    async fn take_challenge_try(
        &self,
        hash: &TokenHash,
        now: OffsetDateTime,
        max_tries: u32,
    ) -> Result<Option<UserId>, StoreFailure> {
        // `failures` counts tries: a right code spends the challenge anyway.
        let user: Option<String> = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "UPDATE sign_in_challenges SET failures = failures + 1 WHERE challenge_hash = $1 \
                 AND used_at IS NULL AND expires_at > $2 AND failures < $3 RETURNING user_id",
            )
            .bind(hash.0.as_slice())
            .bind(secs(now))
            .bind(i64::from(max_tries))
            .fetch_optional(pool)
            .await
            .map_err(failure)?
        });
        user.as_deref().map(parse).transpose()
    }

    async fn spend_challenge(
        &self,
        hash: &TokenHash,
        at: OffsetDateTime,
    ) -> Result<bool, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE sign_in_challenges SET used_at = $1 \
                 WHERE challenge_hash = $2 AND used_at IS NULL",
            )
            .bind(secs(at))
            .bind(hash.0.as_slice())
            .execute(pool)
            .await
            .map(|done| done.rows_affected() == 1)
            .map_err(failure)
        })
    }
}
