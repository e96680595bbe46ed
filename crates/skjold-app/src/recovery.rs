//! Links sent by e-mail: verifying an address, and resetting a forgotten password
//! (ASVS 6.4.1: random, single use, short-lived, stored only as a hash).

use secrecy::{ExposeSecret, SecretString};
use skjold_crypto::{TokenKind, hash_token, new_token};
use skjold_domain::{EmailAddress, UserId};
use time::Duration;

use crate::App;
use crate::auth::RequestMeta;
use crate::error::AppError;
use crate::ports::TokenPurpose;
use crate::rate_limits::AuthEndpoint;
use crate::security_events::SecurityEvent;

/// How long an e-mail verification link works.
const VERIFY_EMAIL_LIFETIME: Duration = Duration::days(2);
/// How long a password reset link works.
const RESET_PASSWORD_LIFETIME: Duration = Duration::minutes(30);

impl App {
    /// Makes a one-time token for `user` and returns the link that carries it.
    pub(crate) async fn one_time_link(
        &self,
        user: UserId,
        purpose: TokenPurpose,
        path: &str,
    ) -> Result<SecretString, AppError> {
        let (kind, lifetime) = match purpose {
            TokenPurpose::VerifyEmail => (TokenKind::EmailVerification, VERIFY_EMAIL_LIFETIME),
            TokenPurpose::ResetPassword => (TokenKind::PasswordReset, RESET_PASSWORD_LIFETIME),
        };
        let (token, hash) = new_token(kind).map_err(|e| AppError::unexpected(e.to_string()))?;
        let expires = self.clock.now() + lifetime;
        self.accounts
            .create_one_time_token(&hash, user, purpose, expires)
            .await?;
        Ok(self.link(path, &token))
    }

    /// The link to page `path` of the site that carries `token`. In the fragment, not the
    /// query: browsers send neither fragment nor it to servers or in `Referer` headers.
    pub(crate) fn link(&self, path: &str, token: &SecretString) -> SecretString {
        SecretString::from(format!(
            "{}{path}#token={}",
            self.public_url,
            token.expose_secret()
        ))
    }

    /// Sends the link that verifies `email` for `user`.
    pub(crate) async fn send_verification(
        &self,
        user: UserId,
        email: &EmailAddress,
    ) -> Result<(), AppError> {
        let link = self
            .one_time_link(user, TokenPurpose::VerifyEmail, "/verify-email")
            .await?;
        let body = format!(
            "Confirm that this is your address by opening this link within two days:\n\n{}\n\nIf you did not create an account, ignore this mail.",
            link.expose_secret()
        );
        self.mail(email, "Confirm your e-mail address", &body).await;
        Ok(())
    }

    /// Marks the address of the token's user as verified. A used, expired or unknown
    /// token gets one answer.
    pub async fn verify_email(&self, token: &str, meta: &RequestMeta) -> Result<(), AppError> {
        self.throttle(AuthEndpoint::EmailVerification, meta).await?;
        let now = self.clock.now();
        let user = self
            .accounts
            .spend_one_time_token(&hash_token(token), TokenPurpose::VerifyEmail, now)
            .await?
            .ok_or(AppError::InvalidLink)?;
        self.accounts.mark_email_verified(user, now).await?;
        self.security_event(SecurityEvent::EmailVerified, Some(user), meta)
            .await?;
        Ok(())
    }

    /// Starts a password reset. Answers the same whether or not the address belongs to
    /// anyone (no enumeration); only an owner of the address receives a link.
    pub async fn request_password_reset(
        &self,
        email: &str,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        self.throttle(AuthEndpoint::PasswordReset, meta).await?;
        let Ok(email) = EmailAddress::parse(email) else {
            return Ok(());
        };
        let Some(user) = self.user_by_email(&email).await? else {
            return Ok(());
        };
        let link = self
            .one_time_link(user.id, TokenPurpose::ResetPassword, "/reset-password")
            .await?;
        let body = format!(
            "Someone asked to reset the password of your account. To choose a new one, open this link within 30 minutes:\n\n{}\n\nIf it was not you, ignore this mail: your password stays as it is.",
            link.expose_secret()
        );
        self.mail(&email, "Reset your password", &body).await;
        self.security_event(SecurityEvent::PasswordResetRequested, Some(user.id), meta)
            .await?;
        Ok(())
    }

    /// Sets a new password with a reset token and ends every session of the user, on every
    /// instance: whoever knew the old password is signed out.
    pub async fn confirm_password_reset(
        &self,
        token: &str,
        new_password: SecretString,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        self.throttle(AuthEndpoint::PasswordResetConfirm, meta)
            .await?;
        let new_password = self.policy.check(new_password)?;
        let user = self
            .accounts
            .spend_one_time_token(
                &hash_token(token),
                TokenPurpose::ResetPassword,
                self.clock.now(),
            )
            .await?
            .ok_or(AppError::InvalidLink)?;
        let hash = self.hashes.hash(new_password.expose().to_owned()).await?;
        self.accounts.set_password_hash(user, &hash, true).await?;
        self.accounts.delete_all_sessions(user).await?;
        // The mailbox is proven: new devices may sign in again (the unlock link of C14).
        self.sign_in_guard
            .clear_unrecognised_failures(user, None)
            .await?;
        // And 2-step codes are checked again, if they were stopped (`code_guard`).
        self.clear_code_failures(user).await?;
        self.security_event(SecurityEvent::PasswordReset, Some(user), meta)
            .await?;
        if let Some(email) = self.email_of(user).await? {
            self.mail(&email, "Your password was changed", "The password of your account was just reset, and every session was signed out. If this was not you, contact us at once.").await;
        }
        Ok(())
    }
}
