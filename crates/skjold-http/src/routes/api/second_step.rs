//! `/api/v1/me/second-step/…` and `/api/v1/me/recovery-codes`: a user's 2-step security
//! (C13). Each change needs the password or a code, and answers with the caller's new
//! session: every other session ended with the change.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use skjold_app::App;
use skjold_domain::SecondStepMethod;
use utoipa::ToSchema;

use super::sessions::{SessionCreated, session_created, session_created_with};
use super::{ApiJson, Authenticated, Meta};
use crate::problem::{Problem, ProblemBody};

/// The proof every change of 2-step security needs: the password, and, once a second
/// step is confirmed, a fresh code of what the person already has.
#[derive(Deserialize, ToSchema)]
pub(super) struct StepUp {
    #[schema(value_type = String, format = Password)]
    password: SecretString,
    /// Needed once a second step is confirmed (for removing a step still being set up,
    /// the password is enough): from the authenticator app, a recovery code, or the one
    /// `POST /api/v1/me/second-step/sms/code` sent to the confirmed phone. Never one
    /// of a step being set up.
    code: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub(super) struct CodeConfirmation {
    /// The 6 digits the authenticator app shows now, or that the text message brought.
    code: String,
}

/// What an authenticator app needs, shown once: scan `qr_svg`, or type `secret`.
#[derive(Serialize, ToSchema)]
pub(super) struct TotpSetupBody {
    /// The shared secret in base32.
    secret: String,
    otpauth_uri: String,
    /// `otpauth_uri` as a QR code, an SVG document.
    qr_svg: String,
}

/// The QR code of `text` as an SVG document.
pub(crate) fn qr_svg(text: &str) -> Result<String, Problem> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|_| Problem::Internal)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build())
}

