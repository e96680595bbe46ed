//! Reading the audit trail of one account; the chains' heads and events for
//! `skjold audit verify`; retention.

use async_trait::async_trait;
use skjold_app::{
    AccountScope, AuditChainHead, AuditFilter, AuditLog, ChainedAuditEvent, StoreFailure,
    StoredAuditEvent,
};
use time::OffsetDateTime;

use crate::accounts::hash_of;

use crate::database::Database;
use crate::sql::{failure, on_pool, parse, secs, time_of};

/// A row of `audit_events` as both backends return it.
type EventRow = (
    i64,
    i64,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
);

#[async_trait]
impl AuditLog for Database {
    async fn audit_events(
        &self,
        scope: &AccountScope,
        filter: &AuditFilter,
        limit: u32,
    ) -> Result<Vec<StoredAuditEvent>, StoreFailure> {
        // A condition whose parameter is NULL holds for every row.
        let rows: Vec<EventRow> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, at, actor_id, action, ip_prefix, detail, seq, prev_hash, hash \
                 FROM audit_events \
                 WHERE account_id = $1 \
                 AND ($2 IS NULL OR action = $2) \
                 AND ($3 IS NULL OR actor_id = $3) \
                 AND ($4 IS NULL OR at >= $4) \
                 AND ($5 IS NULL OR at <= $5) \
                 AND ($6 IS NULL OR id < $6) \
                 ORDER BY id DESC LIMIT $7",
            )
            .bind(scope.account().to_string())
            .bind(&filter.action)
            .bind(filter.actor.map(|a| a.to_string()))
            .bind(filter.since.map(secs))
            .bind(filter.until.map(secs))
            .bind(filter.before)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(failure)?
        });
        rows.into_iter()
            .map(
                |(id, at, actor, action, ip_prefix, detail, seq, prev_hash, hash)| {
                    Ok(StoredAuditEvent {
                        id,
                        at: time_of(at)?,
                        actor_id: actor.map(|a| parse(&a)).transpose()?,
                        action,
                        ip_prefix,
                        detail,
                        chain_link: seq.zip(prev_hash).zip(hash).map(|((s, p), h)| (s, p, h)),
                    })
                },
            )
            .collect()
    }

    async fn audit_chain_heads(&self) -> Result<Vec<AuditChainHead>, StoreFailure> {
        let rows: Vec<(String, i64, Vec<u8>, i64, Option<Vec<u8>>)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT chain, seq, hash, first_seq, first_prev_hash FROM audit_chain_heads \
                 ORDER BY chain",
            )
            .fetch_all(pool)
            .await
            .map_err(failure)?
        });
        rows.into_iter()
            .map(|(chain, seq, hash, first_seq, first_prev_hash)| {
                Ok(AuditChainHead {
                    chain,
                    seq,
                    hash: hash_of(&hash)?,
                    first_seq,
                    first_prev_hash: first_prev_hash.as_deref().map(hash_of).transpose()?,
                })
            })
            .collect()
    }

    async fn audit_chain_events(
        &self,
        chain: &str,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<ChainedAuditEvent>, StoreFailure> {
        let rows: Vec<EventRow> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, at, actor_id, action, ip_prefix, detail, seq, prev_hash, hash \
                 FROM audit_events WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            )
            .bind(chain)
            .bind(after_seq)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(failure)?
        });
        // Every event of a chain has its link fields: the append writes them together.
        Ok(rows
            .into_iter()
            .map(
                |(id, at, actor_id, action, ip_prefix, detail, seq, prev_hash, hash)| {
                    ChainedAuditEvent {
                        id,
                        seq: seq.unwrap_or_default(),
                        at,
                        actor_id,
                        action,
                        ip_prefix,
                        detail,
                        prev_hash: prev_hash.unwrap_or_default(),
                        hash: hash.unwrap_or_default(),
                    }
                },
            )
            .collect())
    }

    async fn unchained_audit_events(&self) -> Result<u64, StoreFailure> {
        let count: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE chain IS NULL")
                .fetch_one(pool)
                .await
                .map_err(failure)?
        });
        Ok(u64::try_from(count).unwrap_or_default())
    }

    async fn prune_audit_events(&self, before: OffsetDateTime) -> Result<u64, StoreFailure> {
        let mut deleted = 0;
        for head in self.audit_chain_heads().await? {
            deleted += self.prune_chain(&head.chain, before).await?;
        }
        Ok(deleted)
    }
}

impl Database {
    /// Deletes `chain`'s events up to its newest one older than `before`, and moves the
    /// chain's start past them, in one transaction.
    async fn prune_chain(&self, chain: &str, before: OffsetDateTime) -> Result<u64, StoreFailure> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(failure)?;
            let last: Option<(i64, Vec<u8>)> = sqlx::query_as(
                "SELECT seq, hash FROM audit_events WHERE chain = $1 AND at < $2 \
                 ORDER BY seq DESC LIMIT 1",
            )
            .bind(chain)
            .bind(secs(before))
            .fetch_optional(&mut *tx)
            .await
            .map_err(failure)?;
            let Some((seq, hash)) = last else {
                return Ok(0);
            };
            let done = sqlx::query("DELETE FROM audit_events WHERE chain = $1 AND seq <= $2")
                .bind(chain)
                .bind(seq)
                .execute(&mut *tx)
                .await
                .map_err(failure)?;
            sqlx::query(
                "UPDATE audit_chain_heads SET first_seq = $1, first_prev_hash = $2 WHERE chain = $3",
            )
            .bind(seq + 1)
            .bind(hash)
            .bind(chain)
            .execute(&mut *tx)
            .await
            .map_err(failure)?;
            tx.commit().await.map_err(failure)?;
            Ok(done.rows_affected())
        })
    }
}
