//! What every page of one account shares (C15, C16): the app's permission for the
//! signed-in person to be there, and the frame above the content, with the account's
//! name, the person's role, the account's pages they may open, and a switcher to the
//! other accounts they belong to (a plain GET form: no script needed). A handler takes
//! an [`InAccount`] of its section and starts with all of that checked.

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use skjold_app::{AccountScope, App, AppError, Caller, Operation};
use skjold_domain::{AccountId, Role};

use super::pages::{Frame, LangQuery};
use super::sign_in::SignedIn;

/// What a page asks of its visitor: the operation the app must allow them in the
/// account, and the list page the account switcher leads to from it.
pub(crate) trait Section {
    const OP: Operation;
    const LIST: &'static str;
}

/// Generates a [`Section`] marker type per operation a page needs.
macro_rules! sections {
    ($($name:ident: $op:ident at $list:literal;)*) => {$(
        pub(crate) struct $name;
        impl Section for $name {
            const OP: Operation = Operation::$op;
            const LIST: &'static str = $list;
        }
    )*};
}

sections! {
    ReadContacts: ReadContacts at "/app/contacts";
    WriteContacts: WriteContacts at "/app/contacts";
    ReadAudit: ReadAudit at "/app/audit";
    ListMembers: ListMembers at "/app/members";
    ManageMembers: ManageMembers at "/app/members";
    TransferOwnership: TransferOwnership at "/app/members";
}

/// A signed-in person on a page of the account `?account=` names, whom the app allows
/// `S::OP` there: the scope to call the app with, the account's frame and the page's.
/// Anyone not signed in is sent to the login page; anyone else gets the app's answer
/// (404 for an account that is not theirs, 403 for an operation their role lacks).
pub(crate) struct InAccount<S> {
    pub(super) app: App,
    pub(super) caller: Caller,
    pub(super) scope: AccountScope,
    pub(super) nav: AccountNav,
    pub(super) page: Frame,
    section: PhantomData<S>,
}

impl<S: Section> FromRequestParts<App> for InAccount<S> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let SignedIn(caller) = SignedIn::from_request_parts(parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let Query(query) = Query::<AccountQuery>::from_request_parts(parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let (scope, nav) = in_account(app, caller, &query, S::OP, S::LIST).await?;
        let lang = LangQuery { lang: query.lang };
        Ok(InAccount {
            app: app.clone(),
            caller,
            scope,
            nav,
            page: Frame::new(&parts.uri, &lang, &parts.headers),
            section: PhantomData,
        })
    }
}

/// The query every account page takes: which account, and the language if switched.
#[derive(Deserialize)]
pub(crate) struct AccountQuery {
    pub(super) account: String,
    pub(super) lang: Option<String>,
}

/// The frame of an account's page.
pub(crate) struct AccountNav {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) role: Role,
    /// Id and name of every account the person belongs to, for the switcher.
    pub(super) accounts: Vec<(String, String)>,
    /// The list page the switcher opens in the chosen account (`/app/contacts`).
    pub(super) section: &'static str,
    pub(super) can_audit: bool,
}

impl AccountNav {
    /// The person's role here, as the page names it (askama passes `page.nb` by
    /// reference).
    pub(super) fn role_label(&self, nb: &bool) -> &'static str {
        role_label(self.role, *nb)
    }
}

/// The answer for an app error on a page: the API's problem+json (404, 403, ...).
pub(super) fn failed(error: AppError) -> Response {
    crate::problem::Problem::from(error).into_response()
}

/// The account `query` names, with the app's permission for `caller` to do `op` there,
/// and the page's frame; or the answer to give instead (not found, forbidden).
/// `section` is the list page the account switcher leads to.
async fn in_account(
    app: &App,
    caller: Caller,
    query: &AccountQuery,
    op: Operation,
    section: &'static str,
) -> Result<(AccountScope, AccountNav), Response> {
    let Ok(account) = query.account.parse::<AccountId>() else {
        return Err(failed(AppError::NotFound));
    };
    let scope = app
        .authorize_member(caller, account, op)
        .await
        .map_err(failed)?;
    let memberships = app.memberships(caller).await.map_err(failed)?;
    let here = memberships.iter().find(|m| m.account_id == account);
    let nav = AccountNav {
        id: account.to_string(),
        name: here.map(|m| m.account_name.clone()).unwrap_or_default(),
        role: here.map_or(Role::Restricted, |m| m.role),
        accounts: memberships
            .iter()
            .map(|m| (m.account_id.to_string(), m.account_name.clone()))
            .collect(),
        section,
        can_audit: scope.allows(Operation::ReadAudit),
    };
    Ok((scope, nav))
}

/// A role as the page names it.
pub(super) fn role_label(role: Role, nb: bool) -> &'static str {
    match (role, nb) {
        (Role::Owner, true) => "eier",
        (Role::Admin, true) => "administrator",
        (Role::Member, true) => "medlem",
        (Role::Restricted, true) => "begrenset",
        (Role::Owner, false) => "owner",
        (Role::Admin, false) => "admin",
        (Role::Member, false) => "member",
        (Role::Restricted, false) => "restricted",
    }
}

/// An absent value as the tables show it.
pub(super) fn shown(value: Option<String>) -> String {
    value.unwrap_or_else(|| "–".to_owned())
}