/// `POST /api/v1/me/second-step/totp`: starts setting up an authenticator app.
#[utoipa::path(
    post,
    path = "/api/v1/me/second-step/totp",
    tag = "me",
    request_body = StepUp,
    responses(
        (status = 201, description = "Add the secret to the app, then confirm with a code from it", body = TotpSetupBody),
        (status = 401, description = "No valid session", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The password is wrong", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "An authenticator app is already set up, or no fresh code of a second step the person has", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts: wait as `Retry-After` says", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn post_totp(
    State(app): State<App>,
    Meta(meta): Meta,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<StepUp>,
) -> Result<Response, Problem> {
    let setup = app
        .begin_totp(caller, &body.password, body.code.as_deref(), &meta)
        .await?;
    let uri = setup.otpauth_uri.expose_secret();
    let body = TotpSetupBody {
        secret: setup.secret.expose_secret().to_owned(),
        otpauth_uri: uri.to_owned(),
        qr_svg: qr_svg(uri)?,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `POST /api/v1/me/second-step/totp/confirm`: every sign-in asks for a code from now on.
#[utoipa::path(
    post,
    path = "/api/v1/me/second-step/totp/confirm",
    tag = "me",
    request_body = CodeConfirmation,
    responses(
        (status = 201, description = "On; every other session ended, this one replaced; the first recovery codes come with it", body = SessionCreated),
        (status = 401, description = "No valid session", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "The code is not right, or no app is being set up", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn post_totp_confirm(
    State(app): State<App>,
    Meta(meta): Meta,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<CodeConfirmation>,
) -> Result<Response, Problem> {
    let enabled = app.confirm_totp(caller, &body.code, &meta).await?;
    session_created_with(enabled.session, enabled.recovery_codes)
}

/// `DELETE /api/v1/me/second-step/{method}`: removes a second step (`totp` or `sms`).
#[utoipa::path(
    delete,
    path = "/api/v1/me/second-step/{method}",
    tag = "me",
    params(("method" = String, Path, description = "totp or sms")),
    request_body = StepUp,
    responses(
        (status = 201, description = "Removed; every other session ended, this one replaced", body = SessionCreated),
        (status = 401, description = "No valid session", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The password is wrong", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such second step", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "No code, or not a right one", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts: wait as `Retry-After` says", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn delete_second_step(
    State(app): State<App>,
    Meta(meta): Meta,
    Authenticated(caller): Authenticated,
    Path(method): Path<String>,
    ApiJson(body): ApiJson<StepUp>,
) -> Result<Response, Problem> {
    let method: SecondStepMethod = method.parse().map_err(|_| Problem::NotFound)?;
    session_created(
        app.remove_second_step(caller, method, &body.password, body.code.as_deref(), &meta)
            .await?,
    )
}

/// `DELETE /api/v1/me/second-step/totp`: [`delete_second_step`] for `totp`, whose path
/// is also the set-up's (a fixed path takes precedence over `{method}` in the router).
#[utoipa::path(
    delete,
    path = "/api/v1/me/second-step/totp",
    tag = "me",
    request_body = StepUp,
    responses(
        (status = 201, description = "Removed; every other session ended, this one replaced", body = SessionCreated),
        (status = 401, description = "No valid session", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The password is wrong", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No authenticator app is set up", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "No code, or not a right one", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts: wait as `Retry-After` says", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn delete_totp(
    state: State<App>,
    meta: Meta,
    caller: Authenticated,
    body: ApiJson<StepUp>,
) -> Result<Response, Problem> {
    delete_second_step(state, meta, caller, Path("totp".to_owned()), body).await
}

#[derive(Deserialize, ToSchema)]
pub(super) struct PhoneSetup {
    /// E.164 (`+4791234567`) or a Norwegian number.
    phone: String,
    #[schema(value_type = String, format = Password)]
    password: SecretString,
    /// As in `StepUp`: needed once an authenticator app is confirmed.
    code: Option<String>,
}

/// The answer to adding a phone: a code was sent; the risk, said once.
#[derive(Serialize, ToSchema)]
pub(super) struct SmsSetupBody {
    /// One sentence on what text-message codes do not protect against.
    risk: &'static str,
    /// The stronger method to set up as well.
    stronger_option: &'static str,
}

/// `POST /api/v1/me/second-step/sms`: adds a phone number and sends it a code.
#[utoipa::path(
    post,
    path = "/api/v1/me/second-step/sms",
    tag = "me",
    request_body = PhoneSetup,
    responses(
        (status = 202, description = "A code was sent to the phone; confirm it", body = SmsSetupBody),
        (status = 401, description = "No valid session", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The password is wrong", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Not a phone number, a phone already set up, no fresh code of a second step the person has, or no text messages on this server", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "A code was sent less than 30 s ago, or ten this hour, or too many attempts", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "The text message could not be sent", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn post_sms(
    State(app): State<App>,
    Meta(meta): Meta,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<PhoneSetup>,
) -> Result<Response, Problem> {
    let risk = app
        .begin_sms(
            caller,
            &body.phone,
            &body.password,
            body.code.as_deref(),
            &meta,
        )
        .await?;
    let body = SmsSetupBody {
        risk,
        stronger_option: "totp",
    };
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

/// `POST /api/v1/me/second-step/sms/confirm`: every sign-in sends a code from now on.
#[utoipa::path(
    post,
    path = "/api/v1/me/second-step/sms/confirm",
    tag = "me",
    request_body = CodeConfirmation,
    responses(
        (status = 201, description = "On; every other session ended, this one replaced; recovery codes if there were none", body = SessionCreated),
        (status = 401, description = "No valid session", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "The code is not right or has expired", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn post_sms_confirm(
    State(app): State<App>,
    Meta(meta): Meta,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<CodeConfirmation>,
) -> Result<Response, Problem> {
    let enabled = app.confirm_sms(caller, &body.code, &meta).await?;
    session_created_with(enabled.session, enabled.recovery_codes)
}

/// Where a code went.
#[derive(Serialize, ToSchema)]
pub(super) struct CodeSent {
    /// The confirmed phone number, masked.
    sent_to: String,
}

/// `POST /api/v1/me/second-step/sms/code`: sends a code to the confirmed phone, for taking
/// a second step off (changing the phone is removing it and adding the new one).
#[utoipa::path(
    post,
    path = "/api/v1/me/second-step/sms/code",
    tag = "me",
    responses(
        (status = 202, description = "A code was sent to the confirmed phone", body = CodeSent),
        (status = 401, description = "No valid session", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No confirmed phone number", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "A code was sent less than 30 s ago, or ten this hour", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "The text message could not be sent", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn post_sms_code(
    State(app): State<App>,
    Authenticated(caller): Authenticated,
) -> Result<Response, Problem> {
    let sent_to = app.send_change_code(caller).await?;
    Ok((StatusCode::ACCEPTED, Json(CodeSent { sent_to })).into_response())
}

/// `DELETE /api/v1/me/second-step/sms`: [`delete_second_step`] for `sms`, whose path is
/// also the set-up's.
#[utoipa::path(
    delete,
    path = "/api/v1/me/second-step/sms",
    tag = "me",
    request_body = StepUp,
    responses(
        (status = 201, description = "Removed; every other session ended, this one replaced", body = SessionCreated),
        (status = 401, description = "No valid session", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The password is wrong", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No phone number is set up", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "No code, or not a right one", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts: wait as `Retry-After` says", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn delete_sms(
    state: State<App>,
    meta: Meta,
    caller: Authenticated,
    body: ApiJson<StepUp>,
) -> Result<Response, Problem> {
    delete_second_step(state, meta, caller, Path("sms".to_owned()), body).await
}

/// `POST /api/v1/me/recovery-codes`: ten new recovery codes; the old ones stop working.
/// A change of 2-step security: it needs a fresh code, is mailed, and ends every other
/// session.
#[utoipa::path(
    post,
    path = "/api/v1/me/recovery-codes",
    tag = "me",
    request_body = StepUp,
    responses(
        (status = 201, description = "New codes in `recovery_codes`, shown this once; every other session ended, this one replaced", body = SessionCreated),
        (status = 401, description = "No valid session", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The password is wrong", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "No second step is set up, or no fresh code of it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts: wait as `Retry-After` says", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn post_recovery_codes(
    State(app): State<App>,
    Meta(meta): Meta,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<StepUp>,
) -> Result<Response, Problem> {
    let renewed = app
        .new_recovery_codes(caller, &body.password, body.code.as_deref(), &meta)
        .await?;
    session_created_with(renewed.session, renewed.recovery_codes)
}
