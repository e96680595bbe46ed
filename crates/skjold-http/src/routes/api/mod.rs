//! The REST API, version 1: `/api/v1/…`. JSON in, JSON out, problems as RFC 9457.
//!
//! Routes are registered through `utoipa-axum`, so a handler is routed and documented by
//! the same declaration: the OpenAPI document at `/api/v1/openapi.json` cannot lose a route.

mod accounts;
mod audit;
mod contacts;
mod contacts_export;
mod email_verification;
mod me;
mod members;
mod password_reset;
mod second_step;
pub(crate) use second_step::qr_svg;
mod sessions;
mod signup;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::{Json, Router};
use skjold_app::{App, Caller, RequestMeta};
use time::format_description::well_known::Rfc3339;
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::client_ip::ClientIp;
use crate::problem::Problem;

#[derive(OpenApi)]
#[openapi(
    info(title = "Skjold API", description = "Accounts, sessions and API tokens. Errors are RFC 9457 problem details."),
    modifiers(&BearerAuth),
    components(schemas(crate::problem::ProblemBody))
)]
struct ApiDoc;

/// Declares the `bearer` scheme the operations refer to: a session token (`skjs_…`) or an
/// API token (`skjt_…`); browsers may use the session cookie instead.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The API's routes and the OpenAPI document that describes exactly them.
pub(crate) fn router() -> (Router<App>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(crate::routes::health::get_healthz))
        .routes(routes!(crate::routes::health::get_readyz))
        .routes(routes!(signup::post_signup))
        .routes(routes!(
            sessions::post_sessions,
            sessions::get_sessions,
            sessions::delete_sessions
        ))
        .routes(routes!(sessions::post_second_step))
        .routes(routes!(sessions::delete_session_current))
        .routes(routes!(sessions::delete_session_by_id))
        .routes(routes!(me::get_me, me::patch_me))
        .routes(routes!(me::post_me_password))
        .routes(routes!(second_step::post_totp, second_step::delete_totp))
        .routes(routes!(second_step::post_totp_confirm))
        .routes(routes!(second_step::post_sms, second_step::delete_sms))
        .routes(routes!(second_step::post_sms_confirm))
        .routes(routes!(second_step::post_sms_code))
        .routes(routes!(second_step::delete_second_step))
        .routes(routes!(second_step::post_recovery_codes))
        .routes(routes!(email_verification::post_email_verification))
        .routes(routes!(email_verification::post_me_email_confirm))
        .routes(routes!(password_reset::post_password_reset))
        .routes(routes!(password_reset::post_password_reset_confirm))
        .routes(routes!(accounts::get_account, accounts::patch_account))
        .routes(routes!(accounts::get_tokens, accounts::post_tokens))
        .routes(routes!(accounts::delete_token))
        .routes(routes!(members::get_members, members::post_members))
        .routes(routes!(members::patch_member, members::delete_member))
        .routes(routes!(members::get_invitations, members::post_invitations))
        .routes(routes!(members::delete_invitation))
        .routes(routes!(members::post_invitation_accept))
        .routes(routes!(members::post_transfer_ownership))
        .routes(routes!(audit::get_audit))
        .routes(routes!(contacts::get_contacts, contacts::post_contacts))
        .routes(routes!(contacts_export::export_contacts))
        .routes(routes!(
            contacts::get_contact,
            contacts::patch_contact,
            contacts::delete_contact
        ))
        .split_for_parts()
}

/// JSON that answers a malformed body with a problem, not axum's plain text.
pub(crate) struct ApiJson<T>(pub(crate) T);

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

pub(crate) struct Meta(pub(crate) RequestMeta);

/// A caller with a valid session (ASVS 7.2.1: checked on the server, on every request),
/// from `Authorization: Bearer <token>` or, for browsers, the session cookie.
pub(crate) struct Authenticated(pub(crate) Caller);

impl FromRequestParts<App> for Authenticated {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let Credential(token) = Credential::from_request_parts(parts, app).await?;
        Ok(Authenticated(app.authenticate(&token).await?))
    }
}

/// The presented secret: `Authorization: Bearer <token>` or, for browsers, the session
/// cookie. Not yet checked; the use case decides what it is worth.
pub(crate) struct Credential(pub(crate) String);

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
        let token = crate::browser_requests::cookie(&parts.headers, SESSION_COOKIE)
            .map(str::to_owned)
            .ok_or(Problem::Unauthenticated)?;
        // A browser sends the cookie with any request, also one a foreign page makes it
        // send: a change must prove it comes from this site.
        if !parts.method.is_safe()
            && !crate::browser_requests::same_site(&parts.headers, &parts.uri)
        {
            return Err(Problem::CrossSiteRequest);
        }
        Ok(Credential(token))
    }
}

/// The session cookie. `__Host-` makes browsers accept it only over HTTPS, from this exact
/// host, for every path, so no subdomain or plain-HTTP page can plant or overwrite it
/// (ASVS 3.3.1).
pub(crate) const SESSION_COOKIE: &str = "__Host-skjold_session";

/// `Set-Cookie` for a session token, or to remove the cookie with `None`.
pub(crate) fn cookie(token: Option<&str>, max_age_seconds: i64) -> Result<HeaderValue, Problem> {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={}",
        token.unwrap_or(""),
        max_age_seconds.max(0)
    ))
    .map_err(|_| Problem::Internal)
}

pub(crate) fn rfc3339(t: time::OffsetDateTime) -> Result<String, Problem> {
    t.format(&Rfc3339).map_err(|_| Problem::Internal)
}

/// An id from the path; one that does not parse names nothing, so it is a 404.
pub(crate) fn id<T: std::str::FromStr>(text: &str) -> Result<T, Problem> {
    text.parse().map_err(|_| Problem::NotFound)
}
