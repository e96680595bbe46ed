//! The site's pages, rendered on the server from compile-time checked templates
//! (`templates/`). No page has a script or an inline style (CSP `default-src 'self'`).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use skjold_domain::CookieChoice;
use time::OffsetDateTime;

use super::assets::{favicon_path, site_css_path};
use super::consent::current_consent;
use super::facts::SiteFacts;
use super::lang::Lang;
use crate::browser_requests::cookie;
use crate::routes::api::SESSION_COOKIE;

/// Query fields the language link and the cookie form's way back leave out: the
/// language itself, and what only the answer to a form says once (`done`, `saved`).
const ONE_TIME: [&str; 3] = ["lang=", "done=", "saved="];

/// What every page's frame needs: language, where the page is, the banner.
pub(crate) struct Frame {
    pub(super) nb: bool,
    pub(super) lang_code: &'static str,
    pub(super) other_lang: &'static str,
    /// `?lang=<code>` when the visitor switched language, for the site's own links, so
    /// the switch holds from page to page; otherwise empty (the browser's choice holds).
    pub(super) keep: &'static str,
    /// Where the page is, for the language link and the cookie form's way back: a page
    /// answering a form's post names the page it stands for instead.
    pub(super) path: String,
    /// The query's fields but [`ONE_TIME`] ones (`account=…`), kept by both.
    pub(super) query: String,
    pub(super) css: &'static str,
    pub(super) icon: &'static str,
    /// A session cookie came along: the menu leads to the app instead of the login.
    pub(super) signed_in: bool,
    /// No choice yet (or one under an older policy): the banner asks.
    pub(super) banner: bool,
    /// The current choice, to fill in the form; none chosen: all off.
    pub(super) choice: CookieChoice,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct LangQuery {
    pub(super) lang: Option<String>,
}

impl Frame {
    /// This page in the other language.
    pub(crate) fn switch(&self) -> String {
        let sep = if self.query.is_empty() { "" } else { "&" };
        format!("{}?{}{sep}lang={}", self.path, self.query, self.other_lang)
    }

    /// This page as the cookie form returns to it, in this language if it was switched.
    pub(crate) fn back(&self) -> String {
        if self.query.is_empty() {
            format!("{}{}", self.path, self.keep)
        } else {
            format!("{}?{}{}", self.path, self.query, self.and_keep())
        }
    }

    /// [`Frame::keep`] for a link whose query already has a field: `&lang=<code>`.
    pub(crate) fn and_keep(&self) -> &'static str {
        match self.keep {
            "" => "",
            _ if self.nb => "&lang=nb",
            _ => "&lang=en",
        }
    }

    pub(crate) fn new(uri: &Uri, query: &LangQuery, headers: &HeaderMap) -> Frame {
        let lang = Lang::choose(query.lang.as_deref(), headers);
        let consent = current_consent(headers);
        Frame {
            nb: lang == Lang::Nb,
            lang_code: lang.code(),
            other_lang: lang.other().code(),
            keep: match (query.lang.is_some(), lang) {
                (false, _) => "",
                (true, Lang::Nb) => "?lang=nb",
                (true, Lang::En) => "?lang=en",
            },
            path: uri.path().to_owned(),
            query: uri
                .query()
                .unwrap_or_default()
                .split('&')
                .filter(|pair| !pair.is_empty() && !ONE_TIME.iter().any(|f| pair.starts_with(f)))
                .collect::<Vec<_>>()
                .join("&"),
            css: site_css_path(),
            icon: favicon_path(),
            signed_in: cookie(headers, SESSION_COOKIE).is_some(),
            banner: consent.is_none(),
            choice: consent.map(|c| c.choice).unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    page: Frame,
}

#[derive(Template)]
#[template(path = "security.html")]
struct Security<'a> {
    page: Frame,
    facts: &'a SiteFacts,
    tls_versions: &'static str,
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct Privacy {
    page: Frame,
}

#[derive(Template)]
#[template(path = "cookies.html")]
struct Cookies {
    page: Frame,
    /// When the current choice was made.
    made: Option<String>,
}

/// A time as the pages show it: UTC, to the minute (`2026-11-26 12:38`).
pub(crate) fn utc_minute(at: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// A form posted from another site (see `crate::browser_requests::same_site`).
pub(crate) fn refused() -> Response {
    (
        StatusCode::FORBIDDEN,
        "This form can only be sent from this site.",
    )
        .into_response()
}

/// What a form says beside a new password the policy refused.
pub(crate) fn weak_password(nb: bool) -> &'static str {
    if nb {
        "Velg et lengre passord som ikke er blant de vanligste; noen ord som ikke hører sammen er et sterkt passord."
    } else {
        "Choose a longer password that is not among the most common; a few unrelated words make a strong one."
    }
}

/// What a form says beside an e-mail address that is none.
pub(crate) fn invalid_email(nb: bool) -> &'static str {
    if nb {
        "Skriv en gyldig e-postadresse."
    } else {
        "Enter a valid e-mail address."
    }
}

/// What a form says beside a wrong current password.
pub(crate) fn wrong_password(nb: bool) -> &'static str {
    if nb {
        "Feil passord."
    } else {
        "Wrong password."
    }
}

