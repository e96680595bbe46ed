//! `POST /api/v1/signup`: a new account and its owner.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use skjold_app::App;
use utoipa::ToSchema;

use super::{ApiJson, Meta};
use crate::problem::{Problem, ProblemBody};

#[derive(Deserialize, ToSchema)]
pub(super) struct SignupRequest {
    account_name: String,
    email: String,
    #[schema(value_type = String, format = Password)]
    password: SecretString,
}

#[derive(Serialize, ToSchema)]
pub(super) struct Accepted {
    pub(super) status: &'static str,
}

/// `POST /api/v1/signup`: 201 whether or not the address was in use (no enumeration).
#[utoipa::path(
    post,
    path = "/api/v1/signup",
    tag = "accounts",
    request_body = SignupRequest,
    responses(
        (status = 201, description = "Accepted (also when the address is in use)", body = Accepted),
        (status = 422, description = "A rule is broken: the detail says which", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn post_signup(
    State(app): State<App>,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<SignupRequest>,
) -> Result<Response, Problem> {
    app.sign_up(&body.account_name, &body.email, body.password, &meta)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Accepted {
            status: "check your e-mail to continue",
        }),
    )
        .into_response())
}
