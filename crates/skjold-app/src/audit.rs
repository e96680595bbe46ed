//! Reading an account's audit trail: for its owners and admins (C15), newest first, by
//! action, actor and time.

use skjold_domain::UserId;
use time::OffsetDateTime;

use crate::App;
use crate::error::AppError;
use crate::permissions::{AccountScope, Operation};
use crate::ports::{AuditFilter, StoredAuditEvent};

/// The most events one page holds.
pub const MAX_AUDIT_PAGE: u32 = 500;

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub actor: Option<UserId>,
    pub since: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    pub before: Option<i64>,
    pub limit: Option<u32>,
}

/// One page of events, and the id to read older ones before.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub events: Vec<StoredAuditEvent>,
    pub next: Option<i64>,
}

impl App {
    pub async fn audit_trail(
        &self,
        scope: AccountScope,
        query: AuditQuery,
    ) -> Result<AuditPage, AppError> {
        scope.require(Operation::ReadAudit)?;
        let filter = AuditFilter {
            action: query.action,
            actor: query.actor,
            since: query.since,
            until: query.until,
            before: query.before,
        };
        let limit = query.limit.unwrap_or(100).clamp(1, MAX_AUDIT_PAGE);
        // One more than asked tells whether older events remain.
        let mut events = self
            .audit_log
            .audit_events(&scope, &filter, limit + 1)
            .await?;
        let more = events.len() > limit as usize;
        events.truncate(limit as usize);
        let next = events.last().map(|e| e.id).filter(|_| more);
        Ok(AuditPage { events, next })
    }
}
