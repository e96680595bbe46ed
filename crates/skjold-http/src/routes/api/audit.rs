//! `GET /api/v1/accounts/{account_id}/audit`: the account's audit trail.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use skjold_app::{App, AuditQuery, Operation};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::{IntoParams, ToSchema};

use super::{Credential, id, rfc3339};
use crate::problem::{Problem, ProblemBody};

/// Filters combine. Times are RFC 3339.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct AuditParams {
    action: Option<String>,
    /// A user id.
    actor: Option<String>,
    since: Option<String>,
    until: Option<String>,
    /// The `next` of the previous page.
    before: Option<i64>,
    /// At most 500; 100 if absent.
    limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub(super) struct AuditEventBody {
    id: i64,
    at: String,
    actor_id: Option<String>,
    action: String,
    /// The client's network (/24 or /48), never its full address.
    network: Option<String>,
    /// What the event concerns (ids and field names), if anything.
    #[schema(value_type = Option<Object>)]
    detail: Option<serde_json::Value>,
    /// Its place in the account's hash chain (1, 2, …), so a copy of the trail can be
    /// checked on its own: `hash` is SHA-256 over `prev_hash` and the event's fields
    /// (see `crates/skjold-crypto/src/audit_chain.rs`), and the next event's
    /// `prev_hash`. Absent for events from before the chains began.
    seq: Option<i64>,
    /// Hex.
    prev_hash: Option<String>,
    /// Hex.
    hash: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(super) struct AuditPageBody {
    events: Vec<AuditEventBody>,
    /// Pass as `before` for older events; `null` when there are none.
    next: Option<i64>,
}

fn time_param(name: &str, value: Option<String>) -> Result<Option<OffsetDateTime>, Problem> {
    value
        .map(|v| {
            OffsetDateTime::parse(&v, &Rfc3339)
                .map_err(|_| Problem::Invalid(format!("{name} must be an RFC 3339 time")))
        })
        .transpose()
}

/// `GET /api/v1/accounts/{account_id}/audit`: owners and admins; newest first.
#[utoipa::path(
    get,
    path = "/api/v1/accounts/{account_id}/audit",
    tag = "audit",
    params(("account_id" = String, Path, description = "Account id"), AuditParams),
    responses(
        (status = 200, description = "One page of events, newest first", body = AuditPageBody),
        (status = 403, description = "Only owners and admins read the audit trail", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such account for this caller", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A filter is malformed", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn get_audit(
    State(app): State<App>,
    Credential(token): Credential,
    Path(account_id): Path<String>,
    Query(params): Query<AuditParams>,
) -> Result<Json<AuditPageBody>, Problem> {
    let scope = app
        .authorize(&token, id(&account_id)?, Operation::ReadAudit)
        .await?;
    let actor = params
        .actor
        .map(|a| {
            a.parse()
                .map_err(|_| Problem::Invalid("actor must be a user id".into()))
        })
        .transpose()?;
    let query = AuditQuery {
        action: params.action,
        actor,
        since: time_param("since", params.since)?,
        until: time_param("until", params.until)?,
        before: params.before,
        limit: params.limit,
    };
    let page = app.audit_trail(scope, query).await?;
    let events = page
        .events
        .into_iter()
        .map(|e| {
            let (seq, prev_hash, hash) = match &e.chain_link {
                Some((seq, prev, hash)) => (
                    Some(*seq),
                    Some(skjold_domain::hex(prev)),
                    Some(skjold_domain::hex(hash)),
                ),
                None => (None, None, None),
            };
            Ok(AuditEventBody {
                seq,
                prev_hash,
                hash,
                id: e.id,
                at: rfc3339(e.at)?,
                actor_id: e.actor_id.map(|a| a.to_string()),
                action: e.action,
                network: e.ip_prefix,
                detail: e.detail.and_then(|d| serde_json::from_str(&d).ok()),
            })
        })
        .collect::<Result<_, Problem>>()?;
    Ok(Json(AuditPageBody {
        events,
        next: page.next,
    }))
}
