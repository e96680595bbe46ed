//! `/api/v1/accounts/{account_id}/contacts`: the account's register of people. What a
//! caller may do and see is decided in the `app` layer; this module only translates.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Deserializer, Serialize};
use skjold_app::{App, ContactQuery, ContactView, Operation};
use skjold_domain::{ContactInput, ContactPatch};
use utoipa::{IntoParams, ToSchema};

use super::{ApiJson, Credential, Meta, id, rfc3339};
use crate::problem::{Problem, ProblemBody};

/// A new contact. Only `name` is required.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewContact {
    name: String,
    email: Option<String>,
    /// E.164 or a Norwegian number (`+47 912 34 567`, `91234567`).
    phone: Option<String>,
    address: Option<String>,
    /// `YYYY-MM-DD`.
    date_of_birth: Option<String>,
    /// A Norwegian national identity number (fødselsnummer or D-number).
    national_id: Option<String>,
    notes: Option<String>,
    company: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

/// `Some(value)` for a field that is present, even as `null`, so a patch can tell
/// "empty this field" (`null`) from "leave it" (absent).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A change: fields left out stay as they are; `null` empties a field.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ContactChange {
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    address: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    date_of_birth: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    national_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    notes: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    company: Option<Option<String>>,
    tags: Option<Vec<String>>,
}

/// A contact as the caller may see it. With `masked`, personal fields are masks
/// (`o***@example.com`) and `notes` is withheld.
#[derive(Serialize, ToSchema)]
pub(super) struct ContactBody {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) email: Option<String>,
    pub(super) phone: Option<String>,
    pub(super) address: Option<String>,
    pub(super) date_of_birth: Option<String>,
    pub(super) national_id: Option<String>,
    pub(super) notes: Option<String>,
    pub(super) company: Option<String>,
    pub(super) tags: Vec<String>,
    pub(super) created_at: String,
    pub(super) updated_at: String,
    pub(super) masked: bool,
}

pub(super) fn body(c: ContactView) -> Result<ContactBody, Problem> {
    Ok(ContactBody {
        id: c.id.to_string(),
        name: c.name,
        email: c.email,
        phone: c.phone,
        address: c.address,
        date_of_birth: c.date_of_birth,
        national_id: c.national_id,
        notes: c.notes,
        company: c.company,
        tags: c.tags,
        created_at: rfc3339(c.created_at)?,
        updated_at: rfc3339(c.updated_at)?,
        masked: c.masked,
    })
}

#[derive(Serialize, ToSchema)]
pub(super) struct ContactPageBody {
    contacts: Vec<ContactBody>,
    /// Pass as `after` for the next page; `null` on the last.
    next: Option<String>,
}

/// Filters combine; `email` and `phone` match exactly (through blind indexes).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListParams {
    tag: Option<String>,
    company: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    /// The `next` of the previous page.
    after: Option<String>,
    /// At most 100; 50 if absent.
    limit: Option<u32>,
}

