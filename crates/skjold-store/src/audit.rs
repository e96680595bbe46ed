//! Reading the audit trail of one account.

use async_trait::async_trait;
use skjold_app::{AccountScope, AuditFilter, AuditLog, StoreFailure, StoredAuditEvent};

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
                "SELECT id, at, actor_id, action, ip_prefix, detail FROM audit_events \
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
            .map(|(id, at, actor, action, ip_prefix, detail)| {
                Ok(StoredAuditEvent {
                    id,
                    at: time_of(at)?,
                    actor_id: actor.map(|a| parse(&a)).transpose()?,
                    action,
                    ip_prefix,
                    detail,
                })
            })
            .collect()
    }
}
