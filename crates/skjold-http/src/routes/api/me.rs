//! `/api/v1/me`: the signed-in user.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use skjold_app::{App, Me, ProfileChange};
use utoipa::ToSchema;

use super::sessions::{SessionCreated, session_created};
use super::{ApiJson, Authenticated, Meta};
use crate::problem::{Problem, ProblemBody};

#[derive(Serialize, ToSchema)]
pub(super) struct MembershipBody {
    account_id: String,
    account_name: String,
    role: String,
}

#[derive(Serialize, ToSchema)]
pub(super) struct MeBody {
    id: String,
    /// `null` until the user sets one.
    name: Option<String>,
    email: String,
    email_verified: bool,
    memberships: Vec<MembershipBody>,
    /// The second steps every sign-in asks for (`totp`, `sms`); empty without 2-step.
    second_steps: Vec<&'static str>,
    /// Unused recovery codes.
    recovery_codes_left: u64,
}

/// `GET /api/v1/me`.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "me",
    responses(
        (status = 200, description = "The signed-in user and their memberships", body = MeBody),
        (status = 401, description = "No valid session", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn get_me(
    State(app): State<App>,
    Authenticated(caller): Authenticated,
) -> Result<Json<MeBody>, Problem> {
    Ok(me_body(app.me(caller).await?))
}

fn me_body(me: Me) -> Json<MeBody> {
    Json(MeBody {
        id: me.id.to_string(),
        name: me.name,
        email: me.email,
        email_verified: me.email_verified,
        memberships: me
            .memberships
            .into_iter()
            .map(|m| MembershipBody {
                account_id: m.account_id.to_string(),
                account_name: m.account_name,
                role: m.role.to_string(),
            })
            .collect(),
        second_steps: me.second_steps,
        recovery_codes_left: me.recovery_codes_left,
    })
}

/// A change of the user's details; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ProfilePatch {
    name: Option<String>,
    /// A new address: it changes once the link sent to it is followed (see
    /// `POST /api/v1/me/email/confirm`); until then the old one stays.
    email: Option<String>,
    /// Required with `email`.
    #[schema(value_type = Option<String>, format = Password)]
    current_password: Option<SecretString>,
}

/// `PATCH /api/v1/me`: answers with the user as they are now.
#[utoipa::path(
    patch,
    path = "/api/v1/me",
    tag = "me",
    request_body = ProfilePatch,
    responses(
        (status = 200, description = "Changed. A new e-mail address is not in place yet: a link to confirm it went to it", body = MeBody),
        (status = 401, description = "No valid session, or this one ended after a third wrong password", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The current password is wrong", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A value breaks a rule, or the password is missing", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts: wait as `Retry-After` says", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn patch_me(
    State(app): State<App>,
    Meta(meta): Meta,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<ProfilePatch>,
) -> Result<Json<MeBody>, Problem> {
    let change = ProfileChange {
        name: body.name,
        email: body.email,
        current_password: body.current_password,
    };
    app.update_profile(caller, change, &meta).await?;
    Ok(me_body(app.me(caller).await?))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct PasswordChange {
    #[schema(value_type = String, format = Password)]
    current_password: SecretString,
    #[schema(value_type = String, format = Password)]
    new_password: SecretString,
}

/// `POST /api/v1/me/password`: answers with the caller's new session (the old token ends,
/// as do all the user's other sessions).
#[utoipa::path(
    post,
    path = "/api/v1/me/password",
    tag = "me",
    request_body = PasswordChange,
    responses(
        (status = 201, description = "Changed; every other session ended, this one replaced", body = SessionCreated),
        (status = 401, description = "No valid session, or this one ended after a third wrong password", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The current password is wrong", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "The new password breaks a rule", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts: wait as `Retry-After` says", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn post_me_password(
    State(app): State<App>,
    Meta(meta): Meta,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<Response, Problem> {
    session_created(
        app.change_password(caller, body.current_password, body.new_password, &meta)
            .await?,
    )
}
