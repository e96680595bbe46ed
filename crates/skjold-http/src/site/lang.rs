//! The site's two languages: Norwegian Bokmål (the default) and English, chosen by
//! `?lang=` when a visitor switches, else by the language they switched to before (a
//! preference cookie, kept only with consent to preference cookies), else by the
//! browser's `Accept-Language`.

use axum::extract::Request;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use super::consent::current_consent;
use crate::browser_requests::cookie;

/// The remembered language: a preference cookie (C21), set only when the visitor's
/// consent allows preferences, and cleared when it stops allowing them.
pub(crate) const LANG_COOKIE: &str = "__Host-skjold-lang";
const KEEP_SECONDS: u32 = 365 * 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Nb,
    En,
}

impl Lang {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::Nb => "nb",
            Lang::En => "en",
        }
    }

    pub(crate) fn other(self) -> Lang {
        match self {
            Lang::Nb => Lang::En,
            Lang::En => Lang::Nb,
        }
    }

    fn of_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split('-').next().unwrap_or_default().trim();
        match primary.to_ascii_lowercase().as_str() {
            "nb" | "no" | "nn" => Some(Lang::Nb),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// `asked` (from `?lang=`) if it names one, else the remembered one (with consent),
    /// else the first of the browser's languages (by weight) that the site has, else
    /// Bokmål.
    pub(crate) fn choose(asked: Option<&str>, headers: &HeaderMap) -> Lang {
        if let Some(lang) = asked.and_then(Lang::of_tag) {
            return lang;
        }
        if let Some(lang) = remembered(headers) {
            return lang;
        }
        let header = headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mut offered: Vec<(f32, usize, Lang)> = header
            .split(',')
            .enumerate()
            .filter_map(|(i, item)| {
                let mut parts = item.split(';');
                let lang = Lang::of_tag(parts.next()?)?;
                let weight = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                (weight > 0.0).then_some((weight, i, lang))
            })
            .collect();
        offered.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        offered.first().map_or(Lang::Nb, |(_, _, lang)| *lang)
    }
}

fn preferences_allowed(headers: &HeaderMap) -> bool {
    current_consent(headers).is_some_and(|c| c.choice.preferences)
}

/// The language the visitor switched to before, if they allow preference cookies.
fn remembered(headers: &HeaderMap) -> Option<Lang> {
    if !preferences_allowed(headers) {
        return None;
    }
    cookie(headers, LANG_COOKIE).and_then(Lang::of_tag)
}

/// The cookie that forgets the remembered language.
pub(crate) fn forget_language() -> HeaderValue {
    HeaderValue::from_static(
        "__Host-skjold-lang=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax",
    )
}

/// A visitor who switches language (`?lang=`) and allows preference cookies has the
/// choice remembered, so the next visit opens in it without the query.
pub(crate) async fn remember_language(request: Request, next: Next) -> Response {
    let switched = request
        .uri()
        .query()
        .and_then(|q| {
            q.split('&')
                .find_map(|pair| pair.strip_prefix("lang="))
                .and_then(Lang::of_tag)
        })
        .filter(|_| preferences_allowed(request.headers()));
    let mut response = next.run(request).await;
    if let Some(lang) = switched {
        let value = format!(
            "{LANG_COOKIE}={}; Max-Age={KEEP_SECONDS}; Path=/; Secure; HttpOnly; SameSite=Lax",
            lang.code()
        );
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(header: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_LANGUAGE, header.parse().unwrap());
        headers
    }

    #[test]
    fn the_browser_s_preference_decides_unless_the_visitor_switched() {
        assert_eq!(Lang::choose(None, &HeaderMap::new()), Lang::Nb);
        assert_eq!(Lang::choose(None, &with("en-GB,en;q=0.9")), Lang::En);
        assert_eq!(Lang::choose(None, &with("de,en;q=0.5,nb;q=0.8")), Lang::Nb);
        assert_eq!(Lang::choose(None, &with("fr, de")), Lang::Nb);
        assert_eq!(Lang::choose(None, &with("nb;q=0,en")), Lang::En);
        assert_eq!(Lang::choose(Some("en"), &with("nb")), Lang::En);
        assert_eq!(Lang::choose(Some("xx"), &with("en")), Lang::En);
    }
}
