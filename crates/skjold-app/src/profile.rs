//! The signed-in user's own details: reading them, naming oneself, and moving the account
//! to a new e-mail address, which must prove it is the user's before it counts.

use secrecy::{ExposeSecret, SecretString};
use skjold_crypto::{TokenKind, hash_token, new_token};
use skjold_domain::{EmailAddress, PersonName, UserId};
use time::Duration;

use crate::App;
use crate::auth::{Caller, EMAIL_FIELD, IssuedSession, RequestMeta};
use crate::error::AppError;
use crate::ports::{Membership, PendingEmail, StoreFailure, StoredUser};
use crate::security_events::SecurityEvent;

pub(crate) const NAME_FIELD: &str = "name";
/// How long the link that confirms a new address works.
const EMAIL_CHANGE_LIFETIME: Duration = Duration::days(1);

/// The signed-in user, for `GET /me`.
#[derive(Debug, Clone)]
pub struct Me {
    pub id: UserId,
    pub name: Option<String>,
    pub email: String,
    pub email_verified: bool,
    pub memberships: Vec<Membership>,
    /// The confirmed second steps (`totp`, `sms`); empty without 2-step security.
    pub second_steps: Vec<&'static str>,
    pub recovery_codes_left: u64,
}

/// What `PATCH /me` asks to change. Absent fields stay as they are.
#[derive(Debug, Default)]
pub struct ProfileChange {
    pub name: Option<String>,
    pub email: Option<String>,
    /// Needed to change the address: a stolen session alone must not be able to move the
    /// account, and with it password resets, to an attacker's mailbox (ASVS 6.2.3).
    pub current_password: Option<SecretString>,
}

impl App {
    /// The caller as stored; a session whose user is gone is no session.
    pub(crate) async fn current_user(&self, caller: Caller) -> Result<StoredUser, AppError> {
        self.accounts
            .user(caller.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)
    }

    /// The accounts the caller belongs to, with their role in each: what a page needs
    /// for its account switcher, without [`App::me`]'s decryptions and second steps.
    pub async fn memberships(&self, caller: Caller) -> Result<Vec<Membership>, AppError> {
        Ok(self.accounts.memberships(caller.user_id).await?)
    }

    pub async fn me(&self, caller: Caller) -> Result<Me, AppError> {
        let user = self.current_user(caller).await?;
        let name = user
            .name
            .as_ref()
            .map(|name| self.open_user_field(user.id, NAME_FIELD, &name.bytes, &name.key_id))
            .transpose()?;
        Ok(Me {
            id: user.id,
            name,
            email: self.open_email(&user)?,
            email_verified: user.email_verified,
            memberships: self.accounts.memberships(user.id).await?,
            second_steps: self
                .second_steps
                .second_steps(user.id)
                .await?
                .iter()
                .filter(|s| s.confirmed)
                .map(|s| s.method.as_str())
                .collect(),
            recovery_codes_left: self.second_steps.recovery_codes_left(user.id).await?,
        })
    }

    /// Changes the name at once. A new address is only requested: a link goes to it, and
    /// the address changes when the user follows it ([`App::confirm_email_change`]);
    /// the current address is told. Everything is checked before anything is written.
    pub async fn update_profile(
        &self,
        caller: Caller,
        change: ProfileChange,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        let name = change.name.as_deref().map(PersonName::parse).transpose()?;
        let email = change
            .email
            .as_deref()
            .map(EmailAddress::parse)
            .transpose()?;
        let user = self.current_user(caller).await?;
        if email.is_some() {
            let password = change.current_password.ok_or(AppError::InvalidInput(
                "changing the e-mail address needs your current password",
            ))?;
            self.reauthenticate(
                caller,
                &user,
                &password,
                SecurityEvent::EmailChangeFailed,
                meta,
            )
            .await?;
        }
        if let Some(name) = name {
            let sealed = self.seal_user_field(user.id, NAME_FIELD, name.as_str())?;
            self.profiles.set_name(user.id, &sealed).await?;
            self.record_audit(self.audit("name_changed", None, Some(user.id), Some(meta)))
                .await?;
        }
        if let Some(email) = email {
            self.request_email_change(&user, &email, meta).await?;
        }
        Ok(())
    }

    /// Sends the confirmation link to `email`. An address that already belongs to someone
    /// gets a warning instead, and the caller the same answer (no enumeration).
    async fn request_email_change(
        &self,
        user: &StoredUser,
        email: &EmailAddress,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        let index = self.blind_index.of(EMAIL_FIELD, email.as_str());
        if let Some(owner) = self.accounts.user_by_email_index(&index).await? {
            if owner.id != user.id {
                self.mail(email, "Someone tried to use your e-mail address",
                    "Someone tried to move another account to this address. It already belongs to your account, so nothing changed. You need not do anything.").await;
            }
            return Ok(());
        }
        let pending = PendingEmail {
            index,
            sealed: self.seal_user_field(user.id, EMAIL_FIELD, email.as_str())?,
        };
        let (token, hash) = new_token(TokenKind::EmailVerification)
            .map_err(|e| AppError::unexpected(e.to_string()))?;
        let expires = self.clock.now() + EMAIL_CHANGE_LIFETIME;
        self.profiles
            .create_email_change(&hash, user.id, &pending, expires)
            .await?;
        let body = format!(
            "To make this the address of your account, open this link within a day, signed in:\n\n{}\n\nIf you did not ask for this, ignore this mail.",
            self.link("/confirm-email-change", &token).expose_secret()
        );
        self.mail(email, "Confirm your new e-mail address", &body)
            .await;
        let current = EmailAddress::parse(&self.open_email(user)?).ok();
        if let Some(current) = current {
            self.mail(&current, "A change of your e-mail address was requested",
                "Someone signed in to your account asked to move it to another e-mail address. It changes only when the new address confirms. If this was not you, change your password now.").await;
        }
        self.security_event(SecurityEvent::EmailChangeRequested, Some(user.id), meta)
            .await?;
        Ok(())
    }

    /// Makes the confirmed new address the user's, verified. The change raises the
    /// security stamp: every other session ends, the caller's is re-issued and returned.
    /// The old address is told.
    pub async fn confirm_email_change(
        &self,
        caller: Caller,
        token: &str,
        meta: &RequestMeta,
    ) -> Result<IssuedSession, AppError> {
        let user = self.current_user(caller).await?;
        let now = self.clock.now();
        let pending = self
            .profiles
            .spend_email_change(&hash_token(token), user.id, now)
            .await?
            .ok_or(AppError::InvalidLink)?;
        let old = EmailAddress::parse(&self.open_email(&user)?).ok();
        let stamp = match self.profiles.replace_email(user.id, &pending, now).await {
            Err(StoreFailure::Conflict) => {
                return Err(AppError::InvalidInput(
                    "that address has since been taken by another account",
                ));
            }
            other => other?,
        };
        let issued = self.reissue_session(caller, &user, stamp, meta).await?;
        self.security_event(SecurityEvent::EmailChanged, Some(user.id), meta)
            .await?;
        if let Some(old) = old {
            self.mail(&old, "Your e-mail address was changed",
                "Your account now uses another e-mail address, and every other session was signed out. If this was not you, contact us at once.").await;
        }
        Ok(issued)
    }
}
