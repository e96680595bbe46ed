//! An account's audit trail in the browser (C10, C15), for owners and admins only: the
//! app's permission matrix decides, and the page itself refuses anyone else. Events are
//! found by action, actor and day, newest first, a page at a time, each actor named as
//! the account's member list names them.

use std::collections::HashMap;

use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use skjold_app::{AppError, AuditQuery};
use skjold_domain::UserId;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

use super::account::{AccountNav, InAccount, ReadAudit, failed, shown};
use super::contacts::{given, query_string};
use super::pages::{Frame, html, utc_minute, with_status};

const SECTION: &str = "/app/audit";

/// The account-level actions the app records, offered as suggestions in the action
/// field; any other name can still be typed, so one missing here hides nothing.
const ACTIONS: [&str; 14] = [
    "api_token_created",
    "api_token_revoked",
    "contact_created",
    "contact_deleted",
    "contact_updated",
    "contacts_exported",
    "member_invited",
    "member_joined",
    "member_removed",
    "ownership_received",
    "ownership_transferred",
    "pii_read",
    "role_changed",
    "second_step_policy_changed",
];

/// One audit event as the table shows it.
struct EventRow {
    at: String,
    action: String,
    actor: String,
    network: String,
    detail: String,
}

/// The filter as typed, to fill the form again and to carry into the next page's link.
#[derive(Default, Deserialize)]
pub(crate) struct Filter {
    #[serde(default)]
    action: Option<String>,
    /// A member's user id.
    #[serde(default)]
    actor: Option<String>,
    /// `YYYY-MM-DD`, as `<input type="date">` sends it; the whole day counts.
    #[serde(default)]
    since: Option<String>,
    #[serde(default)]
    until: Option<String>,
    /// The `next` of the page before.
    #[serde(default)]
    before: Option<String>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct Audit {
    page: Frame,
    nav: AccountNav,
    events: Vec<EventRow>,
    /// Id and name (or e-mail) of each member, for the actor field.
    members: Vec<(String, String)>,
    actions: &'static [&'static str],
    action: String,
    actor: String,
    since: String,
    until: String,
    /// Some filter is set (an empty table then says nothing matched).
    filtered: bool,
    /// This is not the newest page.
    paged: bool,
    /// The link to older events, if there are any.
    older: Option<String>,
    /// The filter field an error belongs beside (`actor`, `since`, `until`); empty
    /// without one.
    field: &'static str,
    error: &'static str,
}

fn day(text: &str) -> Option<Date> {
    Date::parse(text, format_description!("[year]-[month]-[day]")).ok()
}

/// `GET /app/audit?account=<id>[&action=…&actor=…&since=…&until=…&before=…]`: one page
/// of the account's audit events, newest first.
pub(crate) async fn audit(at: InAccount<ReadAudit>, Query(filter): Query<Filter>) -> Response {
    let InAccount {
        app,
        scope,
        nav,
        page,
        ..
    } = at;
    let nb = page.nb;
    let before = match given(&filter.before).map(|b| b.parse::<i64>()) {
        None => None,
        Some(Ok(before)) => Some(before),
        Some(Err(_)) => return failed(AppError::InvalidInput("before must be the next of a page")),
    };
    let actor = given(&filter.actor);
    let since = given(&filter.since);
    let until = given(&filter.until);
    let actor_id = actor.as_deref().map(str::parse::<UserId>).transpose();
    let since_at = since
        .as_deref()
        .map(|d| day(d).map(|d| d.midnight().assume_utc()).ok_or(()))
        .transpose();
    // Through the day's last second: the store compares whole seconds, inclusively.
    let until_at = until
        .as_deref()
        .map(|d| {
            day(d)
                .and_then(|d| d.with_hms(23, 59, 59).ok())
                .map(time::PrimitiveDateTime::assume_utc)
                .ok_or(())
        })
        .transpose();
    // The first field the form cannot use, named beside it (422).
    let field = if actor_id.is_err() {
        "actor"
    } else if since_at.is_err() {
        "since"
    } else if until_at.is_err() {
        "until"
    } else {
        ""
    };
    let error = match field {
        "" => "",
        "actor" if nb => "Velg et medlem fra listen.",
        "actor" => "Choose a member from the list.",
        _ if nb => "Skriv en dato som 2026-11-26.",
        _ => "Enter a date such as 2026-11-26.",
    };
    let members = match app.members(scope).await {
        Ok(members) => members,
        Err(error) => return failed(error),
    };
    let names: HashMap<UserId, String> = members
        .into_iter()
        .map(|m| (m.user_id, m.name.unwrap_or(m.email)))
        .collect();
    let action = given(&filter.action);
    let (events, older) = if field.is_empty() {
        let query = AuditQuery {
            action: action.clone(),
            actor: actor_id.ok().flatten(),
            since: since_at.ok().flatten(),
            until: until_at.ok().flatten(),
            before,
            limit: None,
        };
        match app.audit_trail(scope, query).await {
            Ok(trail) => (trail.events, trail.next),
            Err(error) => return failed(error),
        }
    } else {
        (Vec::new(), None)
    };
    let events = events
        .into_iter()
        .map(|e| EventRow {
            at: at_second(e.at),
            action: e.action,
            // A former member is no longer in the list: their id, as recorded.
            actor: shown(
                e.actor_id
                    .map(|a| names.get(&a).cloned().unwrap_or_else(|| a.to_string())),
            ),
            network: shown(e.ip_prefix),
            detail: shown(e.detail),
        })
        .collect();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let older = older.map(|next| {
        let before = next.to_string();
        format!(
            "{SECTION}?{}{}",
            query_string(&[
                ("account", &nav.id),
                ("action", &text(&action)),
                ("actor", &text(&actor)),
                ("since", &text(&since)),
                ("until", &text(&until)),
                ("before", &before),
            ]),
            page.and_keep()
        )
    });
    let mut members: Vec<(String, String)> = names
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    members.sort_by_key(|m| m.1.to_lowercase());
    let filtered = action.is_some() || actor.is_some() || since.is_some() || until.is_some();
    let status = if field.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    with_status(
        html(
            Audit {
                page,
                nav,
                events,
                members,
                actions: &ACTIONS,
                action: text(&action),
                actor: text(&actor),
                since: text(&since),
                until: text(&until),
                filtered,
                paged: before.is_some(),
                older,
                field,
                error,
            }
            .render(),
        ),
        status,
    )
}

/// When an event happened, to the second (several can share a minute).
fn at_second(at: OffsetDateTime) -> String {
    format!("{}:{:02}", utc_minute(at), at.second())
}
