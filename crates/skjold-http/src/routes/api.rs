//! The REST API, version 1: `/api/v1/…`. JSON in, JSON out, problems as RFC 9457.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use skjold_app::{App, Caller, IssuedSession, RequestMeta};
use time::format_description::well_known::Rfc3339;

use crate::client_ip::ClientIp;
use crate::problem::Problem;

pub(crate) fn router() -> Router<App> {
    Router::new()
        .route("/api/v1/signup", post(post_signup))
        .route(
            "/api/v1/sessions",
            post(post_sessions)
                .get(get_sessions)
                .delete(delete_sessions),
        )
        .route("/api/v1/sessions/{id}", delete(delete_session_by_id))
        .route("/api/v1/sessions/current", delete(delete_session_current))
        .route("/api/v1/me", get(get_me))
        .route("/api/v1/me/password", post(post_me_password))
        .route("/api/v1/email-verification", post(post_email_verification))
        .route("/api/v1/accounts/{account_id}", get(get_account))
        .route(
            "/api/v1/accounts/{account_id}/tokens",
            get(get_tokens).post(post_tokens),
        )
        .route(
            "/api/v1/accounts/{account_id}/tokens/{token_id}",
            delete(delete_token),
        )
        .route("/api/v1/password-reset", post(post_password_reset))
        .route(
            "/api/v1/password-reset/confirm",
            post(post_password_reset_confirm),
        )
}

/// JSON that answers a malformed body with a problem, not axum's plain text.
pub(crate) struct ApiJson<T>(T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(JsonRejection::JsonDataError(e)) => Err(Problem::Invalid(e.body_text())),
            Err(_) => Err(Problem::MalformedBody),
        }
    }
}

/// Where the request came from: the client address and its user agent.
impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ClientIp>()
            .ok_or(Problem::Internal)?
            .0;
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        Ok(Meta(RequestMeta { ip, user_agent }))
    }
}

pub(crate) struct Meta(RequestMeta);

/// A caller with a valid session (ASVS 7.2.1: checked on the server, on every request),
/// from `Authorization: Bearer <token>` or, for browsers, the session cookie.
pub(crate) struct Authenticated(Caller);

impl FromRequestParts<App> for Authenticated {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let Credential(token) = Credential::from_request_parts(parts, app).await?;
        Ok(Authenticated(app.authenticate(&token).await?))
    }
}

/// The presented secret: `Authorization: Bearer <token>` or, for browsers, the session
/// cookie. Not yet checked; the use case decides what it is worth.
pub(crate) struct Credential(String);

impl<S: Send + Sync> FromRequestParts<S> for Credential {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if let Some(token) = bearer {
            return Ok(Credential(token.trim().to_owned()));
        }
        let token = session_cookie(&parts.headers).ok_or(Problem::Unauthenticated)?;
        // A browser sends the cookie with any request, also one a foreign page makes it
        // send: a change must prove it comes from this site.
        if !parts.method.is_safe() && !same_site(parts) {
            return Err(Problem::CrossSiteRequest);
        }
        Ok(Credential(token))
    }
}

/// The session cookie. `__Host-` makes browsers accept it only over HTTPS, from this exact
/// host, for every path, so no subdomain or plain-HTTP page can plant or overwrite it
/// (ASVS 3.3.1).
const SESSION_COOKIE: &str = "__Host-skjold_session";

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// Whether a request comes from a page of this site: by the browser's Fetch Metadata
/// (`Sec-Fetch-Site`), or, from browsers without it, by an `Origin` naming this host.
/// Neither header: refused, since every browser that sends cookies sends one of them.
fn same_site(parts: &Parts) -> bool {
    let headers = &parts.headers;
    if let Some(site) = headers.get("sec-fetch-site") {
        return site.as_bytes() == b"same-origin";
    }
    // HTTP/2 carries the host in the request's authority, HTTP/1.1 in the Host header.
    let host = parts
        .uri
        .authority()
        .map(|a| a.as_str())
        .or_else(|| headers.get(header::HOST).and_then(|h| h.to_str().ok()));
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .and_then(|o| o.strip_prefix("https://"));
    matches!((host, origin), (Some(host), Some(origin)) if host.eq_ignore_ascii_case(origin))
}

/// `Set-Cookie` for a session token, or to remove the cookie with `None`.
fn cookie(token: Option<&str>, max_age_seconds: i64) -> Result<HeaderValue, Problem> {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={}",
        token.unwrap_or(""),
        max_age_seconds.max(0)
    ))
    .map_err(|_| Problem::Internal)
}

#[derive(Deserialize)]
pub(crate) struct SignupRequest {
    account_name: String,
    email: String,
    password: SecretString,
}

#[derive(Serialize)]
struct Accepted {
    status: &'static str,
}

