//! 2-step security in the browser (C13, C16): an authenticator app (its secret shown
//! once, as text and as an `otpauth:` link), a phone for codes by text message where the
//! server has an SMS provider, removal with the password and a fresh code, and recovery
//! codes shown once. The app checks the password and codes; every change re-issues this
//! browser's session (the app ends every other one), so the new cookie goes back here.

use askama::Template;
use axum::extract::{Form, FromRequestParts, Query};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Redirect, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use skjold_app::{App, AppError, Caller, IssuedSession, SMS_RISK, SecondStepEnabled};
use skjold_domain::SecondStepMethod;

use super::account::failed;
use super::pages::{Frame, LangQuery, html, too_many, with_status, wrong_password};
use super::sign_in::{SignedIn, keep_session, renewed};
use crate::routes::api::Meta;
use crate::routes::api::qr_svg;

#[derive(Template)]
#[template(path = "two_step.html")]
struct TwoStep {
    page: Frame,
    totp: bool,
    sms: bool,
    sms_available: bool,
    codes_left: u64,
    /// An authenticator app being set up: its secret and `otpauth:` link, shown once.
    setup: Option<(String, String)>,
    /// The `otpauth:` link as a QR code for the app's camera: inline SVG markup made by
    /// the `qrcode` crate from the link alone (no script, no style, nothing fetched).
    qr: Option<String>,
    /// A phone number was given and a code sent to it.
    sms_pending: bool,
    risk: &'static str,
    /// Recovery codes just made: shown this once.
    new_codes: Vec<String>,
    /// What just happened, for the status line; empty if nothing.
    notice: &'static str,
    /// The field an error belongs beside; empty without one.
    field: &'static str,
    error: String,
}

/// What happened, for the page that follows.
#[derive(Default)]
struct Outcome {
    setup: Option<(String, String)>,
    sms_pending: bool,
    new_codes: Vec<String>,
    notice: &'static str,
    field: &'static str,
    error: String,
}

impl Outcome {
    fn notice(notice: &'static str) -> Outcome {
        Outcome {
            notice,
            ..Outcome::default()
        }
    }
}

/// What every handler here starts from: the app, the signed-in person (anyone else is
/// sent to the login page) and the page's frame.
pub(crate) struct Here {
    app: App,
    caller: Caller,
    frame: Frame,
}

impl FromRequestParts<App> for Here {
    type Rejection = Redirect;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let SignedIn(caller) = SignedIn::from_request_parts(parts, app).await?;
        let lang = Query::<LangQuery>::try_from_uri(&parts.uri)
            .map(|q| q.0)
            .unwrap_or_default();
        let mut frame = Frame::new(&parts.uri, &lang, &parts.headers);
        // Every form here answers with this page: its language link leads here, not to
        // the form's address, which only takes posts.
        "/app/two-step".clone_into(&mut frame.path);
        Ok(Here {
            app: app.clone(),
            caller,
            frame,
        })
    }
}

impl Here {
    /// The page after `outcome`.
    async fn show(self, outcome: Outcome) -> Response {
        let me = match self.app.me(self.caller).await {
            Ok(me) => me,
            Err(error) => return failed(error),
        };
        html(
            TwoStep {
                page: self.frame,
                totp: me.second_steps.contains(&"totp"),
                sms: me.second_steps.contains(&"sms"),
                sms_available: self.app.sms_available(),
                codes_left: me.recovery_codes_left,
                qr: outcome
                    .setup
                    .as_ref()
                    .and_then(|(_, uri)| qr_svg(uri).ok())
                    .map(|svg| inline(&svg)),
                setup: outcome.setup,
                sms_pending: outcome.sms_pending,
                risk: SMS_RISK,
                new_codes: outcome.new_codes,
                notice: outcome.notice,
                field: outcome.field,
                error: outcome.error,
            }
            .render(),
        )
    }

    /// The page after a change that re-issued the session: shown to the new session,
    /// whose cookie replaces the old one.
    async fn show_renewed(mut self, session: &IssuedSession, outcome: Outcome) -> Response {
        self.caller = renewed(self.caller, session);
        let mut response = self.show(outcome).await;
        keep_session(&mut response, session);
        response
    }

    /// The page after a second step was confirmed, with the first recovery codes if
    /// there were none.
    async fn enabled(self, done: SecondStepEnabled) -> Response {
        let outcome = Outcome {
            new_codes: done.recovery_codes.map(shown).unwrap_or_default(),
            notice: "enabled",
            ..Outcome::default()
        };
        self.show_renewed(&done.session, outcome).await
    }

