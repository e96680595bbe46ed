//! 2-step security (C13): a second step after the password, set up and removed by the
//! user with their password, and asked for at every sign-in once confirmed.
//!
//! A sign-in whose password is right but which needs a second step gets a challenge, not
//! a session: a random token, kept only as its hash, that lives five minutes, takes at
//! most five wrong codes and is spent by the right one (ASVS 6.6.2: the code is bound to
//! the sign-in that asked for it). Ten single-use recovery codes stand in for a lost
//! authenticator. Every change of the second steps raises the security stamp.

use secrecy::{ExposeSecret, SecretString};
use skjold_crypto::{
    TokenHash, TokenKind, TotpSecret, hash_recovery_code, hash_token, new_recovery_code, new_token,
};
use skjold_domain::{AccountId, SecondStepMethod, UserId};
use time::Duration;

use crate::App;
use crate::auth::{Caller, IssuedSession, RequestMeta};
use crate::error::AppError;
use crate::permissions::{AccountScope, Operation};
use crate::ports::SmsPurpose;
use crate::ports::{StoredSecondStep, StoredUser};
use crate::rate_limits::{AuthEndpoint, count_attempt};
use crate::security_events::SecurityEvent;

/// How long a challenge waits for its code.
const CHALLENGE_LIFETIME: Duration = Duration::minutes(5);
/// Wrong codes a challenge takes before it dies (ASVS 6.6.3, with the rate limits).
pub(crate) const MAX_CODE_TRIES: u32 = 5;
const RECOVERY_CODES: usize = 10;
/// The name authenticator apps show above the code.
const ISSUER: &str = "Skjold";

/// Where a second step's secret lives in the users row it is bound to.
pub(crate) fn secret_column(method: SecondStepMethod) -> &'static str {
    match method {
        SecondStepMethod::Totp => "totp_secret",
        SecondStepMethod::Sms => "sms_phone",
    }
}

/// The outcome of a right password.
#[derive(Debug)]
pub enum SignIn {
    /// No second step: signed in.
    Session(IssuedSession),
    /// A second step is needed: complete the challenge with a code of one of `methods`
    /// (`recovery_code` always among them).
    SecondStep {
        challenge: SecretString,
        methods: Vec<&'static str>,
    },
}

/// What an authenticator app needs to add the account: shown once, at set-up.
#[derive(Debug)]
pub struct TotpSetup {
    pub secret: SecretString,
    pub otpauth_uri: SecretString,
}

/// A second step now in force: the caller's session re-issued (the stamp rose), and
/// recovery codes if the user had none.
#[derive(Debug)]
pub struct SecondStepEnabled {
    pub session: IssuedSession,
    pub recovery_codes: Option<Vec<SecretString>>,
}

fn unix_time(t: time::OffsetDateTime) -> u64 {
    u64::try_from(t.unix_timestamp()).unwrap_or(0)
}

fn step_number(step: u64) -> Result<i64, AppError> {
    i64::try_from(step).map_err(|_| AppError::unexpected("TOTP step out of range"))
}

impl App {
    /// After a right password: a session if the user has no confirmed second step, else
    /// a challenge for one.
    pub(crate) async fn session_or_challenge(
        &self,
        user: &StoredUser,
        known_device: bool,
        meta: &RequestMeta,
    ) -> Result<SignIn, AppError> {
        let steps = self.second_steps.second_steps(user.id).await?;
        let mut methods: Vec<&'static str> = steps
            .iter()
            .filter(|s| s.confirmed)
            .map(|s| s.method.as_str())
            .collect();
        if methods.is_empty() {
            return Ok(SignIn::Session(
                self.finish_sign_in(user, known_device, meta).await?,
            ));
        }
        methods.push("recovery_code");
        count_attempt("second_step_required");
        let (challenge, hash) = new_token(TokenKind::SignInChallenge)
            .map_err(|e| AppError::unexpected(e.to_string()))?;
        self.second_steps
            .create_challenge(&hash, user.id, self.clock.now() + CHALLENGE_LIFETIME)
            .await?;
        self.security_event(SecurityEvent::LoginSecondStepAsked, Some(user.id), meta)
            .await?;
        if let Some(phone) = self.confirmed_phone(user.id).await? {
            // A code that cannot be sent now (limits, provider) leaves the challenge to
            // the other methods; the user is not told which, as no one is signed in.
            if let Err(error) = self
                .send_code(user.id, &phone, SmsPurpose::SignIn, Some(&hash))
                .await
            {
                tracing::warn!(%error, "no sign-in code was sent by text message");
            }
        }
        Ok(SignIn::SecondStep { challenge, methods })
    }

