//! Confirming an address: the one given at sign-up, or a new one asked for later.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use skjold_app::App;
use utoipa::ToSchema;

use super::sessions::{SessionCreated, session_created};
use super::{ApiJson, Authenticated, Meta};
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

/// `POST /api/v1/me/email/confirm` `{token}`: makes the new address from `PATCH /me` the
/// caller's. Signed in as the user who asked, so a link forwarded to someone else is
/// worthless to them; answers with the caller's re-issued session.
#[utoipa::path(
    post,
    path = "/api/v1/me/email/confirm",
    tag = "me",
    request_body = TokenRequest,
    responses(
        (status = 201, description = "The address changed; every other session ended, this one replaced", body = SessionCreated),
        (status = 400, description = "The link is invalid, used, expired or another user's", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "No valid session", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "The address was taken meanwhile", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn post_me_email_confirm(
    State(app): State<App>,
    Meta(meta): Meta,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<Response, Problem> {
    session_created(
        app.confirm_email_change(caller, body.token.expose_secret(), &meta)
            .await?,
    )
}
