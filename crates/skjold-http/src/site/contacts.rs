//! The contacts of an account in the browser (C15, C16): the same listing the API gives,
//! so a `restricted` member sees every personal field masked, and an owner's or admin's
//! unmasked read is audited, by the app, whichever way it is asked.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use skjold_app::{App, AppError, ContactQuery, Operation};
use skjold_domain::AccountId;

use super::pages::{Frame, LangQuery, html};
use super::sign_in::signed_in_caller;
use crate::browser_requests::cookie;
use crate::routes::api::{Meta, SESSION_COOKIE};

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

/// `GET /app/contacts?account=<id>`: the first page of the account's contacts.
pub(crate) async fn contacts(
    State(app): State<App>,
    Meta(meta): Meta,
    uri: Uri,
    Query(q): Query<AccountQuery>,
    headers: HeaderMap,
) -> Response {
    let (Some(token), Some(caller)) = (
        cookie(&headers, SESSION_COOKIE),
        signed_in_caller(&app, &headers).await,
    ) else {
        return Redirect::to("/login").into_response();
    };
    let Ok(account) = q.account.parse::<AccountId>() else {
        return crate::problem::Problem::from(AppError::NotFound).into_response();
    };
    let listed = async {
        let scope = app
            .authorize(token, account, Operation::ReadContacts)
            .await?;
        let page = app.contacts(scope, ContactQuery::default(), &meta).await?;
        let me = app.me(caller).await?;
        Ok::<_, AppError>((page, me))
    }
    .await;
    let (listed, me) = match listed {
        Ok(found) => found,
        Err(error) => return crate::problem::Problem::from(error).into_response(),
    };
    let account_name = me
        .memberships
        .iter()
        .find(|m| m.account_id == account)
        .map(|m| m.account_name.clone())
        .unwrap_or_default();
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
