//! Accounts, users, memberships, sessions and audit events, on both backends.

use async_trait::async_trait;
use skjold_app::{
    AccountStore, ApiScope, AuditEvent, Membership, NO_ACCOUNT_CHAIN, NewSession, NewUser, Sealed,
    StoreFailure, StoredApiToken, StoredSession, StoredUser, TokenPurpose,
};
use skjold_crypto::{AUDIT_GENESIS, AuditLink, TokenHash, audit_hash};
use skjold_domain::{AccountId, ApiTokenId, Role, SessionId, UserId};
use sqlx::Row;
use time::OffsetDateTime;

use crate::database::Database;
use crate::sql::{failure, on_pool, parse, secs, time_of};

const API_TOKEN_COLUMNS: &str = "id, account_id, created_by, name, scope, created_at, \
     expires_at, last_used_at, revoked_at";

/// A row of `api_tokens` as both backends return it.
type ApiTokenRow = (
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
);

fn api_token_of(row: ApiTokenRow) -> Result<StoredApiToken, StoreFailure> {
    let (id, account, by, name, scope, created, expires, used, revoked) = row;
    Ok(StoredApiToken {
        id: parse(&id)?,
        account_id: parse(&account)?,
        created_by: parse(&by)?,
        name,
        scope: ApiScope::parse(&scope)
            .ok_or_else(|| StoreFailure::Other(format!("unknown scope {scope:?}")))?,
        created_at: time_of(created)?,
        expires_at: time_of(expires)?,
        last_used_at: used.map(time_of).transpose()?,
        revoked: revoked.is_some(),
    })
}

pub(crate) const USER_COLUMNS: &str = "id, email_sealed, email_key_id, password_hash, security_stamp, \
     email_verified_at, name_sealed, name_key_id";

pub(crate) fn user_of<R: Row>(row: &R) -> Result<StoredUser, StoreFailure>
where
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<Vec<u8>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let get = |e: sqlx::Error| StoreFailure::Other(e.to_string());
    let name_sealed: Option<Vec<u8>> = row.try_get(6).map_err(get)?;
    let name_key_id: Option<String> = row.try_get(7).map_err(get)?;
    Ok(StoredUser {
        id: parse(&row.try_get::<String, _>(0).map_err(get)?)?,
        email_sealed: row.try_get(1).map_err(get)?,
        email_key_id: row.try_get(2).map_err(get)?,
        password_hash: row.try_get(3).map_err(get)?,
        security_stamp: row.try_get(4).map_err(get)?,
        email_verified: row.try_get::<Option<i64>, _>(5).map_err(get)?.is_some(),
        name: name_sealed
            .zip(name_key_id)
            .map(|(bytes, key_id)| Sealed { bytes, key_id }),
    })
}

fn session_of<R: Row>(row: &R) -> Result<StoredSession, StoreFailure>
where
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let get = |e: sqlx::Error| StoreFailure::Other(e.to_string());
    Ok(StoredSession {
        id: parse(&row.try_get::<String, _>(0).map_err(get)?)?,
        user_id: parse(&row.try_get::<String, _>(1).map_err(get)?)?,
        security_stamp: row.try_get(2).map_err(get)?,
        created_at: time_of(row.try_get(3).map_err(get)?)?,
        last_seen_at: time_of(row.try_get(4).map_err(get)?)?,
        expires_at: time_of(row.try_get(5).map_err(get)?)?,
        user_agent: row.try_get(6).map_err(get)?,
        ip_prefix: row.try_get(7).map_err(get)?,
    })
}

