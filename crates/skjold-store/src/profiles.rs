//! A user's name and the changes of e-mail address waiting for confirmation.

use async_trait::async_trait;
use skjold_app::{PendingEmail, ProfileStore, Sealed, StoreFailure};
use skjold_crypto::TokenHash;
use skjold_domain::UserId;
use time::OffsetDateTime;

use crate::database::Database;
use crate::sql::{failure, on_pool, secs};

/// A row of `email_changes` as both backends return it: index, sealed address, key id.
type PendingRow = (Vec<u8>, Vec<u8>, String);

fn pending_of((index, bytes, key_id): PendingRow) -> Result<PendingEmail, StoreFailure> {
    Ok(PendingEmail {
        index: index
            .try_into()
            .map_err(|_| StoreFailure::Other("a blind index is not 32 bytes".into()))?,
        sealed: Sealed { bytes, key_id },
    })
}

#[async_trait]
impl ProfileStore for Database {
    async fn set_name(&self, user: UserId, name: &Sealed) -> Result<(), StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE users SET name_sealed = $1, name_key_id = $2 WHERE id = $3")
                .bind(&name.bytes)
                .bind(&name.key_id)
                .bind(user.to_string())
                .execute(pool)
                .await
                .map(|_| ())
                .map_err(failure)
        })
    }

    async fn create_email_change(
        &self,
        hash: &TokenHash,
        user: UserId,
        new: &PendingEmail,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO email_changes (token_hash, user_id, new_email_index, \
                 new_email_sealed, email_key_id, expires_at, used_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, NULL)",
            )
            .bind(hash.0.to_vec())
            .bind(user.to_string())
            .bind(new.index.to_vec())
            .bind(&new.sealed.bytes)
            .bind(&new.sealed.key_id)
            .bind(secs(expires_at))
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(failure)
        })
    }

    async fn spend_email_change(
        &self,
        hash: &TokenHash,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<Option<PendingEmail>, StoreFailure> {
        let row: Option<PendingRow> = on_pool!(self, |pool| {
            sqlx::query_as(
                "UPDATE email_changes SET used_at = $1 WHERE token_hash = $2 AND user_id = $3 \
                 AND used_at IS NULL AND expires_at > $1 \
                 RETURNING new_email_index, new_email_sealed, email_key_id",
            )
            .bind(secs(now))
            .bind(hash.0.to_vec())
            .bind(user.to_string())
            .fetch_optional(pool)
            .await
            .map_err(failure)?
        });
        row.map(pending_of).transpose()
    }

    async fn replace_email(
        &self,
        user: UserId,
        new: &PendingEmail,
        at: OffsetDateTime,
    ) -> Result<i64, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query_scalar(
                "UPDATE users SET email_index = $1, email_sealed = $2, email_key_id = $3, \
                 email_verified_at = $4, security_stamp = security_stamp + 1 \
                 WHERE id = $5 RETURNING security_stamp",
            )
            .bind(new.index.to_vec())
            .bind(&new.sealed.bytes)
            .bind(&new.sealed.key_id)
            .bind(secs(at))
            .bind(user.to_string())
            .fetch_one(pool)
            .await
            .map_err(failure)
        })
    }
}
