//! `/api/v1/accounts/{account_id}`: an account and its API tokens.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use skjold_app::{AccountScope, App, Operation};
use utoipa::ToSchema;

use super::{ApiJson, Authenticated, Credential, Meta, id, rfc3339};
use crate::problem::{Problem, ProblemBody};

#[derive(Serialize, ToSchema)]
pub(super) struct AccountBody {
    id: String,
    name: String,
    /// Whether every member needs 2-step security to reach the account.
    require_second_step: bool,
}

/// A change of the account's settings; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AccountPatch {
    /// Owner only. To turn it on, the owner needs 2-step security first.
    require_second_step: Option<bool>,
}

/// `GET /api/v1/accounts/{account_id}`: for its members and its API tokens.
#[utoipa::path(
    get,
    path = "/api/v1/accounts/{account_id}",
    tag = "accounts",
    params(
        ("account_id" = String, Path, description = "Account id"),
    ),
    responses(
        (status = 200, description = "The account", body = AccountBody),
        (status = 401, description = "No valid credential", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such account for this caller", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn get_account(
    State(app): State<App>,
    Credential(token): Credential,
    Path(account_id): Path<String>,
) -> Result<Json<AccountBody>, Problem> {
    let account = id(&account_id)?;
    let scope = app
        .authorize(&token, account, Operation::ViewAccount)
        .await?;
    account_body(&app, scope).await
}

async fn account_body(app: &App, scope: AccountScope) -> Result<Json<AccountBody>, Problem> {
    let view = app.account(scope).await?;
    Ok(Json(AccountBody {
        id: view.id.to_string(),
        name: view.name,
        require_second_step: view.require_second_step,
    }))
}

/// `PATCH /api/v1/accounts/{account_id}`: the account's settings.
#[utoipa::path(
    patch,
    path = "/api/v1/accounts/{account_id}",
    tag = "accounts",
    params(
        ("account_id" = String, Path, description = "Account id"),
    ),
    request_body = AccountPatch,
    responses(
        (status = 200, description = "Changed", body = AccountBody),
        (status = 401, description = "No valid credential", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Only the owner may change this", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such account for this caller", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "The owner has no second step yet", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn patch_account(
    State(app): State<App>,
    Meta(meta): Meta,
    Credential(token): Credential,
    Path(account_id): Path<String>,
    ApiJson(body): ApiJson<AccountPatch>,
) -> Result<Json<AccountBody>, Problem> {
    let account = id(&account_id)?;
    if let Some(required) = body.require_second_step {
        let scope = app
            .authorize(&token, account, Operation::RequireSecondStep)
            .await?;
        app.set_second_step_policy(scope, required, &meta).await?;
    }
    let scope = app
        .authorize(&token, account, Operation::ViewAccount)
        .await?;
    account_body(&app, scope).await
}

#[derive(Serialize, ToSchema)]
pub(super) struct ApiTokenBody {
    id: String,
    name: String,
    scope: &'static str,
    created_at: String,
    expires_at: String,
    last_used_at: Option<String>,
    /// Only in the answer to its creation: shown once, never again.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

fn api_token_body(
    t: &skjold_app::StoredApiToken,
    token: Option<String>,
) -> Result<ApiTokenBody, Problem> {
    Ok(ApiTokenBody {
        id: t.id.to_string(),
        name: t.name.clone(),
        scope: t.scope.as_str(),
        created_at: rfc3339(t.created_at)?,
        expires_at: rfc3339(t.expires_at)?,
        last_used_at: t.last_used_at.map(rfc3339).transpose()?,
        token,
    })
}

/// `GET /api/v1/accounts/{account_id}/tokens`.
#[utoipa::path(
    get,
    path = "/api/v1/accounts/{account_id}/tokens",
    tag = "api tokens",
    params(
        ("account_id" = String, Path, description = "Account id"),
    ),
    responses(
        (status = 200, description = "The account's tokens, without their secrets", body = [ApiTokenBody]),
        (status = 401, description = "No valid session", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The role may not manage tokens, or the address is unverified", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such account for this caller", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn get_tokens(
    State(app): State<App>,
    Authenticated(caller): Authenticated,
    Path(account_id): Path<String>,
) -> Result<Json<Vec<ApiTokenBody>>, Problem> {
    let tokens = app.api_tokens(caller, id(&account_id)?).await?;
    tokens
        .iter()
        .map(|t| api_token_body(t, None))
        .collect::<Result<_, _>>()
        .map(Json)
}

#[derive(Deserialize, ToSchema)]
pub(super) struct NewTokenRequest {
    name: String,
    scope: String,
    expires_in_days: i64,
}

/// `POST /api/v1/accounts/{account_id}/tokens`: 201 with the token, shown this once.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{account_id}/tokens",
    tag = "api tokens",
    request_body = NewTokenRequest,
    params(
        ("account_id" = String, Path, description = "Account id"),
    ),
    responses(
        (status = 201, description = "The token, shown this once", body = ApiTokenBody),
        (status = 401, description = "No valid session", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The role may not manage tokens, or the address is unverified", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such account for this caller", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A rule is broken", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn post_tokens(
    State(app): State<App>,
    Meta(meta): Meta,
    Authenticated(caller): Authenticated,
    Path(account_id): Path<String>,
    ApiJson(body): ApiJson<NewTokenRequest>,
) -> Result<Response, Problem> {
    let created = app
        .create_api_token(
            caller,
            id(&account_id)?,
            &body.name,
            &body.scope,
            body.expires_in_days,
            &meta,
        )
        .await?;
    let body = api_token_body(
        &created.stored,
        Some(created.token.expose_secret().to_owned()),
    )?;
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `DELETE /api/v1/accounts/{account_id}/tokens/{token_id}`.
#[utoipa::path(
    delete,
    path = "/api/v1/accounts/{account_id}/tokens/{token_id}",
    tag = "api tokens",
    params(
        ("account_id" = String, Path, description = "Account id"),
        ("token_id" = String, Path, description = "Token id"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No valid session", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The role may not manage tokens", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such token of this account", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn delete_token(
    State(app): State<App>,
    Meta(meta): Meta,
    Authenticated(caller): Authenticated,
    Path((account_id, token_id)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    app.revoke_api_token(caller, id(&account_id)?, id(&token_id)?, &meta)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
