//! Per-person limits on wrong 2-step codes (C14; ASVS 6.6.3; NIST SP 800-63B rev. 4
//! §3.2.2), over every challenge and every change of 2-step security, from any address.
//!
//! Each challenge takes at most five codes and each address only so many a minute, but
//! someone who knows the password can open challenge after challenge from address after
//! address. So the person's wrong codes are counted too, whatever their source: ten (two
//! challenges' worth) are free, then each further one makes the next code wait 1, 2, 4 …
//! seconds (at most 15 minutes), as a wrong password does for one address. Only someone
//! with the password reaches a code at all, so the wait cannot be used to lock out a
//! person whose password is safe. The tenth wrong code in a row is an alert, and the
//! person is told their password is known; at the hundredth, codes are refused outright
//! until the person chooses a new password by the mailed link. A right code starts the
//! count afresh.

use skjold_domain::UserId;
use time::Duration;

use crate::App;
use crate::auth::RequestMeta;
use crate::error::AppError;
use crate::measures::RATE_LIMITED;
use crate::ports::TokenPurpose;
use crate::rate_limits::seconds_until;
use crate::security_events::SecurityEvent;
use crate::sign_in_guard::{UNRECOGNISED_CAP, delay_after};

/// Wrong codes in a row that cost nothing; the last of them raises the alert and tells
/// the person.
const FREE_CODE_FAILURES: u64 = 10;
/// Wrong codes in a row after which no code is checked until a new password.
pub(crate) const CODE_CAP: u64 = UNRECOGNISED_CAP;

impl App {
    fn code_bucket(&self, user: UserId) -> [u8; 32] {
        self.blind_index
            .of("second_step_user_failures", &user.to_string())
    }

    /// `RateLimited` while the person's wait after wrong codes runs, or for good once
    /// [`CODE_CAP`] were wrong in a row; checked before any code is.
    pub(crate) async fn guard_codes(&self, user: UserId) -> Result<(), AppError> {
        let Some((failures, last)) = self.sign_in_guard.failures(&self.code_bucket(user)).await?
        else {
            return Ok(());
        };
        let now = self.clock.now();
        if failures >= CODE_CAP {
            metrics::counter!(RATE_LIMITED, "endpoint" => "second_step_person").increment(1);
            return Err(AppError::RateLimited {
                retry_after: seconds_until(now, now + Duration::hours(1)),
            });
        }
        // Stored times are whole seconds, rounded down: counting from the end of that
        // second never makes a wait shorter than it should be.
        let wait = delay_after(failures, FREE_CODE_FAILURES);
        let until = last + Duration::SECOND + wait;
        if wait > Duration::ZERO && now < until {
            metrics::counter!(RATE_LIMITED, "endpoint" => "second_step_person").increment(1);
            return Err(AppError::RateLimited {
                retry_after: seconds_until(now, until),
            });
        }
        Ok(())
    }

    /// Counts a wrong code against the person; the tenth in a row alerts the operator
    /// and tells the person, the hundredth also mails them the link to a new password.
    pub(crate) async fn wrong_code(
        &self,
        user: UserId,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        let failures = self
            .sign_in_guard
            .record_failure(&self.code_bucket(user), self.clock.now())
            .await?;
        if failures != FREE_CODE_FAILURES && failures != CODE_CAP {
            return Ok(());
        }
        tracing::warn!(%user, failures, "wrong 2-step codes in a row for one person");
        self.security_event(SecurityEvent::SecondStepGuessing, Some(user), meta)
            .await?;
        self.raise_alert(
            SecurityEvent::SecondStepGuessing,
            format!(
                "user {user} had {failures} wrong 2-step codes in a row: their password is known to whoever typed them"
            ),
        )
        .await;
        let Some(email) = self.email_of(user).await? else {
            return Ok(());
        };
        if failures == FREE_CODE_FAILURES {
            self.mail(&email, "Someone is trying to sign in as you", "Someone who knows your password has typed ten wrong 2-step codes for your account. Your second step kept them out, but your password is no longer a secret: choose a new one now, and sign out the sessions you do not know.").await;
            return Ok(());
        }
        let link = self
            .one_time_link(user, TokenPurpose::ResetPassword, "/reset-password")
            .await?;
        let body = format!(
            "Someone who knows your password has typed {CODE_CAP} wrong 2-step codes for your account, so we stopped accepting codes for it. To sign in again, choose a new password with this link (it works for 30 minutes):\n\n{}",
            secrecy::ExposeSecret::expose_secret(&link)
        );
        self.mail(&email, "2-step codes stopped for your account", &body)
            .await;
        Ok(())
    }

    /// A right code, or a new password by the mailed link: the person's count starts again.
    pub(crate) async fn clear_code_failures(&self, user: UserId) -> Result<(), AppError> {
        Ok(self
            .sign_in_guard
            .clear_failures(&self.code_bucket(user))
            .await?)
    }
}