    /// `SecondStepRequired` if `account` requires 2-step security and `caller` has none:
    /// such a member is sent to set it up before anything else in the account.
    pub(crate) async fn require_second_step_policy(
        &self,
        caller: Caller,
        account: AccountId,
    ) -> Result<(), AppError> {
        if !self.accounts.second_step_required(account).await? {
            return Ok(());
        }
        let steps = self.second_steps.second_steps(caller.user_id).await?;
        if steps.iter().any(|s| s.confirmed) {
            Ok(())
        } else {
            Err(AppError::SecondStepRequired)
        }
    }

    /// The owner requires (or stops requiring) 2-step security of every member. To
    /// require it, the owner needs a second step first.
    pub async fn set_second_step_policy(
        &self,
        scope: AccountScope,
        required: bool,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        scope.require(Operation::RequireSecondStep)?;
        let owner = scope.caller().ok_or(AppError::Forbidden)?;
        if required {
            let steps = self.second_steps.second_steps(owner.user_id).await?;
            if !steps.iter().any(|s| s.confirmed) {
                return Err(AppError::InvalidInput(
                    "set up 2-step security for yourself before requiring it of everyone",
                ));
            }
        }
        self.accounts
            .set_second_step_required(scope.account(), required)
            .await?;
        self.record_account_event("second_step_policy_changed", &scope, meta)
            .await
    }

