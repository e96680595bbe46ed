//! `/api/v1/password-reset`: a forgotten password.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use skjold_app::App;
use utoipa::ToSchema;

use super::signup::Accepted;
use super::{ApiJson, Meta};
use crate::problem::{Problem, ProblemBody};

#[derive(Deserialize, ToSchema)]
pub(super) struct ResetRequest {
    email: String,
}

/// `POST /api/v1/password-reset` `{email}`: 202 whoever the address belongs to.
#[utoipa::path(
    post,
    path = "/api/v1/password-reset",
    tag = "accounts",
    request_body = ResetRequest,
    responses(
        (status = 202, description = "Accepted for any address; only an account's owner gets a link", body = Accepted),
    ),
)]
pub(super) async fn post_password_reset(
    State(app): State<App>,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<ResetRequest>,
) -> Result<Response, Problem> {
    app.request_password_reset(&body.email, &meta).await?;
    let body = Accepted {
        status: "if the address has an account, a link is on its way",
    };
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

#[derive(Deserialize, ToSchema)]
pub(super) struct ResetConfirm {
    #[schema(value_type = String, format = Password)]
    token: SecretString,
    #[schema(value_type = String, format = Password)]
    new_password: SecretString,
}

/// `POST /api/v1/password-reset/confirm` `{token, new_password}`: sets the password and
/// ends every session of the user.
#[utoipa::path(
    post,
    path = "/api/v1/password-reset/confirm",
    tag = "accounts",
    request_body = ResetConfirm,
    responses(
        (status = 204, description = "The password is set and every session ended"),
        (status = 400, description = "The link is invalid, used or expired", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "The new password breaks a rule", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn post_password_reset_confirm(
    State(app): State<App>,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<ResetConfirm>,
) -> Result<StatusCode, Problem> {
    app.confirm_password_reset(body.token.expose_secret(), body.new_password, &meta)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
