//! Key maintenance across accounts, for the operator's `skjold keys` commands.

use async_trait::async_trait;
use skjold_app::{KeyMaintenance, StoreFailure, StoredAccountKey};
use skjold_domain::AccountId;

use crate::database::Database;
use crate::sql::{failure, on_pool, parse, version_of};

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
}
