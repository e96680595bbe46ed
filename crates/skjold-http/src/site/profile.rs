//! The person's own details in the browser (C11, C16): the name, changed at once, and
//! the e-mail address, changed only with the password and once the new address confirms
//! by its mailed link (the code in the link's fragment, moved into the form by the site's
//! one script, as for the first confirmation). Confirming re-issues this browser's
//! session: the app ends every other one.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use skjold_app::{App, AppError, ProfileChange};

use super::account::failed;
use super::assets::verify_script_path;
use super::pages::{Frame, LangQuery, html, invalid_email, too_many, with_status, wrong_password};
use super::sign_in::{SignedIn, home_page, keep_session, signed_in_caller};
use crate::routes::api::Meta;

#[derive(Deserialize)]
pub(crate) struct NameForm {
    name: String,
}

#[derive(Deserialize)]
pub(crate) struct EmailForm {
    email: String,
    password: SecretString,
}

#[derive(Deserialize)]
pub(crate) struct TokenForm {
    token: SecretString,
}

#[derive(Template)]
#[template(path = "confirm_email_change.html")]
struct ConfirmEmailChange {
    page: Frame,
    signed_in: bool,
    script: &'static str,
    error: Option<&'static str>,
}

/// `POST /app/name`.
pub(crate) async fn change_name(
    State(app): State<App>,
    Meta(meta): Meta,
    uri: Uri,
    headers: HeaderMap,
    SignedIn(caller): SignedIn,
    Form(form): Form<NameForm>,
) -> Response {
    let page = Frame::new(&uri, &LangQuery::default(), &headers);
    let change = ProfileChange {
        name: Some(form.name),
        ..ProfileChange::default()
    };
    match app.update_profile(caller, change, &meta).await {
        Ok(()) => home_page(&app, caller, page, "name", "", "").await,
        Err(AppError::Name(_)) => {
            let error = if page.nb {
                "Skriv et navn på opptil 100 tegn."
            } else {
                "Enter a name of up to 100 characters."
            };
            let answer = home_page(&app, caller, page, "", "name", error).await;
            with_status(answer, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(error) => failed(error),
    }
}

/// `POST /app/email`: with the password, a link to the new address; the address changes
/// when it is followed.
pub(crate) async fn change_email(
    State(app): State<App>,
    Meta(meta): Meta,
    uri: Uri,
    headers: HeaderMap,
    SignedIn(caller): SignedIn,
    Form(form): Form<EmailForm>,
) -> Response {
    let page = Frame::new(&uri, &LangQuery::default(), &headers);
    let nb = page.nb;
    let change = ProfileChange {
        email: Some(form.email),
        current_password: Some(form.password),
        ..ProfileChange::default()
    };
    let (status, field, error) = match app.update_profile(caller, change, &meta).await {
        Ok(()) => return home_page(&app, caller, page, "email-sent", "", "").await,
        Err(AppError::Email(_)) => (StatusCode::UNPROCESSABLE_ENTITY, "email", invalid_email(nb)),
        Err(AppError::WrongCurrentPassword | AppError::InvalidCredentials) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "email-password",
            wrong_password(nb),
        ),
        Err(AppError::RateLimited { .. }) => (
            StatusCode::TOO_MANY_REQUESTS,
            "email-password",
            too_many(nb),
        ),
        Err(error) => return failed(error),
    };
    with_status(
        home_page(&app, caller, page, "", field, error).await,
        status,
    )
}

/// `GET /confirm-email-change`: the page the new address's link opens; it must be
/// followed signed in, so that only the account's owner can move it.
pub(crate) async fn confirm_page(
    State(app): State<App>,
    uri: Uri,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let signed_in = signed_in_caller(&app, &headers).await.is_some();
    html(
        ConfirmEmailChange {
            page: Frame::new(&uri, &q, &headers),
            signed_in,
            script: verify_script_path(),
            error: None,
        }
        .render(),
    )
}

/// `POST /confirm-email-change`: the new address becomes the account's.
pub(crate) async fn confirm(
    State(app): State<App>,
    Meta(meta): Meta,
    uri: Uri,
    headers: HeaderMap,
    SignedIn(caller): SignedIn,
    Form(form): Form<TokenForm>,
) -> Response {
    let page = Frame::new(&uri, &LangQuery::default(), &headers);
    let nb = page.nb;
    let token = form.token.expose_secret().trim();
    let (status, error) = match app.confirm_email_change(caller, token, &meta).await {
        Ok(issued) => {
            let mut response = Redirect::to("/app?done=email-changed").into_response();
            keep_session(&mut response, &issued);
            return response;
        }
        Err(AppError::InvalidLink | AppError::InvalidInput(_)) => (
            StatusCode::BAD_REQUEST,
            if nb {
                "Koden er ugyldig, brukt eller utløpt, eller adressen er tatt i bruk. Be om en ny lenke."
            } else {
                "The code is wrong, used or expired, or the address was taken. Ask for a new link."
            },
        ),
        Err(AppError::RateLimited { .. }) => (StatusCode::TOO_MANY_REQUESTS, too_many(nb)),
        Err(error) => return failed(error),
    };
    let answer = ConfirmEmailChange {
        page,
        signed_in: true,
        script: verify_script_path(),
        error: Some(error),
    };
    with_status(html(answer.render()), status)
}