/// `POST /api/v1/signup`: 201 whether or not the address was in use (no enumeration).
async fn post_signup(
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

#[derive(Deserialize)]
pub(crate) struct SessionRequest {
    email: String,
    password: SecretString,
}

#[derive(Serialize)]
struct SessionCreated {
    token: String,
    session_id: String,
    expires_at: String,
}

/// A new session: the token in the body for API clients and in the cookie for browsers.
fn session_created(issued: IssuedSession) -> Result<Response, Problem> {
    let token = issued.token.expose_secret();
    let lifetime = (issued.expires_at - time::OffsetDateTime::now_utc()).whole_seconds();
    let set_cookie = cookie(Some(token), lifetime)?;
    let body = SessionCreated {
        token: token.to_owned(),
        session_id: issued.session_id.to_string(),
        expires_at: rfc3339(issued.expires_at)?,
    };
    Ok((
        StatusCode::CREATED,
        [(header::SET_COOKIE, set_cookie)],
        Json(body),
    )
        .into_response())
}

/// `POST /api/v1/sessions`: sign in. One generic 401 for every wrong combination.
async fn post_sessions(
    State(app): State<App>,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<SessionRequest>,
) -> Result<Response, Problem> {
    session_created(app.sign_in(&body.email, body.password, &meta).await?)
}

/// `DELETE /api/v1/sessions/current`: sign out; the token is dead from now on.
async fn delete_session_current(
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

#[derive(Serialize)]
struct SessionBody {
    id: String,
    created_at: String,
    last_seen_at: String,
    device: String,
    network: String,
    current: bool,
}

fn rfc3339(t: time::OffsetDateTime) -> Result<String, Problem> {
    t.format(&Rfc3339).map_err(|_| Problem::Internal)
}

/// `GET /api/v1/sessions`: the caller's own sessions.
async fn get_sessions(
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
async fn delete_session_by_id(
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
async fn delete_sessions(
    State(app): State<App>,
    Meta(meta): Meta,
    Authenticated(caller): Authenticated,
) -> Result<StatusCode, Problem> {
    app.end_other_sessions(caller, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct MembershipBody {
    account_id: String,
    account_name: String,
    role: String,
}

#[derive(Serialize)]
struct MeBody {
    id: String,
    email: String,
    email_verified: bool,
    memberships: Vec<MembershipBody>,
}

/// `GET /api/v1/me`.
async fn get_me(
    State(app): State<App>,
    Authenticated(caller): Authenticated,
) -> Result<Json<MeBody>, Problem> {
    let me = app.me(caller).await?;
    Ok(Json(MeBody {
        id: me.id.to_string(),
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
    }))
}

/// An id from the path; one that does not parse names nothing, so it is a 404.
fn id<T: std::str::FromStr>(text: &str) -> Result<T, Problem> {
    text.parse().map_err(|_| Problem::NotFound)
}

#[derive(Serialize)]
struct AccountBody {
    id: String,
    name: String,
}

/// `GET /api/v1/accounts/{account_id}`: for its members and its API tokens.
async fn get_account(
    State(app): State<App>,
    Credential(token): Credential,
    Path(account_id): Path<String>,
) -> Result<Json<AccountBody>, Problem> {
    let account = id(&account_id)?;
    let principal = app.authenticate_for_account(&token, account).await?;
    let view = app.account(principal, account).await?;
    Ok(Json(AccountBody {
        id: view.id.to_string(),
        name: view.name,
    }))
}

#[derive(Serialize)]
struct ApiTokenBody {
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
async fn get_tokens(
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

#[derive(Deserialize)]
pub(crate) struct NewTokenRequest {
    name: String,
    scope: String,
    expires_in_days: i64,
}

/// `POST /api/v1/accounts/{account_id}/tokens`: 201 with the token, shown this once.
async fn post_tokens(
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
async fn delete_token(
    State(app): State<App>,
    Meta(meta): Meta,
    Authenticated(caller): Authenticated,
    Path((account_id, token_id)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    app.revoke_api_token(caller, id(&account_id)?, id(&token_id)?, &meta)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub(crate) struct TokenRequest {
    token: SecretString,
}

/// `POST /api/v1/email-verification` `{token}`: confirms the address the link went to.
async fn post_email_verification(
    State(app): State<App>,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<StatusCode, Problem> {
    app.verify_email(body.token.expose_secret(), &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub(crate) struct ResetRequest {
    email: String,
}

/// `POST /api/v1/password-reset` `{email}`: 202 whoever the address belongs to.
async fn post_password_reset(
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

#[derive(Deserialize)]
pub(crate) struct ResetConfirm {
    token: SecretString,
    new_password: SecretString,
}

/// `POST /api/v1/password-reset/confirm` `{token, new_password}`: sets the password and
/// ends every session of the user.
async fn post_password_reset_confirm(
    State(app): State<App>,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<ResetConfirm>,
) -> Result<StatusCode, Problem> {
    app.confirm_password_reset(body.token.expose_secret(), body.new_password, &meta)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub(crate) struct PasswordChange {
    current_password: SecretString,
    new_password: SecretString,
}

/// `POST /api/v1/me/password`: answers with the caller's new session (the old token ends,
/// as do all the user's other sessions).
async fn post_me_password(
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
