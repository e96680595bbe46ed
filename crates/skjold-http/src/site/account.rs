//! An account's pages in the browser (C15, C16, C10): its contacts, through the same
//! listing the API gives, so a `restricted` member sees every personal field masked and
//! an owner's or admin's unmasked read is audited, by the app, whichever way it is asked;
//! and its audit trail, for owners and admins only (the app's permission matrix).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use skjold_app::{AccountScope, App, AppError, AuditQuery, Caller, ContactQuery, Operation};
use skjold_domain::AccountId;

use super::pages::{Frame, LangQuery, html, utc_minute};
use super::sign_in::SignedIn;
use crate::routes::api::Meta;

/// One contact as the table shows it: absent values as a dash.
struct Row {
    name: String,
    email: String,
    phone: String,
    national_id: String,
    company: String,
    tags: String,
}

#[derive(Template)]
#[template(path = "contacts.html")]
struct Contacts {
    page: Frame,
    account_name: String,
    rows: Vec<Row>,
    /// The values are masked for this person's role.
    masked: bool,
}

#[derive(Deserialize)]
pub(crate) struct AccountQuery {
    account: String,
    lang: Option<String>,
}

fn shown(value: Option<String>) -> String {
    value.unwrap_or_else(|| "–".to_owned())
}

/// The account `query` names, and the app's permission for `caller` to do `op` there;
/// or the answer to give instead (not found, forbidden).
async fn in_account(
    app: &App,
    caller: Caller,
    query: &AccountQuery,
    op: Operation,
) -> Result<(AccountScope, AccountId), Response> {
    let Ok(account) = query.account.parse::<AccountId>() else {
        return Err(crate::problem::Problem::from(AppError::NotFound).into_response());
    };
    match app.authorize_member(caller, account, op).await {
        Ok(scope) => Ok((scope, account)),
        Err(error) => Err(crate::problem::Problem::from(error).into_response()),
    }
}

/// The name of `account` among the person's memberships.
async fn account_name(app: &App, caller: Caller, account: AccountId) -> Result<String, Response> {
    match app.me(caller).await {
        Ok(me) => Ok(me
            .memberships
            .iter()
            .find(|m| m.account_id == account)
            .map(|m| m.account_name.clone())
            .unwrap_or_default()),
        Err(error) => Err(crate::problem::Problem::from(error).into_response()),
    }
}

/// `GET /app/contacts?account=<id>`: the first page of the account's contacts.
pub(crate) async fn contacts(
    State(app): State<App>,
    Meta(meta): Meta,
    uri: Uri,
    Query(q): Query<AccountQuery>,
    headers: HeaderMap,
    SignedIn(caller): SignedIn,
) -> Response {
    let (scope, account) = match in_account(&app, caller, &q, Operation::ReadContacts).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let listed = match app.contacts(scope, ContactQuery::default(), &meta).await {
        Ok(listed) => listed,
        Err(error) => return crate::problem::Problem::from(error).into_response(),
    };
    let account_name = match account_name(&app, caller, account).await {
        Ok(name) => name,
        Err(answer) => return answer,
    };
    let masked = listed.contacts.iter().any(|c| c.masked);
    let rows = listed
        .contacts
        .into_iter()
        .map(|c| Row {
            name: c.name,
            email: shown(c.email),
            phone: shown(c.phone),
            national_id: shown(c.national_id),
            company: shown(c.company),
            tags: if c.tags.is_empty() {
                "–".to_owned()
            } else {
                c.tags.join(", ")
            },
        })
        .collect();
    let lang = LangQuery { lang: q.lang };
    html(
        Contacts {
            page: Frame::new(&uri, &lang, &headers),
            account_name,
            rows,
            masked,
        }
        .render(),
    )
}

/// One audit event as the table shows it.
struct EventRow {
    at: String,
    action: String,
    actor: String,
    network: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct Audit {
    page: Frame,
    account_name: String,
    events: Vec<EventRow>,
}

/// `GET /app/audit?account=<id>`: the account's newest audit events, for owners and
/// admins.
pub(crate) async fn audit(
    State(app): State<App>,
    uri: Uri,
    Query(q): Query<AccountQuery>,
    headers: HeaderMap,
    SignedIn(caller): SignedIn,
) -> Response {
    let (scope, account) = match in_account(&app, caller, &q, Operation::ReadAudit).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let trail = match app.audit_trail(scope, AuditQuery::default()).await {
        Ok(trail) => trail,
        Err(error) => return crate::problem::Problem::from(error).into_response(),
    };
    let account_name = match account_name(&app, caller, account).await {
        Ok(name) => name,
        Err(answer) => return answer,
    };
    let events = trail
        .events
        .into_iter()
        .map(|e| EventRow {
            at: format!("{}:{:02}", utc_minute(e.at), e.at.second()),
            action: e.action,
            actor: shown(e.actor_id.map(|a| a.to_string())),
            network: shown(e.ip_prefix),
            detail: shown(e.detail),
        })
        .collect();
    let lang = LangQuery { lang: q.lang };
    html(
        Audit {
            page: Frame::new(&uri, &lang, &headers),
            account_name,
            events,
        }
        .render(),
    )
}
