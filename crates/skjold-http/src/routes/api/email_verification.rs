//! `POST /api/v1/email-verification`: confirming an address.

use axum::extract::State;
use axum::http::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use skjold_app::App;
use utoipa::ToSchema;

use super::{ApiJson, Meta};
use crate::problem::{Problem, ProblemBody};

#[derive(Deserialize, ToSchema)]
pub(super) struct TokenRequest {
    #[schema(value_type = String, format = Password)]
    token: SecretString,
}

/// `POST /api/v1/email-verification` `{token}`: confirms the address the link went to.
#[utoipa::path(
    post,
    path = "/api/v1/email-verification",
    tag = "accounts",
    request_body = TokenRequest,
    responses(
        (status = 204, description = "The address is verified"),
        (status = 400, description = "The link is invalid, used or expired", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn post_email_verification(
    State(app): State<App>,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<StatusCode, Problem> {
    app.verify_email(body.token.expose_secret(), &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
