//! Signing up and confirming the e-mail address in the browser (C11, C16). Sign-up
//! answers alike whether or not the address is in use (no enumeration: an existing
//! user is told by e-mail). The confirmation link carries its code in the fragment,
//! which no server sees; a small script moves it into the form, and without JavaScript
//! the visitor pastes it.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use skjold_app::{App, AppError};

use super::assets::verify_script_path;
use super::pages::{Frame, LangQuery, html, invalid_email, too_many, weak_password, with_status};
use crate::routes::api::Meta;

#[derive(Template)]
#[template(path = "signup.html")]
struct SignUp {
    page: Frame,
    sent: bool,
    account_name: String,
    email: String,
    /// The field an error belongs beside (`account_name`, `email`, `password`, or `form`
    /// for the whole form); empty without one.
    field: &'static str,
    error: &'static str,
}

#[derive(Template)]
#[template(path = "verify_email.html")]
struct VerifyEmail {
    page: Frame,
    confirmed: bool,
    script: &'static str,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
pub(crate) struct SignUpForm {
    account_name: String,
    email: String,
    password: SecretString,
}

#[derive(Deserialize)]
pub(crate) struct TokenForm {
    token: SecretString,
}

/// `GET /signup`.
pub(crate) async fn signup_page(
    uri: Uri,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    html(
        SignUp {
            page: Frame::new(&uri, &q, &headers),
            sent: false,
            account_name: String::new(),
            email: String::new(),
            field: "",
            error: "",
        }
        .render(),
    )
}

/// `POST /signup`: the account is made (or the existing user told by e-mail), and the
/// page says to check the mail; a value the app refuses is named beside its field.
pub(crate) async fn signup(
    State(app): State<App>,
    Meta(meta): Meta,
    uri: Uri,
    headers: HeaderMap,
    Form(form): Form<SignUpForm>,
) -> Response {
    let page = Frame::new(&uri, &LangQuery::default(), &headers);
    let nb = page.nb;
    let outcome = app
        .sign_up(&form.account_name, &form.email, form.password, &meta)
        .await;
    let (status, field, error) = match outcome {
        Ok(()) => (StatusCode::OK, "", ""),
        Err(AppError::Name(_)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "account_name",
            if nb {
                "Skriv et navn på opptil 100 tegn."
            } else {
                "Enter a name of up to 100 characters."
            },
        ),
        Err(AppError::Email(_)) => (StatusCode::UNPROCESSABLE_ENTITY, "email", invalid_email(nb)),
        Err(AppError::Password(_)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "password",
            weak_password(nb),
        ),
        Err(AppError::RateLimited { .. }) => (StatusCode::TOO_MANY_REQUESTS, "form", too_many(nb)),
        Err(other) => return crate::problem::Problem::from(other).into_response(),
    };
    let sent = field.is_empty();
    with_status(
        html(
            SignUp {
                page,
                sent,
                account_name: form.account_name,
                email: form.email,
                field,
                error,
            }
            .render(),
        ),
        status,
    )
}

/// `GET /verify-email`: the form the e-mail's link opens.
pub(crate) async fn verify_page(
    uri: Uri,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    html(
        VerifyEmail {
            page: Frame::new(&uri, &q, &headers),
            confirmed: false,
            script: verify_script_path(),
            error: None,
        }
        .render(),
    )
}

/// `POST /verify-email`: spends the code and confirms the address.
pub(crate) async fn verify(
    State(app): State<App>,
    Meta(meta): Meta,
    uri: Uri,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    let page = Frame::new(&uri, &LangQuery::default(), &headers);
    let nb = page.nb;
    let (status, error) = match app
        .verify_email(form.token.expose_secret().trim(), &meta)
        .await
    {
        Ok(()) => (StatusCode::OK, None),
        Err(AppError::InvalidLink) => (
            StatusCode::BAD_REQUEST,
            Some(if nb {
                "Koden er ugyldig, brukt eller utløpt. Be om en ny lenke ved å logge inn."
            } else {
                "The code is wrong, used or expired. Sign in to ask for a new link."
            }),
        ),
        Err(AppError::RateLimited { .. }) => (StatusCode::TOO_MANY_REQUESTS, Some(too_many(nb))),
        Err(other) => return crate::problem::Problem::from(other).into_response(),
    };
    with_status(
        html(
            VerifyEmail {
                page,
                confirmed: error.is_none(),
                script: verify_script_path(),
                error,
            }
            .render(),
        ),
        status,
    )
}
