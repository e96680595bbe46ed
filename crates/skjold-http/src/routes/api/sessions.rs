//! `/api/v1/sessions`: signing in and out, and the caller's sessions.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use skjold_app::{App, IssuedSession, SignIn};
use utoipa::ToSchema;

use super::{ApiJson, Authenticated, Meta, cookie, rfc3339};
use crate::problem::{Problem, ProblemBody};

#[derive(Deserialize, ToSchema)]
pub(super) struct SessionRequest {
    email: String,
    #[schema(value_type = String, format = Password)]
    password: SecretString,
    /// The `device_token` an earlier sign-in from this device received: a recognised
    /// device is spared the brute-force delays.
    #[schema(value_type = Option<String>, format = Password)]
    device_token: Option<SecretString>,
}

#[derive(Serialize, ToSchema)]
pub(super) struct SessionCreated {
    token: String,
    session_id: String,
    expires_at: String,
    /// Only for a device not recognised before: keep it and send it with later
    /// sign-ins from this device.
    #[serde(skip_serializing_if = "Option::is_none")]
    device_token: Option<String>,
    /// Only when a second step was just set up: single-use codes that stand in for it.
    /// Shown this once; keep them somewhere safe.
    #[serde(skip_serializing_if = "Option::is_none")]
    recovery_codes: Option<Vec<String>>,
}

/// The answer to a right password when a second step is needed: no session yet.
#[derive(Serialize, ToSchema)]
pub(super) struct SecondStepRequired {
    second_step_required: bool,
    /// Pass to `POST /api/v1/sessions/second-step` with a code, within five minutes.
    challenge: String,
    /// `totp` and/or `sms`, and always `recovery_code`.
    methods: Vec<&'static str>,
}

#[derive(Deserialize, ToSchema)]
pub(super) struct SecondStepAnswer {
    challenge: String,
    /// A code from the authenticator app, or a recovery code.
    #[schema(value_type = String, format = Password)]
    code: SecretString,
}

/// A new session: the token in the body for API clients and in the cookie for browsers.
pub(super) fn session_created(issued: IssuedSession) -> Result<Response, Problem> {
    session_created_with(issued, None)
}

/// [`session_created`], with recovery codes to show once.
pub(super) fn session_created_with(
    issued: IssuedSession,
    recovery_codes: Option<Vec<SecretString>>,
) -> Result<Response, Problem> {
    let token = issued.token.expose_secret();
    let lifetime = (issued.expires_at - time::OffsetDateTime::now_utc()).whole_seconds();
    let set_cookie = cookie(Some(token), lifetime)?;
    let body = SessionCreated {
        token: token.to_owned(),
        session_id: issued.session_id.to_string(),
        expires_at: rfc3339(issued.expires_at)?,
        device_token: issued
            .device_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned()),
        recovery_codes: recovery_codes
            .map(|codes| codes.iter().map(|c| c.expose_secret().to_owned()).collect()),
    };
    Ok((
        StatusCode::CREATED,
        [(header::SET_COOKIE, set_cookie)],
        Json(body),
    )
        .into_response())
}

/// `POST /api/v1/sessions`: sign in. One generic 401 for every wrong combination.
#[utoipa::path(
    post,
    path = "/api/v1/sessions",
    tag = "sessions",
    request_body = SessionRequest,
    responses(
        (status = 201, description = "Signed in; the token is also set as the __Host-skjold_session cookie", body = SessionCreated),
        (status = 202, description = "The password is right and a second step is needed: no session yet", body = SecondStepRequired),
        (status = 401, description = "Wrong e-mail or password (one answer for both)", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn post_sessions(
    State(app): State<App>,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<SessionRequest>,
) -> Result<Response, Problem> {
    let device = body.device_token.as_ref().map(|t| t.expose_secret());
    match app
        .sign_in(&body.email, body.password, device, &meta)
        .await?
    {
        SignIn::Session(issued) => session_created(issued),
        SignIn::SecondStep { challenge, methods } => Ok((
            StatusCode::ACCEPTED,
            Json(SecondStepRequired {
                second_step_required: true,
                challenge: challenge.expose_secret().to_owned(),
                methods,
            }),
        )
            .into_response()),
    }
}

/// `POST /api/v1/sessions/second-step`: completes a sign-in with a code.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/second-step",
    tag = "sessions",
    request_body = SecondStepAnswer,
    responses(
        (status = 201, description = "Signed in", body = SessionCreated),
        (status = 401, description = "The code is wrong or used, or the challenge unknown, expired or spent (one answer); the fifth wrong code ends the challenge", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn post_second_step(
    State(app): State<App>,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<SecondStepAnswer>,
) -> Result<Response, Problem> {
    let issued = app
        .complete_second_step(&body.challenge, body.code.expose_secret(), &meta)
        .await?;
    session_created(issued)
}

/// `DELETE /api/v1/sessions/current`: sign out; the token is dead from now on.
#[utoipa::path(
    delete,
    path = "/api/v1/sessions/current",
    tag = "sessions",
    responses(
        (status = 204, description = "Signed out; the cookie is cleared"),
        (status = 401, description = "No valid session", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn delete_session_current(
    State(app): State<App>,
    Meta(meta): Meta,
    Authenticated(caller): Authenticated,
) -> Result<Response, Problem> {
    app.sign_out(caller, &meta).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, cookie(None, 0)?)],
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub(super) struct SessionBody {
    id: String,
    created_at: String,
    last_seen_at: String,
    device: String,
    network: String,
    current: bool,
}

/// `GET /api/v1/sessions`: the caller's own sessions.
#[utoipa::path(
    get,
    path = "/api/v1/sessions",
    tag = "sessions",
    responses(
        (status = 200, description = "The caller's sessions, newest first", body = [SessionBody]),
        (status = 401, description = "No valid session", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn get_sessions(
    State(app): State<App>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Vec<SessionBody>>, Problem> {
    app.sessions(caller)
        .await?
        .into_iter()
        .map(|s| {
            Ok(SessionBody {
                id: s.id.to_string(),
                created_at: rfc3339(s.created_at)?,
                last_seen_at: rfc3339(s.last_seen_at)?,
                device: s.device,
                network: s.network,
                current: s.current,
            })
        })
        .collect::<Result<_, Problem>>()
        .map(Json)
}

/// `DELETE /api/v1/sessions/{id}`: end one of the caller's sessions; 404 for any other id.
#[utoipa::path(
    delete,
    path = "/api/v1/sessions/{id}",
    tag = "sessions",
    params(("id" = String, Path, description = "Session id")),
    responses(
        (status = 204, description = "The session ended"),
        (status = 401, description = "No valid session", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such session of the caller", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn delete_session_by_id(
    State(app): State<App>,
    Meta(meta): Meta,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let id = id.parse().map_err(|_| Problem::NotFound)?;
    app.end_session(caller, id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v1/sessions`: end every session of the caller but this one.
#[utoipa::path(
    delete,
    path = "/api/v1/sessions",
    tag = "sessions",
    responses(
        (status = 204, description = "Every other session ended"),
        (status = 401, description = "No valid session", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn delete_sessions(
    State(app): State<App>,
    Meta(meta): Meta,
    Authenticated(caller): Authenticated,
) -> Result<StatusCode, Problem> {
    app.end_other_sessions(caller, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