    /// The page again with `error` beside the form's password field (`fields.0`), the
    /// field it concerns (`fields.1`) or its fresh-code field (`fields.2`); `nb_text`
    /// says in Norwegian what the app's own (English) message says for input it
    /// refused. Errors that are not the person's to mend are answered as the API
    /// answers them.
    async fn refused(
        self,
        error: AppError,
        fields: (&'static str, &'static str, &'static str),
        nb_text: &'static str,
        keep: Outcome,
    ) -> Response {
        let nb = self.frame.nb;
        let (password, field, code) = fields;
        let (status, field, message) = match &error {
            AppError::InvalidCredentials | AppError::WrongCurrentPassword => {
                let text = wrong_password(nb);
                (StatusCode::UNPROCESSABLE_ENTITY, password, text.to_owned())
            }
            AppError::FreshCodeNeeded => {
                let text = if nb {
                    "Det trengs en fersk kode: fra autentiseringsappen, en gjenopprettingskode eller en kode sendt til telefonen."
                        .to_owned()
                } else {
                    error.to_string()
                };
                (StatusCode::UNPROCESSABLE_ENTITY, code, text)
            }
            AppError::RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                field,
                too_many(nb).to_owned(),
            ),
            AppError::InvalidInput(_)
            | AppError::InvalidCode
            | AppError::Contact(_)
            | AppError::SmsNotSent => {
                let text = if nb {
                    nb_text.to_owned()
                } else {
                    error.to_string()
                };
                (StatusCode::UNPROCESSABLE_ENTITY, field, text)
            }
            _ => return failed(error),
        };
        let outcome = Outcome {
            field,
            error: message,
            ..keep
        };
        with_status(self.show(outcome).await, status)
    }
}

/// An SVG document as markup inside the page: without its XML declaration.
fn inline(svg: &str) -> String {
    match svg.find("<svg") {
        Some(start) => svg[start..].to_owned(),
        None => String::new(),
    }
}

/// Codes to show once.
fn shown(codes: Vec<SecretString>) -> Vec<String> {
    codes.iter().map(|c| c.expose_secret().to_owned()).collect()
}

/// The password, and a fresh code once a second step is on ([`App::step_up`]).
#[derive(Deserialize)]
pub(crate) struct StepUpForm {
    password: SecretString,
    #[serde(default)]
    code: Option<SecretString>,
}

/// The code a form brought, if it brought one that is not blank.
fn fresh_code(code: Option<&SecretString>) -> Option<&str> {
    code.map(|c| c.expose_secret().trim())
        .filter(|c| !c.is_empty())
}

#[derive(Deserialize)]
pub(crate) struct CodeForm {
    code: SecretString,
    /// The secret being set up, sent back to show it again beside a wrong code.
    #[serde(default)]
    secret: Option<SecretString>,
    #[serde(default)]
    uri: Option<SecretString>,
}

#[derive(Deserialize)]
pub(crate) struct PhoneForm {
    phone: String,
    password: SecretString,
    #[serde(default)]
    code: Option<SecretString>,
}

#[derive(Deserialize)]
pub(crate) struct RemoveForm {
    method: String,
    password: SecretString,
    #[serde(default)]
    code: Option<SecretString>,
}

/// `GET /app/two-step`.
pub(crate) async fn two_step(here: Here) -> Response {
    here.show(Outcome::default()).await
}

/// `POST /app/two-step/totp`: with the password, a new secret for the authenticator app.
pub(crate) async fn begin_totp(
    here: Here,
    Meta(meta): Meta,
    Form(form): Form<StepUpForm>,
) -> Response {
    let code = fresh_code(form.code.as_ref());
    match here
        .app
        .begin_totp(here.caller, &form.password, code, &meta)
        .await
    {
        Ok(setup) => {
            let setup = (
                setup.secret.expose_secret().to_owned(),
                setup.otpauth_uri.expose_secret().to_owned(),
            );
            here.show(Outcome {
                setup: Some(setup),
                ..Outcome::default()
            })
            .await
        }
        Err(error) => {
            let nb = "En autentiseringsapp er allerede satt opp: fjern den først.";
            let fields = ("totp-password", "totp-password", "totp-step-code");
            here.refused(error, fields, nb, Outcome::default()).await
        }
    }
}

