//! A forgotten password in the browser (C11, C16): the address asked for, answered alike
//! whether or not it has an account (no enumeration), and the mailed link's page, where
//! a new password replaces the old one and every session of the person ends. The link's
//! code travels in its fragment, which no server sees; the site's one script moves it
//! into the form, and without JavaScript the visitor pastes it.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use skjold_app::{App, AppError};

use super::account::failed;
use super::assets::verify_script_path;
use super::pages::{Frame, LangQuery, html, too_many, weak_password, with_status};
use crate::routes::api::Meta;

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct Forgot {
    page: Frame,
    sent: bool,
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct Reset {
    page: Frame,
    done: bool,
    script: &'static str,
    /// The link's code, kept in the form when only the password was refused.
    token: String,
    /// The field an error belongs beside (`token`, `password`); empty without one.
    field: &'static str,
    error: &'static str,
}

#[derive(Deserialize)]
pub(crate) struct ForgotForm {
    email: String,
}

#[derive(Deserialize)]
pub(crate) struct ResetForm {
    token: SecretString,
    password: SecretString,
}

/// `GET /forgot-password`.
pub(crate) async fn forgot_page(
    uri: Uri,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let page = Frame::new(&uri, &q, &headers);
    html(
        Forgot {
            page,
            sent: false,
            error: None,
        }
        .render(),
    )
}

/// `POST /forgot-password`: a link goes to the address if it has an account.
pub(crate) async fn forgot(
    State(app): State<App>,
    Meta(meta): Meta,
    uri: Uri,
    headers: HeaderMap,
    Form(form): Form<ForgotForm>,
) -> Response {
    let page = Frame::new(&uri, &LangQuery::default(), &headers);
    match app.request_password_reset(&form.email, &meta).await {
        Ok(()) => html(
            Forgot {
                page,
                sent: true,
                error: None,
            }
            .render(),
        ),
        Err(AppError::RateLimited { .. }) => {
            let error = Some(too_many(page.nb));
            let answer = Forgot {
                page,
                sent: false,
                error,
            };
            with_status(html(answer.render()), StatusCode::TOO_MANY_REQUESTS)
        }
        Err(error) => failed(error),
    }
}

/// `GET /reset-password`: the form the mailed link opens.
pub(crate) async fn reset_page(
    uri: Uri,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    html(
        Reset {
            page: Frame::new(&uri, &q, &headers),
            done: false,
            script: verify_script_path(),
            token: String::new(),
            field: "",
            error: "",
        }
        .render(),
    )
}

/// `POST /reset-password`: the new password, with the link's code.
pub(crate) async fn reset(
    State(app): State<App>,
    Meta(meta): Meta,
    uri: Uri,
    headers: HeaderMap,
    Form(form): Form<ResetForm>,
) -> Response {
    let page = Frame::new(&uri, &LangQuery::default(), &headers);
    let nb = page.nb;
    let token = form.token.expose_secret().trim();
    let (status, field, error) = match app
        .confirm_password_reset(token, form.password, &meta)
        .await
    {
        Ok(()) => (StatusCode::OK, "", ""),
        Err(AppError::InvalidLink) => (
            StatusCode::BAD_REQUEST,
            "token",
            if nb {
                "Koden er ugyldig, brukt eller utløpt. Be om en ny lenke."
            } else {
                "The code is wrong, used or expired. Ask for a new link."
            },
        ),
        Err(AppError::Password(_)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "password",
            weak_password(nb),
        ),
        Err(AppError::RateLimited { .. }) => (StatusCode::TOO_MANY_REQUESTS, "token", too_many(nb)),
        Err(error) => return failed(error),
    };
    let answer = Reset {
        page,
        done: field.is_empty(),
        script: verify_script_path(),
        token: if field == "password" {
            token.to_owned()
        } else {
            String::new()
        },
        field,
        error,
    };
    with_status(html(answer.render()), status)
}
