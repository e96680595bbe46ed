//! Rate limits on every authentication endpoint (C14, ASVS 6.3.1): each client address
//! gets so many attempts per window at each endpoint, counted in the database so every
//! instance shares the count. Past the limit the answer is `429` with `Retry-After`, and
//! no password is checked.
//!
//! A client is its address as resolved through the trusted proxies: an IPv4 address, or
//! the /64 of an IPv6 one (one subscriber's share). The counters are keyed by a keyed
//! hash, so the table holds no address.

use std::net::IpAddr;

use time::{Duration, OffsetDateTime};

use crate::App;
use crate::auth::RequestMeta;
use crate::error::AppError;
use crate::measures::{AUTH_ATTEMPTS, RATE_LIMITED};

/// Counts one authentication attempt by how it ended, for monitoring (C14).
pub(crate) fn count_attempt(outcome: &'static str) {
    metrics::counter!(AUTH_ATTEMPTS, "outcome" => outcome).increment(1);
}

/// The endpoints that check who someone is, each with its own budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthEndpoint {
    SignIn,
    SecondStep,
    SignUp,
    PasswordReset,
    PasswordResetConfirm,
    EmailVerification,
    InvitationAccept,
    CookieConsent,
}

impl AuthEndpoint {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthEndpoint::SignIn => "sign_in",
            AuthEndpoint::SecondStep => "second_step",
            AuthEndpoint::SignUp => "sign_up",
            AuthEndpoint::PasswordReset => "password_reset",
            AuthEndpoint::PasswordResetConfirm => "password_reset_confirm",
            AuthEndpoint::EmailVerification => "email_verification",
            AuthEndpoint::InvitationAccept => "invitation_accept",
            AuthEndpoint::CookieConsent => "cookie_consent",
        }
    }

    /// Attempts one address may make per window. Generous for a person (or an office
    /// behind one address), far too few for guessing: a password list or a six-digit
    /// code space does not fit.
    fn per_address(self) -> (u64, Duration) {
        match self {
            AuthEndpoint::SignIn | AuthEndpoint::SecondStep => (20, Duration::minutes(1)),
            AuthEndpoint::SignUp | AuthEndpoint::PasswordReset => (10, Duration::hours(1)),
            AuthEndpoint::PasswordResetConfirm
            | AuthEndpoint::EmailVerification
            | AuthEndpoint::InvitationAccept => (20, Duration::hours(1)),
            // A visitor changes their mind now and then; a flood of records is refused.
            AuthEndpoint::CookieConsent => (30, Duration::hours(1)),
        }
    }
}

/// The client behind `ip`: the address, or for IPv6 its /64.
pub(crate) fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The beginning of the fixed window of length `window` that `now` lies in.
pub(crate) fn window_start(now: OffsetDateTime, window: Duration) -> OffsetDateTime {
    let length = window.whole_seconds().max(1);
    let start = now.unix_timestamp() - now.unix_timestamp().rem_euclid(length);
    OffsetDateTime::from_unix_timestamp(start).unwrap_or(now)
}

/// Whole seconds from `now` until `then`, rounded up (at least 1): a client that waits
/// as long as `Retry-After` says is not refused again.
pub(crate) fn seconds_until(now: OffsetDateTime, then: OffsetDateTime) -> u64 {
    let millis = (then - now).whole_milliseconds().max(1);
    u64::try_from((millis + 999) / 1000).unwrap_or(1)
}

/// How long counters are kept: longer than every window.
const KEEP_COUNTERS: Duration = Duration::days(1);

impl App {
    /// Counts this request against the caller's budget at `endpoint`; `RateLimited`
    /// once it is spent. The first refusal of a window is logged (ASVS 16.3.3).
    pub(crate) async fn throttle(
        &self,
        endpoint: AuthEndpoint,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        let (limit, window) = endpoint.per_address();
        let now = self.clock.now();
        let start = window_start(now, window);
        let key = format!("{}|{}", endpoint.as_str(), client_key(meta.ip));
        let bucket = self.blind_index.of("rate_limit", &key);
        let hits = self.rate_counters.hit(&bucket, start).await?;
        if hits <= limit {
            return Ok(());
        }
        metrics::counter!(RATE_LIMITED, "endpoint" => endpoint.as_str()).increment(1);
        if hits == limit + 1 {
            tracing::warn!(
                endpoint = endpoint.as_str(),
                limit,
                "rate limit reached by one client address"
            );
        }
        Err(AppError::RateLimited {
            retry_after: seconds_until(now, start + window),
        })
    }

    /// Deletes counters of windows long past; run now and then by the server.
    pub async fn forget_old_rate_counters(&self) -> Result<u64, AppError> {
        Ok(self
            .rate_counters
            .forget_before(self.clock.now() - KEEP_COUNTERS)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_an_ipv4_address_or_an_ipv6_slash_64() {
        assert_eq!(client_key("203.0.113.7".parse().unwrap()), "203.0.113.7");
        assert_eq!(
            client_key("::ffff:203.0.113.7".parse().unwrap()),
            "203.0.113.7"
        );
        assert_eq!(
            client_key("2001:db8:1:2:aaaa::1".parse().unwrap()),
            client_key("2001:db8:1:2:bbbb::9".parse().unwrap())
        );
        assert_ne!(
            client_key("2001:db8:1:2::1".parse().unwrap()),
            client_key("2001:db8:1:3::1".parse().unwrap())
        );
    }

    #[test]
    fn windows_are_aligned_and_contain_now() {
        let now = time::macros::datetime!(2026-11-25 10:17:42 UTC);
        assert_eq!(
            window_start(now, Duration::minutes(1)),
            time::macros::datetime!(2026-11-25 10:17:00 UTC)
        );
        assert_eq!(
            window_start(now, Duration::hours(1)),
            time::macros::datetime!(2026-11-25 10:00:00 UTC)
        );
    }
}
