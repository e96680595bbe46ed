//! Text-message codes and their sends (C13). Spending a code is one DELETE that matches
//! everything it is bound to, so a code works once, for what asked for it, in time.

use async_trait::async_trait;
use skjold_app::{SmsCodeStore, SmsPurpose, StoreFailure};
use skjold_crypto::TokenHash;
use skjold_domain::UserId;
use time::OffsetDateTime;

use crate::database::Database;
use crate::sql::{failure, on_pool, secs, time_of};

#[async_trait]
impl SmsCodeStore for Database {
    async fn put_sms_code(
        &self,
        user: UserId,
        purpose: SmsPurpose,
        challenge: Option<&TokenHash>,
        mac: &[u8; 32],
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO sms_codes (user_id, purpose, challenge_hash, code_mac, expires_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (user_id, purpose) DO UPDATE SET \
                 challenge_hash = excluded.challenge_hash, code_mac = excluded.code_mac, \
                 expires_at = excluded.expires_at, tries = 0",
            )
            .bind(user.to_string())
            .bind(purpose.as_str())
            .bind(challenge.map(|c| c.0.to_vec()))
            .bind(mac.as_slice())
            .bind(secs(expires_at))
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(failure)
        })
    }

    async fn spend_sms_code(
        &self,
        user: UserId,
        purpose: SmsPurpose,
        challenge: Option<&TokenHash>,
        mac: &[u8; 32],
        now: OffsetDateTime,
        max_tries: u32,
    ) -> Result<bool, StoreFailure> {
        let user = user.to_string();
        let challenge = challenge.map(|c| c.0.to_vec());
        let spent = on_pool!(self, |pool| {
            sqlx::query(
                "DELETE FROM sms_codes WHERE user_id = $1 AND purpose = $2 AND code_mac = $3 \
                 AND expires_at > $4 AND tries < $5 \
                 AND (challenge_hash = $6 OR ($6 IS NULL AND challenge_hash IS NULL))",
            )
            .bind(&user)
            .bind(purpose.as_str())
            .bind(mac.as_slice())
            .bind(secs(now))
            .bind(i64::from(max_tries))
            .bind(&challenge)
            .execute(pool)
            .await
            .map(|done| done.rows_affected() == 1)
            .map_err(failure)?
        });
        if !spent {
            on_pool!(self, |pool| {
                sqlx::query(
                    "UPDATE sms_codes SET tries = tries + 1 WHERE user_id = $1 AND purpose = $2",
                )
                .bind(&user)
                .bind(purpose.as_str())
                .execute(pool)
                .await
                .map(|_| ())
                .map_err(failure)?
            });
        }
        Ok(spent)
    }

    async fn record_sms_send(&self, user: UserId, at: OffsetDateTime) -> Result<(), StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query("INSERT INTO sms_sends (user_id, sent_at) VALUES ($1, $2)")
                .bind(user.to_string())
                .bind(secs(at))
                .execute(pool)
                .await
                .map(|_| ())
                .map_err(failure)
        })
    }

    async fn sms_sends_since(
        &self,
        user: UserId,
        since: OffsetDateTime,
    ) -> Result<(u64, Option<OffsetDateTime>), StoreFailure> {
        let (count, last): (i64, Option<i64>) = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT COUNT(*), MAX(sent_at) FROM sms_sends WHERE user_id = $1 AND sent_at >= $2",
            )
            .bind(user.to_string())
            .bind(secs(since))
            .fetch_one(pool)
            .await
            .map_err(failure)?
        });
        Ok((
            u64::try_from(count).unwrap_or(0),
            last.map(time_of).transpose()?,
        ))
    }
}
