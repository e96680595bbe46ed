//! 2-step security in the browser (C13, C16): an authenticator app (its secret shown
//! once, as text and as an `otpauth:` link), a phone for codes by text message where the
//! server has an SMS provider, removal with the password and a fresh code, and recovery
//! codes shown once. The app checks the password and codes; every change re-issues this
//! browser's session (the app ends every other one), so the new cookie goes back here.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use skjold_app::{App, AppError, Caller, SMS_RISK, SecondStepEnabled};
use skjold_domain::SecondStepMethod;

use super::account::failed;
use super::pages::{Frame, LangQuery, html, too_many, with_status};
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

/// The page for `caller` after `outcome`.
async fn page(app: &App, caller: Caller, page: Frame, outcome: Outcome) -> Response {
    let me = match app.me(caller).await {
        Ok(me) => me,
        Err(error) => return failed(error),
    };
    html(
        TwoStep {
            page,
            totp: me.second_steps.contains(&"totp"),
            sms: me.second_steps.contains(&"sms"),
            sms_available: app.sms_available(),
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

/// The page again with `error` beside the form's password field (`fields.0`) or the
/// field it concerns (`fields.1`); `nb_text` says in Norwegian what the app's own
/// (English) message says for input it refused. Errors that are not the person's to
/// mend are answered as the API answers them.
async fn refused(
    app: &App,
    caller: Caller,
    frame: Frame,
    error: AppError,
    fields: (&'static str, &'static str),
    nb_text: &'static str,
    keep: Outcome,
) -> Response {
    let nb = frame.nb;
    let (password, field) = fields;
    let (status, field, message) = match &error {
        AppError::InvalidCredentials | AppError::WrongCurrentPassword => (
            StatusCode::UNPROCESSABLE_ENTITY,
            password,
            if nb {
                "Feil passord."
            } else {
                "Wrong password."
            }
            .to_owned(),
        ),
        AppError::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            field,
            too_many(nb).to_owned(),
        ),
        AppError::InvalidInput(_)
        | AppError::InvalidCode
        | AppError::Contact(_)
        | AppError::SmsNotSent => (
            StatusCode::UNPROCESSABLE_ENTITY,
            field,
            if nb {
                nb_text.to_owned()
            } else {
                error.to_string()
            },
        ),
        _ => return failed(error),
    };
    let outcome = Outcome {
        field,
        error: message,
        ..keep
    };
    with_status(page(app, caller, frame, outcome).await, status)
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

/// The page after a second step was confirmed: the re-issued session, and the first
/// recovery codes if there were none.
async fn enabled(app: &App, caller: Caller, frame: Frame, done: SecondStepEnabled) -> Response {
    let outcome = Outcome {
        new_codes: done.recovery_codes.map(shown).unwrap_or_default(),
        notice: "enabled",
        ..Outcome::default()
    };
    let mut response = page(app, renewed(caller, &done.session), frame, outcome).await;
    keep_session(&mut response, &done.session);
    response
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    password: SecretString,
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
}

#[derive(Deserialize)]
pub(crate) struct RemoveForm {
    method: String,
    password: SecretString,
    #[serde(default)]
    code: Option<SecretString>,
}

/// `GET /app/two-step`.
pub(crate) async fn two_step(
    State(app): State<App>,
    uri: Uri,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    SignedIn(caller): SignedIn,
) -> Response {
    page(
        &app,
        caller,
        Frame::new(&uri, &q, &headers),
        Outcome::default(),
    )
    .await
}

/// `POST /app/two-step/totp`: with the password, a new secret for the authenticator app.
pub(crate) async fn begin_totp(
    State(app): State<App>,
    Meta(meta): Meta,
    uri: Uri,
    headers: HeaderMap,
    SignedIn(caller): SignedIn,
    Form(form): Form<PasswordForm>,
) -> Response {
    let frame = Frame::new(&uri, &LangQuery::default(), &headers);
    match app.begin_totp(caller, &form.password, &meta).await {
        Ok(setup) => {
            let outcome = Outcome {
                setup: Some((
                    setup.secret.expose_secret().to_owned(),
                    setup.otpauth_uri.expose_secret().to_owned(),
                )),
                ..Outcome::default()
            };
            page(&app, caller, frame, outcome).await
        }
        Err(error) => {
            let nb = "En autentiseringsapp er allerede satt opp: fjern den først.";
            refused(
                &app,
                caller,
                frame,
                error,
                ("totp-password", "totp-password"),
                nb,
                Outcome::default(),
            )
            .await
        }
    }
}

/// `POST /app/two-step/totp/confirm`: a code from the app proves it holds the secret.
pub(crate) async fn confirm_totp(
    State(app): State<App>,
    Meta(meta): Meta,
    uri: Uri,
    headers: HeaderMap,
    SignedIn(caller): SignedIn,
    Form(form): Form<CodeForm>,
) -> Response {
    let frame = Frame::new(&uri, &LangQuery::default(), &headers);
    match app
        .confirm_totp(caller, form.code.expose_secret(), &meta)
        .await
    {
        Ok(done) => enabled(&app, caller, frame, done).await,
        Err(error) => {
            let setup = form.secret.zip(form.uri).map(|(secret, uri)| {
                (
                    secret.expose_secret().to_owned(),
                    uri.expose_secret().to_owned(),
                )
            });
            let keep = Outcome {
                setup,
                ..Outcome::default()
            };
            let nb = "Koden stemmer ikke: skriv de 6 sifrene appen viser nå.";
            refused(
                &app,
                caller,
                frame,
                error,
                ("totp-code", "totp-code"),
                nb,
                keep,
            )
            .await
        }
    }
}

/// `POST /app/two-step/sms`: with the password, a phone number, sent a code.
pub(crate) async fn begin_sms(
    State(app): State<App>,
    Meta(meta): Meta,
    uri: Uri,
    headers: HeaderMap,
    SignedIn(caller): SignedIn,
    Form(form): Form<PhoneForm>,
) -> Response {
    let frame = Frame::new(&uri, &LangQuery::default(), &headers);
    match app
        .begin_sms(caller, &form.phone, &form.password, &meta)
        .await
    {
        Ok(_) => {
            let outcome = Outcome {
                sms_pending: true,
                notice: "sms-sent",
                ..Outcome::default()
            };
            page(&app, caller, frame, outcome).await
        }
        Err(error) => {
            let nb = "Skriv et gyldig telefonnummer med landskode, for eksempel +47 912 34 567.";
            refused(
                &app,
                caller,
                frame,
                error,
                ("sms-password", "phone"),
                nb,
                Outcome::default(),
            )
            .await
        }
    }
}

/// `POST /app/two-step/sms/confirm`: the code the phone received.
pub(crate) async fn confirm_sms(
    State(app): State<App>,
    Meta(meta): Meta,
    uri: Uri,
    headers: HeaderMap,
    SignedIn(caller): SignedIn,
    Form(form): Form<CodeForm>,
) -> Response {
    let frame = Frame::new(&uri, &LangQuery::default(), &headers);
    match app
        .confirm_sms(caller, form.code.expose_secret(), &meta)
        .await
    {
        Ok(done) => enabled(&app, caller, frame, done).await,
        Err(error) => {
            let keep = Outcome {
                sms_pending: true,
                ..Outcome::default()
            };
            let nb = "Koden stemmer ikke eller er utløpt: be om en ny.";
            refused(
                &app,
                caller,
                frame,
                error,
                ("sms-code", "sms-code"),
                nb,
                keep,
            )
            .await
        }
    }
}

/// `POST /app/two-step/send-code`: a code to the confirmed phone, to prove a removal.
pub(crate) async fn send_code(
    State(app): State<App>,
    uri: Uri,
    headers: HeaderMap,
    SignedIn(caller): SignedIn,
) -> Response {
    let frame = Frame::new(&uri, &LangQuery::default(), &headers);
    match app.send_change_code(caller).await {
        Ok(_) => page(&app, caller, frame, Outcome::notice("code-sent")).await,
        Err(error) => {
            let nb = "Koden kunne ikke sendes nå; prøv igjen om et minutt.";
            refused(
                &app,
                caller,
                frame,
                error,
                ("remove-sms-code", "remove-sms-code"),
                nb,
                Outcome::default(),
            )
            .await
        }
    }
}

/// `POST /app/two-step/remove`: a second step off, with the password and a fresh code.
pub(crate) async fn remove(
    State(app): State<App>,
    Meta(meta): Meta,
    uri: Uri,
    headers: HeaderMap,
    SignedIn(caller): SignedIn,
    Form(form): Form<RemoveForm>,
) -> Response {
    let frame = Frame::new(&uri, &LangQuery::default(), &headers);
    let Ok(method) = form.method.parse::<SecondStepMethod>() else {
        return failed(AppError::NotFound);
    };
    let fields = match method {
        SecondStepMethod::Totp => ("remove-totp-password", "remove-totp-code"),
        SecondStepMethod::Sms => ("remove-sms-password", "remove-sms-code"),
    };
    let code = form.code.as_ref().map(|c| c.expose_secret().trim());
    match app
        .remove_second_step(caller, method, &form.password, code, &meta)
        .await
    {
        Ok(issued) => {
            let mut response = page(
                &app,
                renewed(caller, &issued),
                frame,
                Outcome::notice("removed"),
            )
            .await;
            keep_session(&mut response, &issued);
            response
        }
        Err(error) => {
            let nb = "Det trengs en fersk kode: fra autentiseringsappen, en gjenopprettingskode eller en kode sendt til telefonen.";
            refused(&app, caller, frame, error, fields, nb, Outcome::default()).await
        }
    }
}

/// `POST /app/two-step/recovery-codes`: ten new recovery codes, shown once.
pub(crate) async fn new_recovery_codes(
    State(app): State<App>,
    Meta(meta): Meta,
    uri: Uri,
    headers: HeaderMap,
    SignedIn(caller): SignedIn,
    Form(form): Form<PasswordForm>,
) -> Response {
    let frame = Frame::new(&uri, &LangQuery::default(), &headers);
    match app.new_recovery_codes(caller, &form.password, &meta).await {
        Ok(codes) => {
            let outcome = Outcome {
                new_codes: shown(codes),
                notice: "codes",
                ..Outcome::default()
            };
            page(&app, caller, frame, outcome).await
        }
        Err(error) => {
            let nb = "Sett opp et andre trinn først.";
            refused(
                &app,
                caller,
                frame,
                error,
                ("codes-password", "codes-password"),
                nb,
                Outcome::default(),
            )
            .await
        }
    }
}
