//! Proof of cookie consent (C21): each choice a visitor makes on the site is recorded as
//! an audit event of no account, holding the consent id the visitor's cookie carries,
//! the policy version and the categories, and nothing that names the visitor (no
//! address, no user agent).

use skjold_domain::{COOKIE_POLICY_VERSION, CookieChoice, CookieConsent};

use crate::App;
use crate::auth::RequestMeta;
use crate::error::AppError;
use crate::rate_limits::AuthEndpoint;

impl App {
    /// Records `choice` under the policy in force and gives back the consent for the
    /// visitor's cookie. Limited per address like sign-up, so the record cannot be
    /// flooded.
    pub async fn record_cookie_consent(
        &self,
        choice: CookieChoice,
        meta: &RequestMeta,
    ) -> Result<CookieConsent, AppError> {
        self.throttle(AuthEndpoint::CookieConsent, meta).await?;
        let consent = CookieConsent {
            version: COOKIE_POLICY_VERSION,
            choice,
            at: self.clock.now().unix_timestamp(),
            id: skjold_crypto::new_record_id().map_err(|e| AppError::unexpected(e.to_string()))?,
        };
        let mut event = self.audit("cookie_consent", None, None, None);
        event.detail = Some(
            serde_json::json!({
                "consent": consent.id,
                "policy": consent.version,
                "preferences": choice.preferences,
                "statistics": choice.statistics,
                "marketing": choice.marketing,
            })
            .to_string(),
        );
        self.record_audit(event).await?;
        Ok(consent)
    }
}
