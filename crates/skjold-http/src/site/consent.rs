//! The cookie choice (C21). Before a visitor chooses, the site sets no cookie at all;
//! the banner offers "accept all", "reject all" and a choice per category, equally
//! prominent, in a plain form that needs no script. The choice is kept in one strictly
//! necessary cookie and recorded by the server (see `App::record_cookie_consent`);
//! changing or withdrawing it is the same form, one click away in every page's footer.
//! A choice made under an older policy version counts as none: the banner asks again.

use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use skjold_app::App;
use skjold_domain::{CookieChoice, CookieConsent};

use super::lang::forget_language;
use crate::browser_requests::cookie;
use crate::routes::api::Meta;

/// `__Host-`: sent only over HTTPS, only to this host, for every path (C16).
pub(crate) const CONSENT_COOKIE: &str = "__Host-skjold-consent";
/// A choice is asked for again after a year.
const KEEP_SECONDS: u32 = 365 * 24 * 3600;

/// The visitor's current choice, if they made one under the policy in force.
pub(crate) fn current_consent(headers: &HeaderMap) -> Option<CookieConsent> {
    cookie(headers, CONSENT_COOKIE)
        .and_then(|value| value.parse::<CookieConsent>().ok())
        .filter(CookieConsent::is_current)
}

/// What the banner's and the settings page's form sends.
#[derive(Debug, Deserialize)]
pub(crate) struct ChoiceForm {
    /// `all`, `none` or `some` (the boxes below).
    choice: String,
    #[serde(default)]
    preferences: Option<String>,
    #[serde(default)]
    statistics: Option<String>,
    #[serde(default)]
    marketing: Option<String>,
    /// The page to go back to.
    #[serde(default)]
    back: Option<String>,
}

impl ChoiceForm {
    fn choice(&self) -> Option<CookieChoice> {
        match self.choice.as_str() {
            "all" => Some(CookieChoice::ALL),
            "none" => Some(CookieChoice::NONE),
            "some" => Some(CookieChoice {
                preferences: self.preferences.is_some(),
                statistics: self.statistics.is_some(),
                marketing: self.marketing.is_some(),
            }),
            _ => None,
        }
    }

    /// A path on this site only: never another host (`//evil`, `/\evil`).
    fn back(&self) -> &str {
        match self.back.as_deref() {
            Some(path)
                if path.starts_with('/')
                    && !path.starts_with("//")
                    && !path.contains('\\')
                    && path.bytes().all(|b| b.is_ascii_graphic()) =>
            {
                path
            }
            _ => "/",
        }
    }
}

/// `POST /cookies`: records the choice, keeps it in the consent cookie and goes back.
pub(crate) async fn choose(
    State(app): State<App>,
    Meta(meta): Meta,
    Form(form): Form<ChoiceForm>,
) -> Response {
    let Some(choice) = form.choice() else {
        return (StatusCode::BAD_REQUEST, "Choose all, none or some.").into_response();
    };
    let consent = match app.record_cookie_consent(choice, &meta).await {
        Ok(consent) => consent,
        Err(error) => return crate::problem::Problem::from(error).into_response(),
    };
    let cookie = format!(
        "{CONSENT_COOKIE}={consent}; Max-Age={KEEP_SECONDS}; Path=/; Secure; HttpOnly; SameSite=Lax"
    );
    let mut response = Redirect::to(form.back()).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    if !choice.preferences {
        response
            .headers_mut()
            .append(header::SET_COOKIE, forget_language());
    }
    response
}
