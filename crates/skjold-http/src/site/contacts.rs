//! An account's contacts in the browser (C15, C16, C10): the list with its search and
//! pages (one contact and its form are in `contact.rs`). Every read and write
//! goes through the same use cases the API calls, so a `restricted` member sees every
//! personal field masked, and an owner's or admin's unmasked read is audited, by the app,
//! whichever way it is asked.

use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use skjold_app::{AppError, ContactQuery, Operation};
use skjold_domain::{ContactError, ContactId};

use super::account::{AccountNav, InAccount, ReadContacts, failed};
use super::contact::{Shown, email_refused, phone_refused};
use super::pages::{Frame, html, with_status};
use crate::routes::api::Meta;

/// The list page the account switcher leads to from every contacts page.
pub(super) const SECTION: &str = "/app/contacts";

/// `name=value&…` for a link the page builds, each value form-encoded and empty values
/// left out: a search term may hold `&`, `+` or `#`, which would otherwise end or change
/// the query.
pub(super) fn query_string(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(_, v)| !v.is_empty()))
        .finish()
}

/// A field left empty in a form: not given.
pub(super) fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The search as typed, to fill the form again and to carry into the next page's link.
#[derive(Default, Deserialize)]
pub(crate) struct Search {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    company: Option<String>,
    #[serde(default)]
    tag: Option<String>,
    /// The `next` of the page before.
    #[serde(default)]
    after: Option<String>,
    /// What the page before did (`deleted`), to say so.
    #[serde(default)]
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "contacts.html")]
struct Contacts {
    page: Frame,
    nav: AccountNav,
    rows: Vec<Shown>,
    /// The values are masked for this person's role.
    masked: bool,
    /// The person may add contacts.
    can_write: bool,
    /// A contact was just deleted.
    deleted: bool,
    /// The search's fields as typed (empty: not searched by).
    email: String,
    phone: String,
    company: String,
    tag: String,
    /// Some field was searched by (the empty list then says nothing matched).
    searched: bool,
    /// The link to the next page, if there is one.
    next: Option<String>,
    /// The search field an error belongs beside (`email`, `phone`); empty without one.
    field: &'static str,
    error: &'static str,
}

/// `GET /app/contacts?account=<id>[&email=…&phone=…&company=…&tag=…&after=…]`: one page
/// of the account's contacts, found by the search if one is given. E-mail and phone are
/// sealed, so they are matched exactly through their blind indexes, never by part.
pub(crate) async fn contacts(
    at: InAccount<ReadContacts>,
    Meta(meta): Meta,
    Query(search): Query<Search>,
) -> Response {
    let InAccount {
        app,
        scope,
        nav,
        page,
        ..
    } = at;
    let nb = page.nb;
    let after = match given(&search.after).map(|a| a.parse::<ContactId>()) {
        None => None,
        Some(Ok(after)) => Some(after),
        Some(Err(_)) => return failed(AppError::InvalidInput("after must be the next of a page")),
    };
    let query = ContactQuery {
        tag: given(&search.tag),
        company: given(&search.company),
        email: given(&search.email),
        phone: given(&search.phone),
        after,
        limit: None,
    };
    let searched = query.tag.is_some()
        || query.company.is_some()
        || query.email.is_some()
        || query.phone.is_some();
    let (status, listed, field, error) = match app.contacts(scope, query, &meta).await {
        Ok(listed) => (StatusCode::OK, Some(listed), "", ""),
        Err(AppError::Email(_)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            "email",
            email_refused(nb),
        ),
        Err(AppError::Contact(ContactError::Phone(_))) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            "phone",
            phone_refused(nb),
        ),
        Err(other) => return failed(other),
    };
    let (contacts, next) = listed.map_or((Vec::new(), None), |l| (l.contacts, l.next));
    let rows: Vec<Shown> = contacts.iter().map(Shown::of).collect();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let next = next.map(|next| {
        let after = next.to_string();
        format!(
            "{SECTION}?{}{}",
            query_string(&[
                ("account", &nav.id),
                ("email", &text(&search.email)),
                ("phone", &text(&search.phone)),
                ("company", &text(&search.company)),
                ("tag", &text(&search.tag)),
                ("after", &after),
            ]),
            page.and_keep()
        )
    });
    with_status(
        html(
            Contacts {
                masked: !scope.allows(Operation::SeePersonalData),
                can_write: scope.allows(Operation::WriteContacts),
                deleted: search.done.as_deref() == Some("deleted"),
                email: text(&search.email),
                phone: text(&search.phone),
                company: text(&search.company),
                tag: text(&search.tag),
                page,
                nav,
                rows,
                searched,
                next,
                field,
                error,
            }
            .render(),
        ),
        status,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_s_values_are_percent_encoded_and_empty_ones_left_out() {
        assert_eq!(
            query_string(&[("account", "a-1"), ("tag", ""), ("company", "A&B #1+")]),
            "account=a-1&company=A%26B+%231%2B"
        );
        assert_eq!(query_string(&[("email", "ø@x.no")]), "email=%C3%B8%40x.no");
    }
}
