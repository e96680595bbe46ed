//! Key maintenance across accounts, for the operator's `skjold keys` commands.

use async_trait::async_trait;
use skjold_app::{
    KeyMaintenance, MasterKeyUses, Sealed, SealedUserField, StoreFailure, StoredAccountKey,
    UserFieldPlace,
};
use skjold_domain::{AccountId, SecondStepMethod};

use crate::database::Database;
use crate::sql::{failure, on_pool, parse, version_of};

/// The fields sealed directly under a master key, one query each: the place, and a
/// SELECT of (user id, sealed, key id, token hash or NULL) with `$1` the current key id.
const USER_FIELDS: [(&str, &str); 5] = [
    (
        "email",
        "SELECT id, email_sealed, email_key_id, NULL FROM users WHERE email_key_id <> $1",
    ),
    (
        "name",
        "SELECT id, name_sealed, name_key_id, NULL FROM users \
         WHERE name_key_id IS NOT NULL AND name_key_id <> $1",
    ),
    (
        "pending",
        "SELECT user_id, new_email_sealed, email_key_id, token_hash FROM email_changes \
         WHERE email_key_id <> $1",
    ),
    (
        "sms",
        "SELECT user_id, secret_sealed, key_id, NULL FROM second_steps \
         WHERE method = 'sms' AND key_id <> $1",
    ),
    (
        "totp",
        "SELECT user_id, secret_sealed, key_id, NULL FROM second_steps \
         WHERE method = 'totp' AND key_id <> $1",
    ),
];

type UserFieldRow = (String, Vec<u8>, String, Option<Vec<u8>>);

fn user_field(place: &str, row: UserFieldRow) -> Result<SealedUserField, StoreFailure> {
    let (user, bytes, key_id, token_hash) = row;
    let place = match (place, token_hash) {
        ("email", _) => UserFieldPlace::Email,
        ("name", _) => UserFieldPlace::Name,
        ("totp", _) => UserFieldPlace::SecondStep {
            method: SecondStepMethod::Totp,
        },
        ("sms", _) => UserFieldPlace::SecondStep {
            method: SecondStepMethod::Sms,
        },
        (_, Some(token_hash)) => UserFieldPlace::PendingEmail { token_hash },
        (_, None) => return Err(StoreFailure::Other("email change without token".into())),
    };
    Ok(SealedUserField {
        user: parse(&user)?,
        place,
        sealed: Sealed { bytes, key_id },
    })
}

#[async_trait]
impl KeyMaintenance for Database {
    async fn data_keys_not_under(
        &self,
        master_key_id: &str,
        limit: u32,
    ) -> Result<Vec<(AccountId, StoredAccountKey)>, StoreFailure> {
        let rows: Vec<(String, i64, String, Vec<u8>)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT account_id, version, master_key_id, wrapped FROM account_keys \
                 WHERE master_key_id <> $1 ORDER BY account_id, version LIMIT $2",
            )
            .bind(master_key_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(failure)?
        });
        rows.into_iter()
            .map(|(account, version, master_key_id, wrapped)| {
                Ok((
                    parse(&account)?,
                    StoredAccountKey {
                        version: version_of(version)?,
                        master_key_id,
                        wrapped,
                    },
                ))
            })
            .collect()
    }

    async fn accounts_with_data_keys(&self) -> Result<Vec<AccountId>, StoreFailure> {
        let ids: Vec<String> = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT DISTINCT account_id FROM account_keys ORDER BY account_id")
                .fetch_all(pool)
                .await
                .map_err(failure)?
        });
        ids.iter().map(|id| parse(id)).collect()
    }

    async fn rewrap_data_key(
        &self,
        account: AccountId,
        old_master_key_id: &str,
        new: &StoredAccountKey,
    ) -> Result<bool, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE account_keys SET master_key_id = $1, wrapped = $2 \
                 WHERE account_id = $3 AND version = $4 AND master_key_id = $5",
            )
            .bind(&new.master_key_id)
            .bind(&new.wrapped)
            .bind(account.to_string())
            .bind(i64::from(new.version))
            .bind(old_master_key_id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected() == 1)
            .map_err(failure)
        })
    }

    async fn user_fields_not_under(
        &self,
        master_key_id: &str,
        limit: u32,
    ) -> Result<Vec<SealedUserField>, StoreFailure> {
        let mut fields = Vec::new();
        for (place, select) in USER_FIELDS {
            let left = i64::from(limit) - fields.len() as i64;
            if left <= 0 {
                break;
            }
            let sql = format!("{select} ORDER BY 1 LIMIT $2");
            let rows: Vec<UserFieldRow> = on_pool!(self, |pool| {
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(master_key_id)
                    .bind(left)
                    .fetch_all(pool)
                    .await
                    .map_err(failure)?
            });
            for row in rows {
                fields.push(user_field(place, row)?);
            }
        }
        Ok(fields)
    }

    async fn reseal_user_field(
        &self,
        field: &SealedUserField,
        new: &Sealed,
    ) -> Result<bool, StoreFailure> {
        // Every statement takes the same five parameters; the token hash is NULL but for
        // a pending address, which it picks out.
        let second_step;
        let (sql, token_hash) = match &field.place {
            UserFieldPlace::Email => (
                "UPDATE users SET email_sealed = $1, email_key_id = $2 \
                 WHERE id = $3 AND email_sealed = $4 AND $5 IS NULL",
                None,
            ),
            UserFieldPlace::Name => (
                "UPDATE users SET name_sealed = $1, name_key_id = $2 \
                 WHERE id = $3 AND name_sealed = $4 AND $5 IS NULL",
                None,
            ),
            UserFieldPlace::SecondStep { method } => {
                second_step = format!(
                    "UPDATE second_steps SET secret_sealed = $1, key_id = $2 WHERE user_id = $3 \
                     AND secret_sealed = $4 AND method = '{}' AND $5 IS NULL",
                    method.as_str()
                );
                (second_step.as_str(), None)
            }
            UserFieldPlace::PendingEmail { token_hash } => (
                "UPDATE email_changes SET new_email_sealed = $1, email_key_id = $2 \
                 WHERE user_id = $3 AND new_email_sealed = $4 AND token_hash = $5",
                Some(token_hash),
            ),
        };
        on_pool!(self, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&new.bytes)
                .bind(&new.key_id)
                .bind(field.user.to_string())
                .bind(&field.sealed.bytes)
                .bind(token_hash)
                .execute(pool)
                .await
                .map(|done| done.rows_affected() == 1)
                .map_err(failure)
        })
    }

    async fn uses_of_master_key(&self, master_key_id: &str) -> Result<MasterKeyUses, StoreFailure> {
        let (data_keys, user_fields): (i64, i64) = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT \
                   (SELECT COUNT(*) FROM account_keys WHERE master_key_id = $1), \
                   (SELECT COUNT(*) FROM users WHERE email_key_id = $1) \
                   + (SELECT COUNT(*) FROM users WHERE name_key_id = $1) \
                   + (SELECT COUNT(*) FROM email_changes WHERE email_key_id = $1) \
                   + (SELECT COUNT(*) FROM second_steps WHERE key_id = $1)",
            )
            .bind(master_key_id)
            .fetch_one(pool)
            .await
            .map_err(failure)?
        });
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(MasterKeyUses {
            data_keys: count(data_keys),
            user_fields: count(user_fields),
        })
    }
}
