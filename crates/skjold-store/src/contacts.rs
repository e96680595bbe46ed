//! An account's data keys and contacts. Every statement is bound to the account of the
//! [`AccountScope`] it is given: `account_id = $1` in each WHERE, the only account id any
//! of them sees.

use async_trait::async_trait;
use skjold_app::{
    AccountScope, ContactFilter, ContactStore, SealedContact, StoreFailure, StoredAccountKey,
};
use skjold_domain::ContactId;
use sqlx::Row;
use time::OffsetDateTime;

use crate::database::Database;
use crate::sql::{failure, on_pool, parse, secs, time_of, version_of};

const CONTACT_COLUMNS: &str = "id, key_version, name_sealed, email_sealed, email_index, \
     phone_sealed, phone_index, address_sealed, birth_date_sealed, national_id_sealed, \
     notes_sealed, company, created_at, updated_at";

fn index_of(bytes: Option<Vec<u8>>) -> Result<Option<[u8; 32]>, StoreFailure> {
    bytes
        .map(|b| {
            b.try_into()
                .map_err(|_| StoreFailure::Other("a blind index is not 32 bytes".into()))
        })
        .transpose()
}

/// A contacts row without its tags, which live in their own table.
fn contact_of<R: Row>(row: &R) -> Result<SealedContact, StoreFailure>
where
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<Vec<u8>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let get = |e: sqlx::Error| StoreFailure::Other(e.to_string());
    Ok(SealedContact {
        id: parse(&row.try_get::<String, _>(0).map_err(get)?)?,
        key_version: version_of(row.try_get(1).map_err(get)?)?,
        name: row.try_get(2).map_err(get)?,
        email: row.try_get(3).map_err(get)?,
        email_index: index_of(row.try_get(4).map_err(get)?)?,
        phone: row.try_get(5).map_err(get)?,
        phone_index: index_of(row.try_get(6).map_err(get)?)?,
        address: row.try_get(7).map_err(get)?,
        birth_date: row.try_get(8).map_err(get)?,
        national_id: row.try_get(9).map_err(get)?,
        notes: row.try_get(10).map_err(get)?,
        company: row.try_get(11).map_err(get)?,
        tags: Vec::new(),
        created_at: time_of(row.try_get(12).map_err(get)?)?,
        updated_at: time_of(row.try_get(13).map_err(get)?)?,
    })
}

/// Writes the contact's tags inside transaction `$tx`, replacing any it had.
macro_rules! write_tags {
    ($tx:expr, $account:expr, $contact:expr) => {{
        sqlx::query("DELETE FROM contact_tags WHERE account_id = $1 AND contact_id = $2")
            .bind(&$account)
            .bind($contact.id.to_string())
            .execute(&mut *$tx)
            .await
            .map_err(failure)?;
        for tag in &$contact.tags {
            sqlx::query(
                "INSERT INTO contact_tags (contact_id, account_id, tag) VALUES ($1, $2, $3)",
            )
            .bind($contact.id.to_string())
            .bind(&$account)
            .bind(tag)
            .execute(&mut *$tx)
            .await
            .map_err(failure)?;
        }
    }};
}

