//! Second steps by text message (C13). A user adds a phone number with their password
//! and confirms it with a code sent to it; then every sign-in sends a fresh code, bound
//! to that sign-in's challenge. Codes are six digits from the CSPRNG, kept only as a
//! keyed HMAC, valid five minutes, spent by one right use, dead after five wrong ones
//! (the challenge's limit). At most one code per 30 seconds and ten an hour per user.
//!
//! SMS is a restricted authenticator (NIST SP 800-63B, ASVS 6.6.1): whoever adds it is
//! told the risk in one sentence and offered TOTP as the stronger option.

use std::time::Duration as WaitTime;

use secrecy::{ExposeSecret, SecretString};
use skjold_crypto::{TokenHash, new_numeric_code};
use skjold_domain::{PhoneNumber, SecondStepMethod, UserId};
use time::Duration;

use crate::App;
use crate::auth::{Caller, RequestMeta};
use crate::error::AppError;
use crate::ports::SmsPurpose;
use crate::rate_limits::seconds_until;
use crate::second_step::{MAX_CODE_TRIES, SecondStepEnabled, secret_column};

/// Told to everyone who adds a phone number.
pub const SMS_RISK: &str = "Codes by text message can be intercepted or redirected by someone who takes over your phone number; an authenticator app (TOTP) is safer, and you can set up both.";

const CODE_LIFETIME: Duration = Duration::minutes(5);
const SEND_GAP: Duration = Duration::seconds(30);
const SENDS_PER_HOUR: u64 = 10;
/// Tries at the provider before the user is told it failed, with doubling pauses.
const SEND_ATTEMPTS: u32 = 3;
const FIRST_RETRY: WaitTime = WaitTime::from_millis(250);

impl App {
    /// Whether this server can send codes by text message (an SMS provider is set up).
    pub fn sms_available(&self) -> bool {
        self.sms.is_some()
    }

    fn sms_sender(&self) -> Result<&dyn crate::ports::SmsSender, AppError> {
        self.sms.as_deref().ok_or(AppError::InvalidInput(
            "codes by text message are not available on this server; use an authenticator app",
        ))
    }

    /// The keyed HMAC a code is stored and compared as.
    fn code_mac(&self, user: UserId, purpose: SmsPurpose, code: &str) -> [u8; 32] {
        self.blind_index.of(
            "sms_code",
            &format!("{user}|{}|{}", purpose.as_str(), code.trim()),
        )
    }

    /// Sends a new code of `purpose` to `phone`, within the send limits, retrying the
    /// provider with doubling pauses.
    pub(crate) async fn send_code(
        &self,
        user: UserId,
        phone: &str,
        purpose: SmsPurpose,
        challenge: Option<&TokenHash>,
    ) -> Result<(), AppError> {
        let sender = self.sms_sender()?;
        let now = self.clock.now();
        let (sent, last) = self
            .sms_codes
            .sms_sends_since(user, now - Duration::hours(1))
            .await?;
        if let Some(last) = last.filter(|last| now < *last + SEND_GAP) {
            return Err(AppError::RateLimited {
                retry_after: seconds_until(now, last + SEND_GAP),
            });
        }
        if sent >= SENDS_PER_HOUR {
            return Err(AppError::RateLimited {
                retry_after: seconds_until(now, now + Duration::hours(1)),
            });
        }
        let code = new_numeric_code().map_err(|e| AppError::unexpected(e.to_string()))?;
        let mac = self.code_mac(user, purpose, code.expose_secret());
        self.sms_codes
            .put_sms_code(user, purpose, challenge, &mac, now + CODE_LIFETIME)
            .await?;
        self.sms_codes.record_sms_send(user, now).await?;
        let text = zeroize::Zeroizing::new(format!(
            "Your Skjold code is {}. It works for 5 minutes. Never tell it to anyone.",
            code.expose_secret()
        ));
        let mut pause = FIRST_RETRY;
        for attempt in 1..=SEND_ATTEMPTS {
            match sender.send(phone, &text).await {
                Ok(()) => return Ok(()),
                Err(error) => {
                    tracing::warn!(attempt, %error, "sending a text message failed");
                    if attempt < SEND_ATTEMPTS {
                        tokio::time::sleep(pause).await;
                        pause *= 2;
                    }
                }
            }
        }
        Err(AppError::SmsNotSent)
    }

