//! Brute-force defence on sign-in that cannot be used to lock a victim out (C14, NIST
//! SP 800-63B 5.2.2).
//!
//! A device that completes a sign-in gets a device token; presented later, it makes the
//! device recognised, and a recognised device is spared everything below. From
//! unrecognised devices:
//! - each (address tried, client) pair gets five free failures, then must wait 1, 2, 4 …
//!   seconds (at most 15 minutes) after each further one: slow for a guesser, harmless
//!   to the owner elsewhere;
//! - an account takes at most 100 consecutive failures, across all clients: then
//!   unrecognised devices are refused (before any password check) until the owner
//!   follows the link mailed to them, which resets the password, or signs in from a
//!   recognised device once the attempts have stopped for 15 minutes. Reaching the cap
//!   is a security event, and the owner is told.

use secrecy::SecretString;
use skjold_crypto::{TokenKind, hash_token, new_token};
use skjold_domain::{UserId, mask_email};
use time::Duration;

use crate::App;
use crate::auth::{RequestMeta, ip_prefix};
use crate::error::AppError;
use crate::measures::RATE_LIMITED;
use crate::ports::{StoredUser, TokenPurpose};
use crate::rate_limits::{client_key, seconds_until, window_start};
use crate::security_events::SecurityEvent;

/// Failures a (target, client) pair may make before it has to wait.
const FREE_FAILURES: u64 = 5;
const MAX_DELAY: Duration = Duration::minutes(15);
/// Consecutive failures from unrecognised devices an account takes (NIST: at most 100).
pub(crate) const UNRECOGNISED_CAP: u64 = 100;
/// Failed passwords one client may make in an hour, over all addresses it tries: more
/// looks like credential stuffing (a list of stolen pairs), even if each account sees
/// only one failure. A person mistyping does not come near.
const STUFFING_THRESHOLD: u64 = 30;
const STUFFING_WINDOW: Duration = Duration::hours(1);
/// How long unrecognised devices must have stopped trying before a sign-in from a
/// recognised device lifts the stop.
const QUIET_BEFORE_LIFT: Duration = Duration::minutes(15);

/// What the guard found out before the password is checked.
#[derive(Debug)]
pub(crate) struct SignInGuard {
    known_device: bool,
    /// The (address typed, client) pair's failure counter.
    bucket: [u8; 32],
    /// The client's failure counter over all addresses.
    client: [u8; 32],
    /// Which of the account's checks for unrecognised devices this attempt took.
    reserved: Option<u64>,
}

impl SignInGuard {
    pub(crate) fn known_device(&self) -> bool {
        self.known_device
    }
}

/// How long a counter with `failures` failures waits after the last one, when `free`
/// of them cost nothing: 1 s after the first that is not free, doubling up to
/// [`MAX_DELAY`].
pub(crate) fn delay_after(failures: u64, free: u64) -> Duration {
    if failures < free {
        return Duration::ZERO;
    }
    let exponent = u32::try_from(failures - free).unwrap_or(u32::MAX).min(20);
    Duration::seconds(1i64 << exponent).min(MAX_DELAY)
}