impl Database {
    async fn tags(&self, scope: &AccountScope, id: ContactId) -> Result<Vec<String>, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT tag FROM contact_tags WHERE account_id = $1 AND contact_id = $2 ORDER BY tag",
            )
            .bind(scope.account().to_string())
            .bind(id.to_string())
            .fetch_all(pool)
            .await
            .map_err(failure)
        })
    }

    /// Fills in the tags of contacts read without them.
    async fn with_tags(
        &self,
        scope: &AccountScope,
        mut contacts: Vec<SealedContact>,
    ) -> Result<Vec<SealedContact>, StoreFailure> {
        for contact in &mut contacts {
            contact.tags = self.tags(scope, contact.id).await?;
        }
        Ok(contacts)
    }

    /// Writes the contact's fields and tags; with `only_version`, only if the row is
    /// still sealed with that data key version. Whether a row was written.
    async fn replace_contact(
        &self,
        scope: &AccountScope,
        c: &SealedContact,
        only_version: Option<u32>,
    ) -> Result<bool, StoreFailure> {
        let account = scope.account().to_string();
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(failure)?;
            let updated = sqlx::query(
                "UPDATE contacts SET key_version = $3, name_sealed = $4, email_sealed = $5, \
                 email_index = $6, phone_sealed = $7, phone_index = $8, address_sealed = $9, \
                 birth_date_sealed = $10, national_id_sealed = $11, notes_sealed = $12, \
                 company = $13, updated_at = $14 WHERE account_id = $1 AND id = $2 \
                 AND ($15 IS NULL OR key_version = $15)",
            )
            .bind(&account)
            .bind(c.id.to_string())
            .bind(i64::from(c.key_version))
            .bind(&c.name)
            .bind(&c.email)
            .bind(c.email_index.map(|i| i.to_vec()))
            .bind(&c.phone)
            .bind(c.phone_index.map(|i| i.to_vec()))
            .bind(&c.address)
            .bind(&c.birth_date)
            .bind(&c.national_id)
            .bind(&c.notes)
            .bind(&c.company)
            .bind(secs(c.updated_at))
            .bind(only_version.map(i64::from))
            .execute(&mut *tx)
            .await
            .map_err(failure)?
            .rows_affected()
                == 1;
            if !updated {
                return Ok(false);
            }
            write_tags!(tx, account, c);
            tx.commit().await.map_err(failure)?;
            Ok(true)
        })
    }
}