#[async_trait]
impl AccountStore for Database {
    async fn create_account_with_owner(
        &self,
        account: AccountId,
        account_name: &str,
        owner: NewUser,
    ) -> Result<(), StoreFailure> {
        let at = secs(owner.at);
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(failure)?;
            sqlx::query("INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)")
                .bind(account.to_string())
                .bind(account_name)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(failure)?;
            sqlx::query(
                "INSERT INTO users (id, email_index, email_sealed, email_key_id, password_hash, \
                 security_stamp, email_verified_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, 1, NULL, $6)",
            )
            .bind(owner.id.to_string())
            .bind(owner.email_index.to_vec())
            .bind(owner.email_sealed)
            .bind(owner.email_key_id)
            .bind(owner.password_hash)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(failure)?;
            sqlx::query(
                "INSERT INTO memberships (account_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)",
            )
            .bind(account.to_string())
            .bind(owner.id.to_string())
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(failure)?;
            tx.commit().await.map_err(failure)
        })
    }

    async fn user_by_email_index(
        &self,
        index: &[u8; 32],
    ) -> Result<Option<StoredUser>, StoreFailure> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email_index = $1");
        on_pool!(self, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(index.to_vec())
                .fetch_optional(pool)
                .await
                .map_err(failure)?
                .as_ref()
                .map(user_of)
                .transpose()
        })
    }

    async fn user(&self, id: UserId) -> Result<Option<StoredUser>, StoreFailure> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        on_pool!(self, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id.to_string())
                .fetch_optional(pool)
                .await
                .map_err(failure)?
                .as_ref()
                .map(user_of)
                .transpose()
        })
    }

    async fn set_password_hash(
        &self,
        user: UserId,
        hash: &str,
        bump_stamp: bool,
    ) -> Result<i64, StoreFailure> {
        let bump: i64 = bump_stamp.into();
        on_pool!(self, |pool| {
            sqlx::query_scalar(
                "UPDATE users SET password_hash = $1, security_stamp = security_stamp + $2 \
                 WHERE id = $3 RETURNING security_stamp",
            )
            .bind(hash)
            .bind(bump)
            .bind(user.to_string())
            .fetch_one(pool)
            .await
            .map_err(failure)
        })
    }

    async fn memberships(&self, user: UserId) -> Result<Vec<Membership>, StoreFailure> {
        let rows: Vec<(String, String, String)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT m.account_id, a.name, m.role FROM memberships m \
                 JOIN accounts a ON a.id = m.account_id WHERE m.user_id = $1 ORDER BY a.name",
            )
            .bind(user.to_string())
            .fetch_all(pool)
            .await
            .map_err(failure)?
        });
        rows.into_iter()
            .map(|(id, name, role)| {
                Ok(Membership {
                    account_id: parse(&id)?,
                    account_name: name,
                    role: parse(&role)?,
                })
            })
            .collect()
    }

    async fn create_session(&self, new: NewSession) -> Result<(), StoreFailure> {
        let s = new.session;
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO sessions (id, user_id, token_hash, security_stamp, created_at, \
                 last_seen_at, expires_at, user_agent, ip_prefix) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(s.id.to_string())
            .bind(s.user_id.to_string())
            .bind(new.token_hash.0.to_vec())
            .bind(s.security_stamp)
            .bind(secs(s.created_at))
            .bind(secs(s.last_seen_at))
            .bind(secs(s.expires_at))
            .bind(s.user_agent)
            .bind(s.ip_prefix)
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(failure)
        })
    }

    async fn session_by_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<StoredSession>, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "SELECT id, user_id, security_stamp, created_at, last_seen_at, expires_at, \
                 user_agent, ip_prefix FROM sessions WHERE token_hash = $1",
            )
            .bind(hash.0.to_vec())
            .fetch_optional(pool)
            .await
            .map_err(failure)?
            .as_ref()
            .map(session_of)
            .transpose()
        })
    }

    async fn touch_session(&self, id: SessionId, at: OffsetDateTime) -> Result<(), StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
                .bind(secs(at))
                .bind(id.to_string())
                .execute(pool)
                .await
                .map(|_| ())
                .map_err(failure)
        })
    }

    async fn delete_session(&self, id: SessionId) -> Result<(), StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM sessions WHERE id = $1")
                .bind(id.to_string())
                .execute(pool)
                .await
                .map(|_| ())
                .map_err(failure)
        })
    }

    async fn sessions_of(&self, user: UserId) -> Result<Vec<StoredSession>, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "SELECT id, user_id, security_stamp, created_at, last_seen_at, expires_at, \
                 user_agent, ip_prefix FROM sessions WHERE user_id = $1 \
                 ORDER BY created_at DESC, id",
            )
            .bind(user.to_string())
            .fetch_all(pool)
            .await
            .map_err(failure)?
            .iter()
            .map(session_of)
            .collect()
        })
    }

    async fn delete_session_of(&self, user: UserId, id: SessionId) -> Result<bool, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
                .bind(id.to_string())
                .bind(user.to_string())
                .execute(pool)
                .await
                .map(|done| done.rows_affected() > 0)
                .map_err(failure)
        })
    }

    async fn delete_other_sessions(
        &self,
        user: UserId,
        keep: SessionId,
    ) -> Result<u64, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
                .bind(user.to_string())
                .bind(keep.to_string())
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
                .map_err(failure)
        })
    }

    async fn create_one_time_token(
        &self,
        hash: &TokenHash,
        user: UserId,
        purpose: TokenPurpose,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO one_time_tokens (token_hash, user_id, purpose, expires_at, used_at) \
                 VALUES ($1, $2, $3, $4, NULL)",
            )
            .bind(hash.0.to_vec())
            .bind(user.to_string())
            .bind(purpose.as_str())
            .bind(secs(expires_at))
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(failure)
        })
    }

    async fn spend_one_time_token(
        &self,
        hash: &TokenHash,
        purpose: TokenPurpose,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>, StoreFailure> {
        let user: Option<String> = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "UPDATE one_time_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 \
                 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
            )
            .bind(secs(now))
            .bind(hash.0.to_vec())
            .bind(purpose.as_str())
            .fetch_optional(pool)
            .await
            .map_err(failure)?
        });
        user.map(|u| parse(&u)).transpose()
    }

    async fn mark_email_verified(
        &self,
        user: UserId,
        at: OffsetDateTime,
    ) -> Result<(), StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE users SET email_verified_at = $1 WHERE id = $2 AND email_verified_at IS NULL")
                .bind(secs(at))
                .bind(user.to_string())
                .execute(pool)
                .await
                .map(|_| ())
                .map_err(failure)
        })
    }

    async fn delete_all_sessions(&self, user: UserId) -> Result<u64, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user.to_string())
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
                .map_err(failure)
        })
    }

    async fn role_in(
        &self,
        user: UserId,
        account: AccountId,
    ) -> Result<Option<Role>, StoreFailure> {
        let role: Option<String> = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT role FROM memberships WHERE user_id = $1 AND account_id = $2",
            )
            .bind(user.to_string())
            .bind(account.to_string())
            .fetch_optional(pool)
            .await
            .map_err(failure)?
        });
        role.map(|r| parse(&r)).transpose()
    }

    async fn account_name(&self, account: AccountId) -> Result<Option<String>, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT name FROM accounts WHERE id = $1")
                .bind(account.to_string())
                .fetch_optional(pool)
                .await
                .map_err(failure)
        })
    }

    async fn second_step_required(&self, account: AccountId) -> Result<bool, StoreFailure> {
        let required: Option<bool> = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT require_second_step FROM accounts WHERE id = $1")
                .bind(account.to_string())
                .fetch_optional(pool)
                .await
                .map_err(failure)?
        });
        Ok(required.unwrap_or(false))
    }

    async fn set_second_step_required(
        &self,
        account: AccountId,
        required: bool,
    ) -> Result<(), StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE accounts SET require_second_step = $1 WHERE id = $2")
                .bind(required)
                .bind(account.to_string())
                .execute(pool)
                .await
                .map(|_| ())
                .map_err(failure)
        })
    }

    async fn create_api_token(
        &self,
        t: &StoredApiToken,
        hash: &TokenHash,
    ) -> Result<(), StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO api_tokens (id, account_id, created_by, name, scope, token_hash, \
                 created_at, expires_at, last_used_at, revoked_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL)",
            )
            .bind(t.id.to_string())
            .bind(t.account_id.to_string())
            .bind(t.created_by.to_string())
            .bind(&t.name)
            .bind(t.scope.as_str())
            .bind(hash.0.to_vec())
            .bind(secs(t.created_at))
            .bind(secs(t.expires_at))
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(failure)
        })
    }

    async fn api_tokens(&self, account: AccountId) -> Result<Vec<StoredApiToken>, StoreFailure> {
        let sql = format!(
            "SELECT {API_TOKEN_COLUMNS} FROM api_tokens WHERE account_id = $1 \
             AND revoked_at IS NULL ORDER BY created_at DESC, id"
        );
        on_pool!(self, |pool| {
            sqlx::query_as::<_, ApiTokenRow>(sqlx::AssertSqlSafe(sql))
                .bind(account.to_string())
                .fetch_all(pool)
                .await
                .map_err(failure)?
                .into_iter()
                .map(api_token_of)
                .collect()
        })
    }

    async fn api_token_by_hash(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<StoredApiToken>, StoreFailure> {
        let sql = format!("SELECT {API_TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1");
        on_pool!(self, |pool| {
            sqlx::query_as::<_, ApiTokenRow>(sqlx::AssertSqlSafe(sql))
                .bind(hash.0.to_vec())
                .fetch_optional(pool)
                .await
                .map_err(failure)?
                .map(api_token_of)
                .transpose()
        })
    }

    async fn revoke_api_token(
        &self,
        account: AccountId,
        id: ApiTokenId,
        at: OffsetDateTime,
    ) -> Result<bool, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND account_id = $3 \
                 AND revoked_at IS NULL",
            )
            .bind(secs(at))
            .bind(id.to_string())
            .bind(account.to_string())
            .execute(pool)
            .await
            .map(|done| done.rows_affected() > 0)
            .map_err(failure)
        })
    }

    async fn touch_api_token(
        &self,
        id: ApiTokenId,
        at: OffsetDateTime,
    ) -> Result<(), StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(secs(at))
                .bind(id.to_string())
                .execute(pool)
                .await
                .map(|_| ())
                .map_err(failure)
        })
    }

    /// Appends the event to its account's hash chain (C10). The first statement takes
    /// the chain's head (its row lock on PostgreSQL, the write lock on SQLite), so
    /// writers of one chain take turns; two starting a new chain at once collide on its
    /// key, and the loser tries again.
    async fn record(&self, event: AuditEvent) -> Result<(), StoreFailure> {
        let mut attempts = 0;
        loop {
            match self.append_audit_event(&event).await {
                Err(StoreFailure::Conflict) if attempts < 3 => attempts += 1,
                done => return done,
            }
        }
    }
}

