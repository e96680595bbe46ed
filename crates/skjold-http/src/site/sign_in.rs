//! Signing in and out in the browser (C11, C12, C16): a plain form posted to the
//! server, the 2-step code when the account has one, the session in the `__Host-`
//! session cookie the API also accepts, and a page for the signed-in user. Every post
//! must come from this site's own pages (Fetch Metadata or Origin).

use askama::Template;
use axum::extract::{Form, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use skjold_app::{App, AppError, Caller, IssuedSession, SignIn};

use super::pages::{
    Frame, LangQuery, html, too_many, utc_minute, weak_password, with_status, wrong_password,
};
use crate::browser_requests::cookie;
use crate::routes::api::{Meta, SESSION_COOKIE, cookie as session_cookie};

/// The device token a sign-in hands out, kept so later sign-ins from this browser are
/// spared the brute-force delays (C14): strictly necessary, like the session.
const DEVICE_COOKIE: &str = "__Host-skjold-device";
const DEVICE_SECONDS: u32 = 365 * 24 * 3600;

#[derive(Template)]
#[template(path = "login.html")]
struct Login {
    page: Frame,
    email: String,
    /// Set once the password was right and a code is needed.
    challenge: Option<String>,
    sms: bool,
    /// What went wrong, shown next to the field.
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "app.html")]
struct Home {
    page: Frame,
    email: String,
    /// Id, name and the person's role, of each account they belong to.
    accounts: Vec<(String, String, &'static str)>,
    /// The person's sessions, this one marked.
    sessions: Vec<SessionRow>,
    /// The person's name, if they gave one.
    name: String,
    /// Whether a second step is on.
    second_step: bool,
    /// What just happened (`password`, `name`, `email-sent`, `email-changed`), for the
    /// status line; empty if nothing.
    notice: &'static str,
    /// The field an error belongs beside (`current`, `new`, `name`, `email`,
    /// `email-password`); empty without one.
    field: &'static str,
    error: &'static str,
}

/// One session as the list shows it.
struct SessionRow {
    id: String,
    device: String,
    network: String,
    last_seen: String,
    current: bool,
}

#[derive(Deserialize)]
pub(crate) struct HomeQuery {
    lang: Option<String>,
    /// What the page before did (`email-changed`), to say so.
    done: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct EndSession {
    session: String,
}

#[derive(Deserialize)]
pub(crate) struct NewPassword {
    current: SecretString,
    new: SecretString,
}

#[derive(Deserialize)]
pub(crate) struct Credentials {
    email: String,
    password: SecretString,
}

#[derive(Deserialize)]
pub(crate) struct Code {
    challenge: String,
    code: SecretString,
}

/// The login page again, with `error` beside the field it concerns.
fn again(page: Frame, email: String, challenge: Option<String>, error: AppError) -> Response {
    let nb = page.nb;
    let (status, message) = match error {
        AppError::InvalidCredentials | AppError::Unauthenticated => (
            StatusCode::UNAUTHORIZED,
            if nb {
                "Feil e-post eller passord."
            } else {
                "Wrong e-mail or password."
            },
        ),
        AppError::InvalidCode => (
            StatusCode::UNAUTHORIZED,
            if nb {
                "Koden stemmer ikke, eller er brukt."
            } else {
                "The code is wrong or was used."
            },
        ),
        AppError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, too_many(nb)),
        other => return crate::problem::Problem::from(other).into_response(),
    };
    with_status(
        html(
            Login {
                page,
                email,
                challenge,
                sms: false,
                error: Some(message),
            }
            .render(),
        ),
        status,
    )
}

/// `response` sets the session cookie to `issued`: after a sign-in, or when a change of
/// password, e-mail or 2-step security re-issued the session (the others ended).
pub(super) fn keep_session(response: &mut Response, issued: &IssuedSession) {
    let lifetime = (issued.expires_at - time::OffsetDateTime::now_utc()).whole_seconds();
    if let Ok(value) = session_cookie(Some(issued.token.expose_secret()), lifetime) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// The caller as the re-issued session `issued` names them.
pub(super) fn renewed(caller: Caller, issued: &IssuedSession) -> Caller {
    Caller {
        session_id: issued.session_id,
        ..caller
    }
}

/// Signed in: the session cookie (and the device cookie, for a new device), then the app.
fn signed_in(issued: IssuedSession) -> Response {
    let mut response = Redirect::to("/app").into_response();
    keep_session(&mut response, &issued);
    let headers = response.headers_mut();
    if let Some(device) = &issued.device_token {
        let device = format!(
            "{DEVICE_COOKIE}={}; Max-Age={DEVICE_SECONDS}; Path=/; Secure; HttpOnly; SameSite=Lax",
            device.expose_secret()
        );
        if let Ok(value) = HeaderValue::from_str(&device) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

/// `GET /login`; a signed-in visitor goes on to the app.
pub(crate) async fn login_page(
    State(app): State<App>,
    uri: Uri,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    if signed_in_caller(&app, &headers).await.is_some() {
        return Redirect::to("/app").into_response();
    }
    let page = Frame::new(&uri, &q, &headers);
    html(
        Login {
            page,
            email: String::new(),
            challenge: None,
            sms: false,
            error: None,
        }
        .render(),
    )
}

/// `POST /login`: the password, then either the app or the code form.
pub(crate) async fn login(
    State(app): State<App>,
    Meta(meta): Meta,
    uri: Uri,
    headers: HeaderMap,
    Form(form): Form<Credentials>,
) -> Response {
    let page = Frame::new(&uri, &LangQuery::default(), &headers);
    let device = cookie(&headers, DEVICE_COOKIE);
    match app.sign_in(&form.email, form.password, device, &meta).await {
        Ok(SignIn::Session(issued)) => signed_in(issued),
        Ok(SignIn::SecondStep { challenge, methods }) => html(
            Login {
                page,
                email: form.email,
                challenge: Some(challenge.expose_secret().to_owned()),
                sms: methods.contains(&"sms"),
                error: None,
            }
            .render(),
        ),
        Err(error) => again(page, form.email, None, error),
    }
}

/// `POST /login/second-step`: the code.
pub(crate) async fn second_step(
    State(app): State<App>,
    Meta(meta): Meta,
    uri: Uri,
    headers: HeaderMap,
    Form(form): Form<Code>,
) -> Response {
    let mut page = Frame::new(&uri, &LangQuery::default(), &headers);
    // The code form stands for the login page (its address only takes posts).
    "/login".clone_into(&mut page.path);
    match app
        .complete_second_step(&form.challenge, form.code.expose_secret(), &meta)
        .await
    {
        Ok(issued) => signed_in(issued),
        Err(error) => again(page, String::new(), Some(form.challenge), error),
    }
}

/// The caller the session cookie names, if it is valid.
pub(super) async fn signed_in_caller(app: &App, headers: &HeaderMap) -> Option<Caller> {
    app.authenticate(cookie(headers, SESSION_COOKIE)?)
        .await
        .ok()
}

/// A visitor with a valid session cookie; anyone else is sent to the login page.
pub(super) struct SignedIn(pub(super) Caller);

impl FromRequestParts<App> for SignedIn {
    type Rejection = Redirect;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        signed_in_caller(app, &parts.headers)
            .await
            .map(SignedIn)
            .ok_or_else(|| Redirect::to("/login"))
    }
}

/// The signed-in page for `caller`, with what just happened.
pub(super) async fn home_page(
    app: &App,
    caller: Caller,
    mut page: Frame,
    notice: &'static str,
    field: &'static str,
    error: &'static str,
) -> Response {
    // Also the answer to the forms posted elsewhere (`/app/password`, `/app/name`): its
    // language link leads to this page, not to the form's address.
    "/app".clone_into(&mut page.path);
    let found = async { Ok::<_, AppError>((app.me(caller).await?, app.sessions(caller).await?)) };
    match found.await {
        Ok((me, sessions)) => html(
            Home {
                page,
                sessions: sessions
                    .into_iter()
                    .map(|s| SessionRow {
                        id: s.id.to_string(),
                        device: s.device,
                        network: s.network,
                        last_seen: utc_minute(s.last_seen_at),
                        current: s.current,
                    })
                    .collect(),
                accounts: me
                    .memberships
                    .iter()
                    .map(|m| {
                        (
                            m.account_id.to_string(),
                            m.account_name.clone(),
                            m.role.as_str(),
                        )
                    })
                    .collect(),
                email: me.email,
                name: me.name.unwrap_or_default(),
                second_step: !me.second_steps.is_empty(),
                notice,
                field,
                error,
            }
            .render(),
        ),
        Err(error) => crate::problem::Problem::from(error).into_response(),
    }
}

/// `GET /app`: the signed-in user's page; without a session, the login page.
pub(crate) async fn home(
    State(app): State<App>,
    uri: Uri,
    Query(q): Query<HomeQuery>,
    headers: HeaderMap,
    SignedIn(caller): SignedIn,
) -> Response {
    let notice = match q.done.as_deref() {
        Some("email-changed") => "email-changed",
        _ => "",
    };
    let lang = LangQuery { lang: q.lang };
    home_page(
        &app,
        caller,
        Frame::new(&uri, &lang, &headers),
        notice,
        "",
        "",
    )
    .await
}

/// `POST /app/password`: the current password and a new one (ASVS 6.2.3). Every other
/// session ends (the app raises the security stamp); this one is replaced by a new one.
pub(crate) async fn change_password(
    State(app): State<App>,
    Meta(meta): Meta,
    uri: Uri,
    headers: HeaderMap,
    SignedIn(caller): SignedIn,
    Form(form): Form<NewPassword>,
) -> Response {
    let page = Frame::new(&uri, &LangQuery::default(), &headers);
    let nb = page.nb;
    let (status, field, error) = match app
        .change_password(caller, form.current, form.new, &meta)
        .await
    {
        Ok(issued) => {
            let mut response =
                home_page(&app, renewed(caller, &issued), page, "password", "", "").await;
            keep_session(&mut response, &issued);
            return response;
        }
        Err(AppError::WrongCurrentPassword | AppError::InvalidCredentials) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "current",
            wrong_password(nb),
        ),
        Err(AppError::Password(_)) => (StatusCode::UNPROCESSABLE_ENTITY, "new", weak_password(nb)),
        Err(AppError::RateLimited { .. }) => {
            (StatusCode::TOO_MANY_REQUESTS, "current", too_many(nb))
        }
        Err(other) => return crate::problem::Problem::from(other).into_response(),
    };
    with_status(
        home_page(&app, caller, page, "", field, error).await,
        status,
    )
}

/// `POST /logout`: ends the session and clears its cookie.
pub(crate) async fn logout(
    State(app): State<App>,
    Meta(meta): Meta,
    headers: HeaderMap,
) -> Response {
    if let Some(caller) = signed_in_caller(&app, &headers).await
        && let Err(error) = app.sign_out(caller, &meta).await
    {
        return crate::problem::Problem::from(error).into_response();
    }
    let mut response = Redirect::to("/").into_response();
    if let Ok(value) = session_cookie(None, 0) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `POST /app/sessions/end`: signs out one of the person's other sessions.
pub(crate) async fn end_session(
    State(app): State<App>,
    Meta(meta): Meta,
    SignedIn(caller): SignedIn,
    Form(form): Form<EndSession>,
) -> Response {
    let ended = match form.session.parse() {
        Ok(id) => app.end_session(caller, id, &meta).await,
        Err(_) => Err(AppError::NotFound),
    };
    match ended {
        Ok(()) => Redirect::to("/app").into_response(),
        Err(error) => crate::problem::Problem::from(error).into_response(),
    }
}

/// `POST /app/sessions/end-others`: signs out every session but this one.
pub(crate) async fn end_other_sessions(
    State(app): State<App>,
    Meta(meta): Meta,
    SignedIn(caller): SignedIn,
) -> Response {
    match app.end_other_sessions(caller, &meta).await {
        Ok(_) => Redirect::to("/app").into_response(),
        Err(error) => crate::problem::Problem::from(error).into_response(),
    }
}