    /// Completes a sign-in with a code: TOTP or a recovery code. Every failure is the same
    /// [`AppError::InvalidCode`]; a challenge takes at most five codes, and the person
    /// only so many wrong ones over all their challenges ([`App::guard_codes`]).
    pub async fn complete_second_step(
        &self,
        challenge: &str,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<IssuedSession, AppError> {
        self.throttle(AuthEndpoint::SecondStep, meta).await?;
        let hash = hash_token(challenge);
        let now = self.clock.now();
        let Some(user_id) = self
            .second_steps
            .take_challenge_try(&hash, now, MAX_CODE_TRIES)
            .await?
        else {
            return Err(AppError::InvalidCode);
        };
        self.guard_codes(user_id).await?;
        let accepted = self
            .check_code(user_id, Some((SmsPurpose::SignIn, Some(&hash))), code)
            .await?;
        if !accepted {
            count_attempt("wrong_code");
            self.security_event(SecurityEvent::SecondStepFailed, Some(user_id), meta)
                .await?;
            self.wrong_code(user_id, meta).await?;
            return Err(AppError::InvalidCode);
        }
        if !self.second_steps.spend_challenge(&hash, now).await? {
            return Err(AppError::InvalidCode);
        }
        let user = self
            .accounts
            .user(user_id)
            .await?
            .ok_or(AppError::InvalidCode)?;
        // The second step carries no device token: the device is remembered anew.
        self.finish_sign_in(&user, false, meta).await
    }

    /// Whether `code` is a right, unused code of `user`: a recovery code, the text-message
    /// code sent for `sms`'s purpose (and challenge) if those count, or a TOTP code;
    /// spends it, and a right one starts the person's count of wrong codes afresh.
    async fn check_code(
        &self,
        user: UserId,
        sms: Option<(SmsPurpose, Option<&TokenHash>)>,
        code: &str,
    ) -> Result<bool, AppError> {
        let right = self.code_is_right(user, sms, code).await?;
        if right {
            self.clear_code_failures(user).await?;
        }
        Ok(right)
    }

    async fn code_is_right(
        &self,
        user: UserId,
        sms: Option<(SmsPurpose, Option<&TokenHash>)>,
        code: &str,
    ) -> Result<bool, AppError> {
        let code = code.trim();
        if let Some(hash) = hash_recovery_code(code) {
            return Ok(self
                .second_steps
                .use_recovery_code(user, &hash, self.clock.now())
                .await?);
        }
        if let Some((purpose, challenge)) = sms
            && self.spend_code(user, purpose, challenge, code).await?
        {
            return Ok(true);
        }
        let steps = self.second_steps.second_steps(user).await?;
        let Some(totp) = steps
            .iter()
            .find(|s| s.confirmed && s.method == SecondStepMethod::Totp)
        else {
            return Ok(false);
        };
        let secret = self.open_totp_secret(user, totp)?;
        match secret.verify(code, unix_time(self.clock.now())) {
            Some(step) => Ok(self
                .second_steps
                .use_totp_step(user, step_number(step)?)
                .await?),
            None => Ok(false),
        }
    }

    fn open_totp_secret(
        &self,
        user: UserId,
        stored: &StoredSecondStep,
    ) -> Result<TotpSecret, AppError> {
        let column = secret_column(SecondStepMethod::Totp);
        let text = zeroize::Zeroizing::new(self.open_user_field(
            user,
            column,
            &stored.secret.bytes,
            &stored.secret.key_id,
        )?);
        TotpSecret::from_base32(&text).map_err(|e| AppError::unexpected(e.to_string()))
    }

    /// Starts setting up an authenticator app: a new secret, stored unconfirmed until a
    /// code from the app proves it was added. Needs the password (ASVS 6.2.3 for key
    /// information) and, from someone who has a second step already, a fresh code of it
    /// ([`App::step_up`]); refused while a confirmed TOTP exists (remove it first).
    pub async fn begin_totp(
        &self,
        caller: Caller,
        password: &SecretString,
        code: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<TotpSetup, AppError> {
        let user = self.current_user(caller).await?;
        self.step_up(caller, &user, password, code, meta).await?;
        let secret = TotpSecret::generate().map_err(|e| AppError::unexpected(e.to_string()))?;
        let base32 = secret.to_base32();
        let column = secret_column(SecondStepMethod::Totp);
        let sealed = self.seal_user_field(user.id, column, base32.expose_secret())?;
        let stored = self
            .second_steps
            .begin_second_step(user.id, SecondStepMethod::Totp, &sealed, self.clock.now())
            .await?;
        if !stored {
            return Err(AppError::InvalidInput(
                "an authenticator app is already set up: remove it first to set up another",
            ));
        }
        let label = self.open_email(&user)?;
        let otpauth_uri = secret
            .otpauth_uri(ISSUER, &label)
            .map_err(|e| AppError::unexpected(e.to_string()))?;
        Ok(TotpSetup {
            secret: base32,
            otpauth_uri,
        })
    }

    /// Confirms the authenticator app with a code from it: from now on every sign-in asks
    /// for a code. Raises the security stamp (other sessions end) and re-issues the
    /// caller's session; gives the first recovery codes.
    pub async fn confirm_totp(
        &self,
        caller: Caller,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<SecondStepEnabled, AppError> {
        let wrong = AppError::InvalidInput(
            "that code is not right: type the 6 digits your authenticator app shows now",
        );
        let user = self.current_user(caller).await?;
        let steps = self.second_steps.second_steps(user.id).await?;
        let pending = steps
            .iter()
            .find(|s| !s.confirmed && s.method == SecondStepMethod::Totp)
            .ok_or(AppError::InvalidInput(
                "there is no authenticator app being set up: start again",
            ))?;
        let secret = self.open_totp_secret(user.id, pending)?;
        let step = secret
            .verify(code.trim(), unix_time(self.clock.now()))
            .ok_or(wrong)?;
        let confirmed = self
            .second_steps
            .confirm_second_step(
                user.id,
                SecondStepMethod::Totp,
                step_number(step)?,
                self.clock.now(),
            )
            .await?;
        if !confirmed {
            return Err(AppError::InvalidInput(
                "there is no authenticator app being set up: start again",
            ));
        }
        self.second_step_enabled(caller, &user, meta).await
    }

    /// What follows the confirmation of any second step: the first recovery codes if
    /// the user has none, and [`App::second_step_changed`].
    pub(crate) async fn second_step_enabled(
        &self,
        caller: Caller,
        user: &StoredUser,
        meta: &RequestMeta,
    ) -> Result<SecondStepEnabled, AppError> {
        let recovery_codes = if self.second_steps.recovery_codes_left(user.id).await? == 0 {
            Some(self.replace_recovery_codes(user.id).await?)
        } else {
            None
        };
        let session = self
            .second_step_changed(caller, user, SecurityEvent::SecondStepEnabled, meta)
            .await?;
        Ok(SecondStepEnabled {
            session,
            recovery_codes,
        })
    }

    /// Removes a second step, with the password and a fresh code ([`App::step_up`]), so
    /// a stolen session with a known password cannot take 2-step security off. A step
    /// still being set up guards nothing yet: the password alone removes it. With the
    /// last step go the recovery codes. Raises the security stamp and re-issues the
    /// caller's session. Changing the phone is removing it and adding the new one.
    pub async fn remove_second_step(
        &self,
        caller: Caller,
        method: SecondStepMethod,
        password: &SecretString,
        code: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<IssuedSession, AppError> {
        let user = self.current_user(caller).await?;
        let steps = self.second_steps.second_steps(user.id).await?;
        let Some(step) = steps.iter().find(|s| s.method == method) else {
            return Err(AppError::NotFound);
        };
        if step.confirmed {
            self.step_up(caller, &user, password, code, meta).await?;
        } else {
            self.reauthenticate(
                caller,
                &user,
                password,
                SecurityEvent::SecondStepChangeFailed,
                meta,
            )
            .await?;
        }
        if !self
            .second_steps
            .remove_second_step(user.id, method)
            .await?
        {
            return Err(AppError::NotFound);
        }
        self.second_step_changed(caller, &user, SecurityEvent::SecondStepRemoved, meta)
            .await
    }

    /// The proof asked before any change of 2-step security (ASVS 6.4.3, 7.5.1): the
    /// password, and, once the person has a confirmed second step, a fresh code from
    /// what they already had: their authenticator app, a code sent to their confirmed
    /// phone by [`App::send_change_code`], or a recovery code. Nothing the same session
    /// could make with the password alone counts: a phone or app being set up is not
    /// confirmed, and new recovery codes need this proof themselves. A wrong code counts
    /// against the person's code budget like one at sign-in.
    pub(crate) async fn step_up(
        &self,
        caller: Caller,
        user: &StoredUser,
        password: &SecretString,
        code: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        self.reauthenticate(
            caller,
            user,
            password,
            SecurityEvent::SecondStepChangeFailed,
            meta,
        )
        .await?;
        let steps = self.second_steps.second_steps(user.id).await?;
        if !steps.iter().any(|s| s.confirmed) {
            return Ok(());
        }
        self.throttle(AuthEndpoint::SecondStep, meta).await?;
        self.guard_codes(user.id).await?;
        let sms = steps
            .iter()
            .any(|s| s.method == SecondStepMethod::Sms && s.confirmed)
            .then_some((SmsPurpose::ProvePhone, None));
        let proven = match code {
            Some(code) => self.check_code(user.id, sms, code).await?,
            None => false,
        };
        if proven {
            return Ok(());
        }
        if code.is_some() {
            self.wrong_code(user.id, meta).await?;
        }
        self.security_event(SecurityEvent::SecondStepChangeFailed, Some(user.id), meta)
            .await?;
        Err(AppError::FreshCodeNeeded)
    }

    /// Ten new recovery codes in place of the old ones, shown once: a change of 2-step
    /// security like any other, so it needs [`App::step_up`], raises the security stamp
    /// (the caller's session is re-issued, every other one ends) and is mailed.
    pub async fn new_recovery_codes(
        &self,
        caller: Caller,
        password: &SecretString,
        code: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<SecondStepEnabled, AppError> {
        let user = self.current_user(caller).await?;
        self.step_up(caller, &user, password, code, meta).await?;
        let steps = self.second_steps.second_steps(user.id).await?;
        if !steps.iter().any(|s| s.confirmed) {
            return Err(AppError::InvalidInput(
                "recovery codes stand in for a second step: set one up first",
            ));
        }
        let codes = self.replace_recovery_codes(user.id).await?;
        let session = self
            .second_step_changed(caller, &user, SecurityEvent::RecoveryCodesReplaced, meta)
            .await?;
        Ok(SecondStepEnabled {
            session,
            recovery_codes: Some(codes),
        })
    }

    async fn replace_recovery_codes(&self, user: UserId) -> Result<Vec<SecretString>, AppError> {
        let mut codes = Vec::with_capacity(RECOVERY_CODES);
        let mut hashes = Vec::with_capacity(RECOVERY_CODES);
        for _ in 0..RECOVERY_CODES {
            let (code, hash) =
                new_recovery_code().map_err(|e| AppError::unexpected(e.to_string()))?;
            codes.push(code);
            hashes.push(hash);
        }
        self.second_steps
            .replace_recovery_codes(user, &hashes)
            .await?;
        Ok(codes)
    }

    /// What follows every change of the second steps: a new security stamp (every other
    /// session ends), the caller's session re-issued, an audit event and a mail.
    async fn second_step_changed(
        &self,
        caller: Caller,
        user: &StoredUser,
        event: SecurityEvent,
        meta: &RequestMeta,
    ) -> Result<IssuedSession, AppError> {
        let stamp = self.members_store.bump_security_stamp(user.id).await?;
        let session = self.reissue_session(caller, user, stamp, meta).await?;
        self.security_event(event, Some(user.id), meta).await?;
        if let Some(email) = self.email_of(user.id).await? {
            self.mail(&email, "Your 2-step security changed", "The 2-step security of your account was just changed, and your other sessions were signed out. If this was not you, reset your password now and contact us.").await;
        }
        Ok(session)
    }
}