impl Database {
    async fn append_audit_event(&self, event: &AuditEvent) -> Result<(), StoreFailure> {
        let chain = event
            .account_id
            .map_or_else(|| NO_ACCOUNT_CHAIN.to_owned(), |a| a.to_string());
        let actor = event.actor_id.map(|a| a.to_string());
        let at = secs(event.at);
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(failure)?;
            let head: Option<(i64, Vec<u8>)> = sqlx::query_as(
                "UPDATE audit_chain_heads SET seq = seq + 1 WHERE chain = $1 RETURNING seq, hash",
            )
            .bind(&chain)
            .fetch_optional(&mut *tx)
            .await
            .map_err(failure)?;
            let (seq, prev) = match head {
                Some((seq, prev)) => (seq, hash_of(&prev)?),
                None => {
                    sqlx::query(
                        "INSERT INTO audit_chain_heads (chain, seq, hash) VALUES ($1, 1, $2)",
                    )
                    .bind(&chain)
                    .bind(AUDIT_GENESIS.to_vec())
                    .execute(&mut *tx)
                    .await
                    .map_err(failure)?;
                    (1, AUDIT_GENESIS)
                }
            };
            let hash = audit_hash(
                &prev,
                &AuditLink {
                    chain: &chain,
                    seq,
                    at,
                    actor_id: actor.as_deref(),
                    action: event.action,
                    ip_prefix: event.ip_prefix.as_deref(),
                    detail: event.detail.as_deref(),
                },
            );
            sqlx::query(
                "INSERT INTO audit_events (at, account_id, actor_id, action, ip_prefix, detail, \
                 chain, seq, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(at)
            .bind(event.account_id.map(|a| a.to_string()))
            .bind(&actor)
            .bind(event.action)
            .bind(&event.ip_prefix)
            .bind(&event.detail)
            .bind(&chain)
            .bind(seq)
            .bind(prev.to_vec())
            .bind(hash.to_vec())
            .execute(&mut *tx)
            .await
            .map_err(failure)?;
            sqlx::query("UPDATE audit_chain_heads SET hash = $1 WHERE chain = $2")
                .bind(hash.to_vec())
                .bind(&chain)
                .execute(&mut *tx)
                .await
                .map_err(failure)?;
            tx.commit().await.map_err(failure)
        })
    }
}

/// A stored hash back to its 32 bytes.
pub(crate) fn hash_of(bytes: &[u8]) -> Result<[u8; 32], StoreFailure> {
    bytes
        .try_into()
        .map_err(|_| StoreFailure::Other("a stored audit hash is not 32 bytes".to_owned()))
}