/// `GET /api/v1/accounts/{account_id}/contacts`.
#[utoipa::path(
    get,
    path = "/api/v1/accounts/{account_id}/contacts",
    tag = "contacts",
    params(("account_id" = String, Path, description = "Account id"), ListParams),
    responses(
        (status = 200, description = "One page of contacts, oldest first", body = ContactPageBody),
        (status = 401, description = "No valid credential", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such account for this caller", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A filter is malformed", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn get_contacts(
    State(app): State<App>,
    Meta(meta): Meta,
    Credential(token): Credential,
    Path(account_id): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<Json<ContactPageBody>, Problem> {
    let scope = app
        .authorize(&token, id(&account_id)?, Operation::ReadContacts)
        .await?;
    let after = match params.after.as_deref() {
        Some(after) => Some(
            after
                .parse()
                .map_err(|_| Problem::Invalid("after must be the next of a page".into()))?,
        ),
        None => None,
    };
    let query = ContactQuery {
        tag: params.tag,
        company: params.company,
        email: params.email,
        phone: params.phone,
        after,
        limit: params.limit,
    };
    let page = app.contacts(scope, query, &meta).await?;
    Ok(Json(ContactPageBody {
        contacts: page
            .contacts
            .into_iter()
            .map(body)
            .collect::<Result<_, _>>()?,
        next: page.next.map(|n| n.to_string()),
    }))
}

/// `POST /api/v1/accounts/{account_id}/contacts`.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{account_id}/contacts",
    tag = "contacts",
    params(("account_id" = String, Path, description = "Account id")),
    request_body = NewContact,
    responses(
        (status = 201, description = "Created", body = ContactBody),
        (status = 401, description = "No valid credential", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not change contacts", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such account for this caller", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule: the detail names it", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn post_contacts(
    State(app): State<App>,
    Meta(meta): Meta,
    Credential(token): Credential,
    Path(account_id): Path<String>,
    ApiJson(new): ApiJson<NewContact>,
) -> Result<(StatusCode, Json<ContactBody>), Problem> {
    let scope = app
        .authorize(&token, id(&account_id)?, Operation::WriteContacts)
        .await?;
    let input = ContactInput {
        name: new.name,
        email: new.email,
        phone: new.phone,
        address: new.address,
        date_of_birth: new.date_of_birth,
        national_id: new.national_id,
        notes: new.notes,
        company: new.company,
        tags: new.tags,
    };
    let created = app.create_contact(scope, input, &meta).await?;
    Ok((StatusCode::CREATED, Json(body(created)?)))
}

/// `GET /api/v1/accounts/{account_id}/contacts/{contact_id}`.
#[utoipa::path(
    get,
    path = "/api/v1/accounts/{account_id}/contacts/{contact_id}",
    tag = "contacts",
    params(
        ("account_id" = String, Path, description = "Account id"),
        ("contact_id" = String, Path, description = "Contact id"),
    ),
    responses(
        (status = 200, description = "The contact", body = ContactBody),
        (status = 401, description = "No valid credential", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such contact in an account of this caller", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn get_contact(
    State(app): State<App>,
    Meta(meta): Meta,
    Credential(token): Credential,
    Path((account_id, contact_id)): Path<(String, String)>,
) -> Result<Json<ContactBody>, Problem> {
    let scope = app
        .authorize(&token, id(&account_id)?, Operation::ReadContacts)
        .await?;
    let contact = app.contact(scope, id(&contact_id)?, &meta).await?;
    Ok(Json(body(contact)?))
}

/// `PATCH /api/v1/accounts/{account_id}/contacts/{contact_id}`.
#[utoipa::path(
    patch,
    path = "/api/v1/accounts/{account_id}/contacts/{contact_id}",
    tag = "contacts",
    params(
        ("account_id" = String, Path, description = "Account id"),
        ("contact_id" = String, Path, description = "Contact id"),
    ),
    request_body = ContactChange,
    responses(
        (status = 200, description = "Changed", body = ContactBody),
        (status = 401, description = "No valid credential", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not change contacts", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such contact in an account of this caller", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule: the detail names it", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn patch_contact(
    State(app): State<App>,
    Meta(meta): Meta,
    Credential(token): Credential,
    Path((account_id, contact_id)): Path<(String, String)>,
    ApiJson(change): ApiJson<ContactChange>,
) -> Result<Json<ContactBody>, Problem> {
    let scope = app
        .authorize(&token, id(&account_id)?, Operation::WriteContacts)
        .await?;
    let patch = ContactPatch {
        name: change.name,
        email: change.email,
        phone: change.phone,
        address: change.address,
        date_of_birth: change.date_of_birth,
        national_id: change.national_id,
        notes: change.notes,
        company: change.company,
        tags: change.tags,
    };
    let changed = app
        .update_contact(scope, id(&contact_id)?, patch, &meta)
        .await?;
    Ok(Json(body(changed)?))
}

/// `DELETE /api/v1/accounts/{account_id}/contacts/{contact_id}`.
#[utoipa::path(
    delete,
    path = "/api/v1/accounts/{account_id}/contacts/{contact_id}",
    tag = "contacts",
    params(
        ("account_id" = String, Path, description = "Account id"),
        ("contact_id" = String, Path, description = "Contact id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid credential", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not change contacts", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such contact in an account of this caller", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn delete_contact(
    State(app): State<App>,
    Meta(meta): Meta,
    Credential(token): Credential,
    Path((account_id, contact_id)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    let scope = app
        .authorize(&token, id(&account_id)?, Operation::WriteContacts)
        .await?;
    app.delete_contact(scope, id(&contact_id)?, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
