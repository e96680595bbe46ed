//! `GET /api/v1/accounts/{account_id}/contacts/export`: the whole register as a file to
//! download, JSON or CSV. Who may export, and what each caller sees, is decided in the
//! `app` layer (the same masking and audit as every read); this module only writes.

use std::borrow::Cow;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use skjold_app::{App, Operation};
use utoipa::{IntoParams, ToSchema};

use super::contacts::{ContactBody, body};
use super::{Credential, Meta, id, rfc3339};
use crate::problem::{Problem, ProblemBody};

/// The columns of the CSV form, in order; the JSON form has the same fields.
const CSV_HEADER: [&str; 13] = [
    "id",
    "name",
    "email",
    "phone",
    "address",
    "date_of_birth",
    "national_id",
    "notes",
    "company",
    "tags",
    "created_at",
    "updated_at",
    "masked",
];

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ExportParams {
    /// `json` (the default) or `csv`.
    format: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(super) struct ContactExportBody {
    account_id: String,
    exported_at: String,
    contacts: Vec<ContactBody>,
}

/// `GET /api/v1/accounts/{account_id}/contacts/export`.
#[utoipa::path(
    get,
    path = "/api/v1/accounts/{account_id}/contacts/export",
    tag = "contacts",
    params(("account_id" = String, Path, description = "Account id"), ExportParams),
    responses(
        (status = 200, description = "Every contact, oldest first, as an attachment; in CSV, cells that a spreadsheet would run as a formula start with '",
            content((ContactExportBody = "application/json"), (String = "text/csv"))),
        (status = 401, description = "No valid credential", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not export (restricted members, API tokens), or has not verified their address", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such account for this caller", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "An unknown format", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn export_contacts(
    State(app): State<App>,
    Meta(meta): Meta,
    Credential(token): Credential,
    Path(account_id): Path<String>,
    Query(params): Query<ExportParams>,
) -> Result<Response, Problem> {
    let csv = match params.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(Problem::Invalid("format must be json or csv".into())),
    };
    let scope = app
        .authorize(&token, id(&account_id)?, Operation::ExportContacts)
        .await?;
    let exported_at = rfc3339(time::OffsetDateTime::now_utc())?;
    let contacts = app
        .export_contacts(scope, &meta)
        .await?
        .into_iter()
        .map(body)
        .collect::<Result<Vec<_>, _>>()?;
    let (bytes, content_type, extension) = if csv {
        (csv_bytes(&contacts)?, "text/csv; charset=utf-8", "csv")
    } else {
        let export = ContactExportBody {
            account_id: account_id.clone(),
            exported_at,
            contacts,
        };
        let json = serde_json::to_vec(&export).map_err(|_| Problem::Internal)?;
        (json, "application/json", "json")
    };
    let disposition = format!("attachment; filename=\"contacts-{account_id}.{extension}\"");
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

fn csv_bytes(contacts: &[ContactBody]) -> Result<Vec<u8>, Problem> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let failed = |_| Problem::Internal;
    out.write_record(CSV_HEADER).map_err(failed)?;
    for c in contacts {
        let optional = |v: &Option<String>| v.clone().unwrap_or_default();
        let row = [
            c.id.clone(),
            c.name.clone(),
            optional(&c.email),
            optional(&c.phone),
            optional(&c.address),
            optional(&c.date_of_birth),
            optional(&c.national_id),
            optional(&c.notes),
            optional(&c.company),
            c.tags.join(";"),
            c.created_at.clone(),
            c.updated_at.clone(),
            c.masked.to_string(),
        ];
        out.write_record(row.iter().map(|cell| spreadsheet_safe(cell).into_owned()))
            .map_err(failed)?;
    }
    out.into_inner().map_err(|_| Problem::Internal)
}

/// A cell a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, tab, carriage
/// return first) gets a leading `'`, which makes it text (OWASP "CSV injection"): a
/// contact's name must not run in the exporter's spreadsheet.
fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_safe;

    #[test]
    fn formula_starts_become_text_and_the_rest_stays() {
        for formula in ["=1+1", "+47 912 34 567", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(spreadsheet_safe(formula), format!("'{formula}"));
        }
        for plain in ["Ola Nordmann", "ola@example.com", "", "1+1="] {
            assert_eq!(spreadsheet_safe(plain), plain);
        }
    }
}