/// `POST /app/two-step/totp/confirm`: a code from the app proves it holds the secret.
pub(crate) async fn confirm_totp(
    here: Here,
    Meta(meta): Meta,
    Form(form): Form<CodeForm>,
) -> Response {
    let code = form.code.expose_secret();
    match here.app.confirm_totp(here.caller, code, &meta).await {
        Ok(done) => here.enabled(done).await,
        Err(error) => {
            let setup = form.secret.zip(form.uri).map(|(secret, uri)| {
                let shown = |s: SecretString| s.expose_secret().to_owned();
                (shown(secret), shown(uri))
            });
            let keep = Outcome {
                setup,
                ..Outcome::default()
            };
            let nb = "Koden stemmer ikke: skriv de 6 sifrene appen viser nå.";
            here.refused(error, ("totp-code", "totp-code", "totp-code"), nb, keep)
                .await
        }
    }
}

/// `POST /app/two-step/sms`: with the password, a phone number, sent a code.
pub(crate) async fn begin_sms(
    here: Here,
    Meta(meta): Meta,
    Form(form): Form<PhoneForm>,
) -> Response {
    let code = fresh_code(form.code.as_ref());
    let begun = here
        .app
        .begin_sms(here.caller, &form.phone, &form.password, code, &meta);
    match begun.await {
        Ok(_) => {
            here.show(Outcome {
                sms_pending: true,
                notice: "sms-sent",
                ..Outcome::default()
            })
            .await
        }
        Err(error) => {
            let nb = "Skriv et gyldig telefonnummer med landskode, for eksempel +47 912 34 567.";
            let fields = ("sms-password", "phone", "sms-step-code");
            here.refused(error, fields, nb, Outcome::default()).await
        }
    }
}

/// `POST /app/two-step/sms/confirm`: the code the phone received.
pub(crate) async fn confirm_sms(
    here: Here,
    Meta(meta): Meta,
    Form(form): Form<CodeForm>,
) -> Response {
    let code = form.code.expose_secret();
    match here.app.confirm_sms(here.caller, code, &meta).await {
        Ok(done) => here.enabled(done).await,
        Err(error) => {
            let keep = Outcome {
                sms_pending: true,
                ..Outcome::default()
            };
            let nb = "Koden stemmer ikke eller er utløpt: be om en ny.";
            here.refused(error, ("sms-code", "sms-code", "sms-code"), nb, keep)
                .await
        }
    }
}

/// `POST /app/two-step/send-code`: a code to the confirmed phone, to prove a removal.
pub(crate) async fn send_code(here: Here) -> Response {
    match here.app.send_change_code(here.caller).await {
        Ok(_) => here.show(Outcome::notice("code-sent")).await,
        Err(error) => {
            let nb = "Koden kunne ikke sendes nå; prøv igjen om et minutt.";
            let fields = ("remove-sms-code", "remove-sms-code", "remove-sms-code");
            here.refused(error, fields, nb, Outcome::default()).await
        }
    }
}

/// `POST /app/two-step/remove`: a second step off, with the password and a fresh code.
pub(crate) async fn remove(here: Here, Meta(meta): Meta, Form(form): Form<RemoveForm>) -> Response {
    let Ok(method) = form.method.parse::<SecondStepMethod>() else {
        return failed(AppError::NotFound);
    };
    let fields = match method {
        SecondStepMethod::Totp => (
            "remove-totp-password",
            "remove-totp-code",
            "remove-totp-code",
        ),
        SecondStepMethod::Sms => ("remove-sms-password", "remove-sms-code", "remove-sms-code"),
    };
    let code = fresh_code(form.code.as_ref());
    let removed = here
        .app
        .remove_second_step(here.caller, method, &form.password, code, &meta);
    match removed.await {
        Ok(issued) => here.show_renewed(&issued, Outcome::notice("removed")).await,
        Err(error) => {
            let nb = "Det trengs en fersk kode: fra autentiseringsappen, en gjenopprettingskode eller en kode sendt til telefonen.";
            here.refused(error, fields, nb, Outcome::default()).await
        }
    }
}

/// `POST /app/two-step/recovery-codes`: ten new recovery codes, shown once; with the
/// password and a fresh code, and every other session ends.
pub(crate) async fn new_recovery_codes(
    here: Here,
    Meta(meta): Meta,
    Form(form): Form<StepUpForm>,
) -> Response {
    let code = fresh_code(form.code.as_ref());
    let renewed = here
        .app
        .new_recovery_codes(here.caller, &form.password, code, &meta);
    match renewed.await {
        Ok(done) => {
            let outcome = Outcome {
                new_codes: done.recovery_codes.map(shown).unwrap_or_default(),
                notice: "codes",
                ..Outcome::default()
            };
            here.show_renewed(&done.session, outcome).await
        }
        Err(error) => {
            let nb = "Sett opp et andre trinn først.";
            let fields = ("codes-password", "codes-password", "codes-code");
            here.refused(error, fields, nb, Outcome::default()).await
        }
    }
}