/// What a form says when the visitor's address has used up its attempts for now.
pub(crate) fn too_many(nb: bool) -> &'static str {
    if nb {
        "For mange forsøk. Vent litt og prøv igjen."
    } else {
        "Too many attempts. Wait a while and try again."
    }
}

/// `response` with `status` (a form's page again, with what was wrong).
pub(crate) fn with_status(mut response: Response, status: StatusCode) -> Response {
    *response.status_mut() = status;
    response
}

/// A rendered page; a template that fails to render is a server error, logged.
pub(crate) fn html(rendered: askama::Result<String>) -> Response {
    match rendered {
        Ok(body) => Html(body).into_response(),
        Err(error) => {
            tracing::error!(%error, "a page did not render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

pub(crate) async fn home(uri: Uri, Query(q): Query<LangQuery>, headers: HeaderMap) -> Response {
    html(
        Home {
            page: Frame::new(&uri, &q, &headers),
        }
        .render(),
    )
}

pub(crate) async fn security(
    State(facts): State<Arc<SiteFacts>>,
    uri: Uri,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    html(
        Security {
            page: Frame::new(&uri, &q, &headers),
            facts: &facts,
            // What the TLS listener offers (crate::tls).
            tls_versions: "TLS 1.3, TLS 1.2",
        }
        .render(),
    )
}

pub(crate) async fn privacy(uri: Uri, Query(q): Query<LangQuery>, headers: HeaderMap) -> Response {
    html(
        Privacy {
            page: Frame::new(&uri, &q, &headers),
        }
        .render(),
    )
}

/// `GET /cookies`: the choice form on its own page, filled with the current choice.
pub(crate) async fn cookies(uri: Uri, Query(q): Query<LangQuery>, headers: HeaderMap) -> Response {
    let made = current_consent(&headers).and_then(|c| {
        OffsetDateTime::from_unix_timestamp(c.at)
            .ok()
            .map(utc_minute)
    });
    let mut page = Frame::new(&uri, &q, &headers);
    // The form is the page: no banner above it.
    page.banner = false;
    html(Cookies { page, made }.render())
}

/// `GET /.well-known/security.txt` (RFC 9116): where to report a vulnerability.
pub(crate) async fn security_txt(State(facts): State<Arc<SiteFacts>>) -> Response {
    let expires = OffsetDateTime::now_utc() + time::Duration::days(365);
    let body = format!(
        "Contact: {}\nExpires: {:04}-{:02}-{:02}T00:00:00Z\nPreferred-Languages: nb, en\nPolicy: /security#disclosure\n",
        facts.security_contact,
        expires.year(),
        u8::from(expires.month()),
        expires.day()
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}
