//! The public website (C16, C21): the landing page, the security page made from the
//! running configuration, the privacy policy, the cookie choice and security.txt, in
//! Norwegian Bokmål and English. Server-rendered, no scripts.

mod account;
mod assets;
mod consent;
mod facts;
mod lang;
mod pages;
mod sign_in;
mod sign_up;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use skjold_app::App;

pub use facts::SiteFacts;

/// The site's routes.
pub(crate) fn router(app: App, facts: Arc<SiteFacts>) -> Router {
    let pages = Router::new()
        .route("/security", get(pages::security))
        .route("/.well-known/security.txt", get(pages::security_txt))
        .with_state(facts);
    let consent = Router::new()
        .route("/cookies", get(pages::cookies).post(consent::choose))
        .route("/login", get(sign_in::login_page).post(sign_in::login))
        .route("/login/second-step", post(sign_in::second_step))
        .route("/app", get(sign_in::home))
        .route("/app/password", post(sign_in::change_password))
        .route("/app/sessions/end", post(sign_in::end_session))
        .route(
            "/app/sessions/end-others",
            post(sign_in::end_other_sessions),
        )
        .route("/app/contacts", get(account::contacts))
        .route("/app/audit", get(account::audit))
        .route("/signup", get(sign_up::signup_page).post(sign_up::signup))
        .route(
            "/verify-email",
            get(sign_up::verify_page).post(sign_up::verify),
        )
        .route("/logout", post(sign_in::logout))
        .with_state(app);
    Router::new()
        .route("/", get(pages::home))
        .route("/privacy", get(pages::privacy))
        .route("/assets/{name}", get(assets::asset))
        .merge(pages)
        .merge(consent)
        .route_layer(middleware::from_fn(same_site_forms))
}

/// Every form the site posts must come from the site's own pages (CSRF): checked once
/// here for all of them, so a new form cannot forget it.
async fn same_site_forms(request: Request, next: Next) -> Response {
    if !request.method().is_safe()
        && !crate::browser_requests::same_site(request.headers(), request.uri())
    {
        return pages::refused();
    }
    next.run(request).await
}