    /// Whether `code` is the live code of `purpose` (and `challenge`); spends it.
    pub(crate) async fn spend_code(
        &self,
        user: UserId,
        purpose: SmsPurpose,
        challenge: Option<&TokenHash>,
        code: &str,
    ) -> Result<bool, AppError> {
        let mac = self.code_mac(user, purpose, code);
        Ok(self
            .sms_codes
            .spend_sms_code(
                user,
                purpose,
                challenge,
                &mac,
                self.clock.now(),
                MAX_CODE_TRIES,
            )
            .await?)
    }

    /// The confirmed phone number of `user`, if they have one.
    pub(crate) async fn confirmed_phone(&self, user: UserId) -> Result<Option<String>, AppError> {
        let steps = self.second_steps.second_steps(user).await?;
        let Some(sms) = steps
            .iter()
            .find(|s| s.confirmed && s.method == SecondStepMethod::Sms)
        else {
            return Ok(None);
        };
        let column = secret_column(SecondStepMethod::Sms);
        Ok(Some(self.open_user_field(
            user,
            column,
            &sms.secret.bytes,
            &sms.secret.key_id,
        )?))
    }

    /// Sends a code to the confirmed phone, for a change of 2-step security that needs
    /// one (removing a second step). Answers the number masked, to say where it went.
    pub async fn send_change_code(&self, caller: Caller) -> Result<String, AppError> {
        let user = self.current_user(caller).await?;
        let Some(phone) = self.confirmed_phone(user.id).await? else {
            return Err(AppError::NotFound);
        };
        self.send_code(user.id, &phone, SmsPurpose::ProvePhone, None)
            .await?;
        let phone = PhoneNumber::parse(&phone).map_err(skjold_domain::ContactError::from)?;
        Ok(skjold_domain::mask_phone(&phone))
    }

    /// Adds a phone number (unconfirmed) and sends it a code, with the password and, from
    /// someone who has a second step already, a fresh code of it ([`App::step_up`]).
    /// Returns the risk sentence to show.
    pub async fn begin_sms(
        &self,
        caller: Caller,
        phone: &str,
        password: &SecretString,
        code: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<&'static str, AppError> {
        self.sms_sender()?;
        let user = self.current_user(caller).await?;
        self.step_up(caller, &user, password, code, meta).await?;
        let phone = PhoneNumber::parse(phone).map_err(skjold_domain::ContactError::from)?;
        let column = secret_column(SecondStepMethod::Sms);
        let sealed = self.seal_user_field(user.id, column, phone.as_str())?;
        let stored = self
            .second_steps
            .begin_second_step(user.id, SecondStepMethod::Sms, &sealed, self.clock.now())
            .await?;
        if !stored {
            return Err(AppError::InvalidInput(
                "a phone number is already set up: remove it first to add another",
            ));
        }
        self.send_code(user.id, phone.as_str(), SmsPurpose::ProvePhone, None)
            .await?;
        Ok(SMS_RISK)
    }

    /// Confirms the phone number with the code sent to it: from now on every sign-in
    /// sends a code there. Raises the security stamp and re-issues the caller's session.
    pub async fn confirm_sms(
        &self,
        caller: Caller,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<SecondStepEnabled, AppError> {
        let user = self.current_user(caller).await?;
        if !self
            .spend_code(user.id, SmsPurpose::ProvePhone, None, code)
            .await?
        {
            return Err(AppError::InvalidInput(
                "that code is not right or has expired: ask for a new one",
            ));
        }
        let confirmed = self
            .second_steps
            .confirm_second_step(user.id, SecondStepMethod::Sms, 0, self.clock.now())
            .await?;
        if !confirmed {
            return Err(AppError::InvalidInput(
                "there is no phone number being set up: start again",
            ));
        }
        self.second_step_enabled(caller, &user, meta).await
    }
}
