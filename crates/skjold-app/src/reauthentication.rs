//! Re-authentication before a change of key information (ASVS 6.2.3, 6.3.1, 7.5.1): the
//! current password, checked under the same brute-force guard as sign-in.
//!
//! A stolen session must not become a free password-guessing oracle: every check counts
//! against the client's sign-in budget, the (address, client) pair's growing wait and
//! the client's credential-stuffing count exactly as a sign-in does, and a wrong one
//! counts towards the account's cap of failures from unrecognised devices. The session
//! itself proves an earlier sign-in, so, like a recognised device, it is never refused
//! because that cap was reached by someone else. The third wrong password in one session
//! ends the session, records a security event and raises an alert.

use secrecy::{ExposeSecret, SecretString};
use time::Duration;

use crate::App;
use crate::auth::{Caller, RequestMeta};
use crate::error::AppError;
use crate::ports::StoredUser;
use crate::rate_limits::{AuthEndpoint, window_start};
use crate::security_events::SecurityEvent;
use skjold_crypto::Verification;

/// Wrong passwords one session may type before it is ended.
const WRONG_PER_SESSION: u64 = 3;
/// The window the session's wrong passwords are counted in: longer than a session lives
/// by default, so in practice its whole life.
const SESSION_WINDOW: Duration = Duration::days(1);

impl App {
    /// Checks `password` as the caller's current one. A wrong one is recorded as
    /// `failed_action` and answered `WrongCurrentPassword`, or `Unauthenticated` once
    /// it ended the session; `RateLimited` while the guard makes the client wait.
    pub(crate) async fn reauthenticate(
        &self,
        caller: Caller,
        user: &StoredUser,
        password: &SecretString,
        failed_action: SecurityEvent,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        self.throttle(AuthEndpoint::SignIn, meta).await?;
        let address = zeroize::Zeroizing::new(self.open_email(user)?);
        let mut guard = self.guard_sign_in(&address, Some(user), None, meta).await?;
        let verification = self
            .hashes
            .verify(
                password.expose_secret().to_owned(),
                Some(user.password_hash.clone()),
            )
            .await?;
        if verification != Verification::Mismatch {
            return self.pair_passed(&guard).await;
        }
        // Taken after the check, not before: the cap never refuses a signed-in person,
        // but a wrong password still counts towards it (and may be the one reaching it).
        self.reserve_password_check(&mut guard, Some(user)).await?;
        self.sign_in_failed(&guard, Some(user), meta).await?;
        self.security_event(failed_action, Some(user.id), meta)
            .await?;
        let bucket = self
            .blind_index
            .of("reauthentication_failures", &caller.session_id.to_string());
        let window = window_start(self.clock.now(), SESSION_WINDOW);
        let wrong = self.rate_counters.hit(&bucket, window).await?;
        if wrong < WRONG_PER_SESSION {
            return Err(AppError::WrongCurrentPassword);
        }
        self.accounts.delete_session(caller.session_id).await?;
        tracing::warn!(user = %user.id, "a session was ended after {WRONG_PER_SESSION} wrong passwords");
        self.security_event(SecurityEvent::ReauthenticationFailures, Some(user.id), meta)
            .await?;
        self.raise_alert(
            SecurityEvent::ReauthenticationFailures,
            format!(
                "user {}: a session typed {WRONG_PER_SESSION} wrong passwords to re-authenticate and was ended; it may have been stolen",
                user.id
            ),
        )
        .await;
        Err(AppError::Unauthenticated)
    }
}
