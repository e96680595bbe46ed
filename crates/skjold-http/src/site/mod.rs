//! The public website (C16, C21): the landing page, the security page made from the
//! running configuration, the privacy policy, the cookie choice and security.txt, in
//! Norwegian Bokmål and English. Server-rendered, no scripts.

mod account;
mod assets;
mod audit;
mod consent;
mod contact;
mod contacts;
mod facts;
mod lang;
mod members;
mod pages;
mod profile;
mod recovery;
mod second_step;
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
        .route("/app/name", post(profile::change_name))
        .route("/app/email", post(profile::change_email))
        .route(
            "/confirm-email-change",
            get(profile::confirm_page).post(profile::confirm),
        )
        .route(
            "/forgot-password",
            get(recovery::forgot_page).post(recovery::forgot),
        )
        .route(
            "/reset-password",
            get(recovery::reset_page).post(recovery::reset),
        )
        .route("/app/two-step", get(second_step::two_step))
        .route("/app/two-step/totp", post(second_step::begin_totp))
        .route(
            "/app/two-step/totp/confirm",
            post(second_step::confirm_totp),
        )
        .route("/app/two-step/sms", post(second_step::begin_sms))
        .route("/app/two-step/sms/confirm", post(second_step::confirm_sms))
        .route("/app/two-step/send-code", post(second_step::send_code))
        .route("/app/two-step/remove", post(second_step::remove))
        .route(
            "/app/two-step/recovery-codes",
            post(second_step::new_recovery_codes),
        )
        .route("/app/sessions/end", post(sign_in::end_session))
        .route(
            "/app/sessions/end-others",
            post(sign_in::end_other_sessions),
        )
        .route("/app/contacts", get(contacts::contacts))
        .route(
            "/app/contacts/new",
            get(contact::new_contact).post(contact::create),
        )
        .route(
            "/app/contacts/{id}",
            get(contact::contact).post(contact::update),
        )
        .route("/app/contacts/{id}/delete", post(contact::delete))
        .route("/app/members", get(members::members))
        .route("/app/members/invite", post(members::invite))
        .route("/app/members/revoke", post(members::revoke))
        .route("/app/members/role", post(members::change_role))
        .route("/app/members/remove", post(members::remove))
        .route("/app/members/transfer", post(members::transfer))
        .route(
            "/accept-invitation",
            get(members::accept_page).post(members::accept),
        )
        .route("/app/audit", get(audit::audit))
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
        .route_layer(middleware::from_fn(lang::remember_language))
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