#[async_trait]
impl ContactStore for Database {
    async fn current_account_key(
        &self,
        scope: &AccountScope,
    ) -> Result<Option<StoredAccountKey>, StoreFailure> {
        let row: Option<(i64, String, Vec<u8>)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT version, master_key_id, wrapped FROM account_keys WHERE account_id = $1 \
                 ORDER BY version DESC LIMIT 1",
            )
            .bind(scope.account().to_string())
            .fetch_optional(pool)
            .await
            .map_err(failure)?
        });
        row.map(|(version, master_key_id, wrapped)| {
            Ok(StoredAccountKey {
                version: version_of(version)?,
                master_key_id,
                wrapped,
            })
        })
        .transpose()
    }

    async fn account_key(
        &self,
        scope: &AccountScope,
        version: u32,
    ) -> Result<Option<StoredAccountKey>, StoreFailure> {
        let row: Option<(String, Vec<u8>)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT master_key_id, wrapped FROM account_keys WHERE account_id = $1 \
                 AND version = $2",
            )
            .bind(scope.account().to_string())
            .bind(i64::from(version))
            .fetch_optional(pool)
            .await
            .map_err(failure)?
        });
        Ok(row.map(|(master_key_id, wrapped)| StoredAccountKey {
            version,
            master_key_id,
            wrapped,
        }))
    }

    async fn create_account_key(
        &self,
        scope: &AccountScope,
        key: &StoredAccountKey,
        at: OffsetDateTime,
    ) -> Result<(), StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO account_keys (account_id, version, master_key_id, wrapped, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(scope.account().to_string())
            .bind(i64::from(key.version))
            .bind(&key.master_key_id)
            .bind(&key.wrapped)
            .bind(secs(at))
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(failure)
        })
    }

    async fn create_contact(
        &self,
        scope: &AccountScope,
        c: &SealedContact,
    ) -> Result<(), StoreFailure> {
        let account = scope.account().to_string();
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(failure)?;
            sqlx::query(
                "INSERT INTO contacts (id, account_id, key_version, name_sealed, email_sealed, \
                 email_index, phone_sealed, phone_index, address_sealed, birth_date_sealed, \
                 national_id_sealed, notes_sealed, company, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(c.id.to_string())
            .bind(&account)
            .bind(i64::from(c.key_version))
            .bind(&c.name)
            .bind(&c.email)
            .bind(c.email_index.map(|i| i.to_vec()))
            .bind(&c.phone)
            .bind(c.phone_index.map(|i| i.to_vec()))
            .bind(&c.address)
            .bind(&c.birth_date)
            .bind(&c.national_id)
            .bind(&c.notes)
            .bind(&c.company)
            .bind(secs(c.created_at))
            .bind(secs(c.updated_at))
            .execute(&mut *tx)
            .await
            .map_err(failure)?;
            write_tags!(tx, account, c);
            tx.commit().await.map_err(failure)
        })
    }

    async fn contact(
        &self,
        scope: &AccountScope,
        id: ContactId,
    ) -> Result<Option<SealedContact>, StoreFailure> {
        let sql =
            format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE account_id = $1 AND id = $2");
        let found = on_pool!(self, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(scope.account().to_string())
                .bind(id.to_string())
                .fetch_optional(pool)
                .await
                .map_err(failure)?
                .as_ref()
                .map(contact_of)
                .transpose()?
        });
        Ok(self
            .with_tags(scope, found.into_iter().collect())
            .await?
            .pop())
    }

    async fn update_contact(
        &self,
        scope: &AccountScope,
        c: &SealedContact,
    ) -> Result<bool, StoreFailure> {
        self.replace_contact(scope, c, None).await
    }

    async fn contacts_sealed_before(
        &self,
        scope: &AccountScope,
        version: u32,
        limit: u32,
    ) -> Result<Vec<SealedContact>, StoreFailure> {
        let sql = format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE account_id = $1 AND key_version < $2 \
             ORDER BY id LIMIT $3"
        );
        let found = on_pool!(self, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(scope.account().to_string())
                .bind(i64::from(version))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .map_err(failure)?
                .iter()
                .map(contact_of)
                .collect::<Result<Vec<_>, _>>()?
        });
        self.with_tags(scope, found).await
    }

    async fn reseal_contact(
        &self,
        scope: &AccountScope,
        contact: &SealedContact,
        old_version: u32,
    ) -> Result<bool, StoreFailure> {
        self.replace_contact(scope, contact, Some(old_version))
            .await
    }

    async fn retire_account_keys(
        &self,
        scope: &AccountScope,
        version: u32,
    ) -> Result<u64, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "DELETE FROM account_keys WHERE account_id = $1 AND version < $2 AND NOT EXISTS \
                 (SELECT 1 FROM contacts WHERE contacts.account_id = $1 \
                  AND contacts.key_version = account_keys.version)",
            )
            .bind(scope.account().to_string())
            .bind(i64::from(version))
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
            .map_err(failure)
        })
    }

    async fn delete_contact(
        &self,
        scope: &AccountScope,
        id: ContactId,
    ) -> Result<bool, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM contacts WHERE account_id = $1 AND id = $2")
                .bind(scope.account().to_string())
                .bind(id.to_string())
                .execute(pool)
                .await
                .map(|done| done.rows_affected() == 1)
                .map_err(failure)
        })
    }

    async fn contacts(
        &self,
        scope: &AccountScope,
        filter: &ContactFilter,
        after: Option<ContactId>,
        limit: u32,
    ) -> Result<Vec<SealedContact>, StoreFailure> {
        // A condition whose parameter is NULL holds for every row.
        let sql = format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE account_id = $1 \
             AND ($2 IS NULL OR company = $2) \
             AND ($3 IS NULL OR email_index = $3) \
             AND ($4 IS NULL OR phone_index = $4) \
             AND ($5 IS NULL OR id IN \
                 (SELECT contact_id FROM contact_tags WHERE account_id = $1 AND tag = $5)) \
             AND ($6 IS NULL OR id > $6) \
             ORDER BY id LIMIT $7"
        );
        let found = on_pool!(self, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(scope.account().to_string())
                .bind(&filter.company)
                .bind(filter.email_index.map(|i| i.to_vec()))
                .bind(filter.phone_index.map(|i| i.to_vec()))
                .bind(&filter.tag)
                .bind(after.map(|a| a.to_string()))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .map_err(failure)?
                .iter()
                .map(contact_of)
                .collect::<Result<Vec<_>, _>>()?
        });
        self.with_tags(scope, found).await
    }
}