impl App {
    /// Recognises the device and applies the pair's delay: `RateLimited` while it runs.
    /// `target` is what was typed as the address, whether or not anyone has it, so the
    /// delays say nothing about which addresses exist.
    pub(crate) async fn guard_sign_in(
        &self,
        target: &str,
        user: Option<&StoredUser>,
        device_token: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<SignInGuard, AppError> {
        let now = self.clock.now();
        let known_device = match (user, device_token) {
            (Some(user), Some(token)) => {
                self.sign_in_guard
                    .known_device(user.id, &hash_token(token), now)
                    .await?
            }
            _ => false,
        };
        let client = client_key(meta.ip);
        let key = format!("{}|{client}", target.trim().to_lowercase());
        let guard = SignInGuard {
            known_device,
            bucket: self.blind_index.of("sign_in_failures", &key),
            client: self.blind_index.of("sign_in_client_failures", &client),
            reserved: None,
        };
        if known_device {
            return Ok(guard);
        }
        let window = window_start(now, STUFFING_WINDOW);
        if self.rate_counters.hits(&guard.client, window).await? >= STUFFING_THRESHOLD {
            metrics::counter!(RATE_LIMITED, "endpoint" => "sign_in_client").increment(1);
            return Err(AppError::RateLimited {
                retry_after: seconds_until(now, window + STUFFING_WINDOW),
            });
        }
        if let Some((failures, last)) = self.sign_in_guard.failures(&guard.bucket).await? {
            let wait = delay_after(failures, FREE_FAILURES);
            // Stored times are whole seconds, rounded down: counting from the end of
            // that second never makes a wait shorter than it should be.
            let until = last + Duration::SECOND + wait;
            if wait > Duration::ZERO && now < until {
                metrics::counter!(RATE_LIMITED, "endpoint" => "sign_in_pair").increment(1);
                return Err(AppError::RateLimited {
                    retry_after: seconds_until(now, until),
                });
            }
        }
        Ok(guard)
    }

    /// Takes one of the account's password checks for an unrecognised device, before
    /// the check, in one statement: so even attempts racing each other on several
    /// instances never get more than [`UNRECOGNISED_CAP`] checks between two successful
    /// sign-ins. `true` if the account refuses this device (the checks are used up).
    pub(crate) async fn reserve_password_check(
        &self,
        guard: &mut SignInGuard,
        user: Option<&StoredUser>,
    ) -> Result<bool, AppError> {
        match user {
            Some(user) if !guard.known_device => {
                let taken = self
                    .sign_in_guard
                    .count_unrecognised_failure(user.id, self.clock.now())
                    .await?;
                guard.reserved = Some(taken);
                Ok(taken > UNRECOGNISED_CAP)
            }
            _ => Ok(false),
        }
    }

    /// Counts a wrong password from an unrecognised device for its pair and its client;
    /// the one that took the account's last check records the security event and mails
    /// the owner a link that unlocks by resetting the password.
    pub(crate) async fn sign_in_failed(
        &self,
        guard: &SignInGuard,
        user: Option<&StoredUser>,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        if guard.known_device {
            return Ok(());
        }
        let now = self.clock.now();
        self.sign_in_guard
            .record_failure(&guard.bucket, now)
            .await?;
        let from_client = self
            .rate_counters
            .hit(&guard.client, window_start(now, STUFFING_WINDOW))
            .await?;
        if from_client == STUFFING_THRESHOLD {
            tracing::warn!(
                "one client failed {STUFFING_THRESHOLD} passwords within an hour: credential stuffing suspected; it waits for the hour to end"
            );
            self.security_event(SecurityEvent::CredentialStuffingSuspected, None, meta)
                .await?;
            self.raise_alert(
                SecurityEvent::CredentialStuffingSuspected,
                format!(
                    "one client (network {}) failed {STUFFING_THRESHOLD} passwords within an hour; it is refused until the hour ends",
                    ip_prefix(meta.ip)
                ),
            )
            .await;
        }
        self.count_towards_spike().await?;
        if let (Some(user), Some(UNRECOGNISED_CAP)) = (user, guard.reserved) {
            self.cap_reached(user.id, meta).await?;
        }
        Ok(())
    }

    async fn cap_reached(&self, user: UserId, meta: &RequestMeta) -> Result<(), AppError> {
        tracing::warn!(%user, "sign-in from new devices stopped after {UNRECOGNISED_CAP} failed passwords");
        self.security_event(SecurityEvent::SignInLockedForNewDevices, Some(user), meta)
            .await?;
        self.raise_alert(
            SecurityEvent::SignInLockedForNewDevices,
            format!(
                "user {user} had {UNRECOGNISED_CAP} failed passwords from unrecognised devices; new devices are refused until they sign in from a known one or reset the password"
            ),
        )
        .await;
        let email = self.email_of(user).await?;
        let masked = email.as_ref().map_or("a member".to_owned(), mask_email);
        self.tell_owners_of(user, "Sign-in attacks on a member of your account", |account| {
            format!(
                "Someone has tried {UNRECOGNISED_CAP} wrong passwords on {masked}, a member of {account}, from devices they have not signed in from before. Skjold stopped sign-ins to that member from new devices; their known devices still work, and they were sent a link to choose a new password.\n\nNothing else needs doing unless the member tells you the attempts were theirs."
            )
        })
        .await?;
        let Some(email) = email else {
            return Ok(());
        };
        let link = self
            .one_time_link(user, TokenPurpose::ResetPassword, "/reset-password")
            .await?;
        let body = format!(
            "Someone has tried {UNRECOGNISED_CAP} wrong passwords on your account from devices you have not signed in from before, so we stopped sign-ins from new devices. Devices you have signed in from before still work.\n\nTo sign in from a new device again, choose a new password with this link (it works for 30 minutes):\n\n{}\n\nIf the attempts were not you, a new password is a good idea anyway.",
            secrecy::ExposeSecret::expose_secret(&link)
        );
        self.mail(&email, "Sign-in from new devices stopped", &body)
            .await;
        Ok(())
    }

    /// A right password. From an unrecognised device (possible only below the cap) the
    /// pair and the account start again from zero. From a recognised device only the
    /// account does, and only once unrecognised devices have been quiet for
    /// [`QUIET_BEFORE_LIFT`]: the owner signing in during an attack must not hand the
    /// attacker another hundred guesses.
    pub(crate) async fn sign_in_passed(
        &self,
        guard: &SignInGuard,
        user: UserId,
    ) -> Result<(), AppError> {
        if guard.known_device {
            let quiet_since = self.clock.now() - QUIET_BEFORE_LIFT;
            self.sign_in_guard
                .clear_unrecognised_failures(user, Some(quiet_since))
                .await?;
        } else {
            self.sign_in_guard.clear_failures(&guard.bucket).await?;
            self.sign_in_guard
                .clear_unrecognised_failures(user, None)
                .await?;
        }
        Ok(())
    }

    /// A right password typed again in a session: the (address, client) pair starts
    /// again, the account's count does not (the session is a recognised device, and
    /// lifting that count is [`App::sign_in_passed`]'s business).
    pub(crate) async fn pair_passed(&self, guard: &SignInGuard) -> Result<(), AppError> {
        Ok(self.sign_in_guard.clear_failures(&guard.bucket).await?)
    }

    /// A new device token for `user`, remembered as theirs.
    pub(crate) async fn new_device(&self, user: UserId) -> Result<SecretString, AppError> {
        let (token, hash) =
            new_token(TokenKind::Device).map_err(|e| AppError::unexpected(e.to_string()))?;
        self.sign_in_guard
            .add_device(user, &hash, self.clock.now())
            .await?;
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_are_free_then_the_wait_doubles_up_to_a_cap() {
        let delay = |failures| delay_after(failures, FREE_FAILURES);
        assert_eq!(delay(4), Duration::ZERO);
        assert_eq!(delay(5), Duration::seconds(1));
        assert_eq!(delay(6), Duration::seconds(2));
        assert_eq!(delay(10), Duration::seconds(32));
        assert_eq!(delay(20), MAX_DELAY);
        assert_eq!(delay(u64::MAX), MAX_DELAY);
        assert_eq!(delay_after(9, 10), Duration::ZERO);
        assert_eq!(delay_after(10, 10), Duration::seconds(1));
    }
}
