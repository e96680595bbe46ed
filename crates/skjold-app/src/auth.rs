//! Sign-up, sign-in, sessions and password changes (C11, C12).

use std::net::IpAddr;

use secrecy::{ExposeSecret, SecretString};
use skjold_crypto::{FieldContext, TokenKind, Verification, hash_token, new_token};
use skjold_domain::{AccountId, AccountName, EmailAddress, SessionId, UserId, describe_user_agent};
use time::OffsetDateTime;

use crate::App;
use crate::error::AppError;
use crate::ports::{
    AuditEvent, NewSession, NewUser, Sealed, StoreFailure, StoredSession, StoredUser,
};
use crate::rate_limits::{AuthEndpoint, count_attempt};
use crate::second_step::SignIn;
use crate::security_events::SecurityEvent;

/// Where a request came from, as far as the use cases care.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub ip: IpAddr,
    pub user_agent: String,
}

/// A signed-in caller, established by [`App::authenticate`] on every request.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub user_id: UserId,
    pub session_id: SessionId,
}

/// A new session: the token is shown once and never stored.
#[derive(Debug)]
pub struct IssuedSession {
    pub token: SecretString,
    pub session_id: SessionId,
    pub expires_at: OffsetDateTime,
    /// For a device not recognised before: present it at later sign-ins to be spared
    /// the brute-force delays (C14).
    pub device_token: Option<SecretString>,
}

/// One session as its owner may see it.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub id: SessionId,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub device: String,
    pub network: String,
    pub current: bool,
}

pub(crate) const EMAIL_FIELD: &str = "email";
/// How stale a session's `last_seen_at` may get before a request writes it again. A
/// write on every request put every read behind SQLite's single writer (and emptied
/// every other pooled connection's page cache); now a session may count as idle up to
/// this much early, never late.
const TOUCH_EVERY: time::Duration = time::Duration::minutes(1);

/// The network a client address belongs to: /24 for IPv4, /48 for IPv6. Enough to tell
/// "same office" from "other continent" in a session list, not enough to single out a
/// person (data minimisation).
pub(crate) fn ip_prefix(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    }
}

impl App {
    pub(crate) fn audit(
        &self,
        action: &'static str,
        account: Option<AccountId>,
        actor: Option<UserId>,
        meta: Option<&RequestMeta>,
    ) -> AuditEvent {
        AuditEvent {
            at: self.clock.now(),
            account_id: account,
            actor_id: actor,
            action,
            ip_prefix: meta.map(|m| ip_prefix(m.ip)),
            detail: None,
        }
    }

    /// Creates an account and its owner. Answers the same whether or not the e-mail is in
    /// use (no enumeration): an existing user is told by e-mail instead.
    pub async fn sign_up(
        &self,
        account_name: &str,
        email: &str,
        password: SecretString,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        self.throttle(AuthEndpoint::SignUp, meta).await?;
        let account_name = AccountName::parse(account_name)?;
        let email = EmailAddress::parse(email)?;
        let password = self.policy.check(password)?;
        let index = self.blind_index.of(EMAIL_FIELD, email.as_str());
        // Hash in every case, so both branches cost the same.
        let hash = self.hashes.hash(password.expose().to_owned()).await?;
        if self.accounts.user_by_email_index(&index).await?.is_some() {
            self.mail(&email, "Someone tried to sign up with your e-mail address",
                "Someone, perhaps you, tried to create a new account with this address. You already have one: sign in, or reset your password if you have forgotten it.").await;
            return Ok(());
        }
        let now = self.clock.now();
        let user = UserId::new();
        let account = AccountId::new();
        let sealed = self.seal_user_field(user, EMAIL_FIELD, email.as_str())?;
        let created = self
            .accounts
            .create_account_with_owner(
                account,
                account_name.as_str(),
                NewUser {
                    id: user,
                    email_index: index,
                    email_sealed: sealed.bytes,
                    email_key_id: sealed.key_id,
                    password_hash: hash,
                    at: now,
                },
            )
            .await;
        match created {
            Ok(()) => {
                self.record_audit(self.audit(
                    SecurityEvent::SignUp.as_str(),
                    Some(account),
                    Some(user),
                    Some(meta),
                ))
                .await?;
                self.send_verification(user, &email).await
            }
            // Two sign-ups with one address at once: the loser is treated like any other
            // existing address.
            Err(StoreFailure::Conflict) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Signs in with e-mail and password: a session, or a challenge for the second step.
    /// Every failure is the same [`AppError::InvalidCredentials`] after the same amount
    /// of work.
    pub async fn sign_in(
        &self,
        email: &str,
        password: SecretString,
        device_token: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<SignIn, AppError> {
        self.throttle(AuthEndpoint::SignIn, meta).await?;
        let user = match EmailAddress::parse(email) {
            Ok(email) => self.user_by_email(&email).await?,
            Err(_) => None,
        };
        let mut guard = self
            .guard_sign_in(email, user.as_ref(), device_token, meta)
            .await?;
        // A refused device's password is not checked, but a hash is still made, so the
        // answer takes as long as any other.
        let refused = self
            .reserve_password_check(&mut guard, user.as_ref())
            .await?;
        let stored = user
            .as_ref()
            .filter(|_| !refused)
            .map(|u| u.password_hash.clone());
        let verification = self
            .hashes
            .verify(password.expose_secret().to_owned(), stored)
            .await?;
        let (user, needs_rehash) = match (user, verification) {
            (Some(user), Verification::Match { needs_rehash }) => (user, needs_rehash),
            (user, _) => {
                if refused {
                    count_attempt("refused_new_device");
                } else {
                    count_attempt("wrong_password");
                    self.sign_in_failed(&guard, user.as_ref(), meta).await?;
                }
                let actor = user.map(|u| u.id);
                self.security_event(SecurityEvent::LoginFailed, actor, meta)
                    .await?;
                return Err(AppError::InvalidCredentials);
            }
        };
        self.sign_in_passed(&guard, user.id).await?;
        if needs_rehash {
            let upgraded = self
                .hashes
                .hash(password.expose_secret().to_owned())
                .await?;
            self.accounts
                .set_password_hash(user.id, &upgraded, false)
                .await?;
            tracing::info!(user = %user.id, "password hash upgraded to the current parameters");
        }
        self.session_or_challenge(&user, guard.known_device(), meta)
            .await
    }

    /// The end of every complete sign-in: a new session, an audit event and a mail.
    /// A device not yet recognised gets a device token with the session.
    pub(crate) async fn finish_sign_in(
        &self,
        user: &StoredUser,
        known_device: bool,
        meta: &RequestMeta,
    ) -> Result<IssuedSession, AppError> {
        let mut issued = self.issue_session(user, meta).await?;
        if !known_device {
            issued.device_token = Some(self.new_device(user.id).await?);
        }
        count_attempt("success");
        self.security_event(SecurityEvent::Login, Some(user.id), meta)
            .await?;
        if let Some(email) = self.email_of(user.id).await? {
            let body = format!(
                "Your account was just signed in to from {} on network {}. If this was not you, change your password and end your other sessions.",
                describe_user_agent(&meta.user_agent),
                ip_prefix(meta.ip)
            );
            self.mail(&email, "New sign-in to your account", &body)
                .await;
        }
        Ok(issued)
    }

    async fn issue_session(
        &self,
        user: &StoredUser,
        meta: &RequestMeta,
    ) -> Result<IssuedSession, AppError> {
        let now = self.clock.now();
        let (token, token_hash) =
            new_token(TokenKind::Session).map_err(|e| AppError::unexpected(e.to_string()))?;
        let session = StoredSession {
            id: SessionId::new(),
            user_id: user.id,
            security_stamp: user.security_stamp,
            created_at: now,
            last_seen_at: now,
            expires_at: now + self.sessions.absolute,
            user_agent: meta.user_agent.chars().take(200).collect(),
            ip_prefix: ip_prefix(meta.ip),
        };
        let issued = IssuedSession {
            token,
            session_id: session.id,
            expires_at: session.expires_at,
            device_token: None,
        };
        self.accounts
            .create_session(NewSession {
                session,
                token_hash,
            })
            .await?;
        Ok(issued)
    }

    /// Replaces the caller's session after a change that raised the user's security stamp
    /// to `stamp`: every other session has died with the old stamp, this one continues
    /// under a new token (no fixation).
    pub(crate) async fn reissue_session(
        &self,
        caller: Caller,
        user: &StoredUser,
        stamp: i64,
        meta: &RequestMeta,
    ) -> Result<IssuedSession, AppError> {
        self.accounts.delete_session(caller.session_id).await?;
        let user = StoredUser {
            security_stamp: stamp,
            ..user.clone()
        };
        self.issue_session(&user, meta).await
    }

    /// Checks a presented session token, on every request: it must exist, be neither idle
    /// past the idle timeout nor past its absolute lifetime, and carry its user's current
    /// security stamp. A dead session is deleted on the spot. Its last use is written at
    /// most once per [`TOUCH_EVERY`].
    pub async fn authenticate(&self, token: &str) -> Result<Caller, AppError> {
        let Some(session) = self.accounts.session_by_token(&hash_token(token)).await? else {
            return Err(AppError::Unauthenticated);
        };
        let now = self.clock.now();
        let idle = now - session.last_seen_at > self.sessions.idle;
        let expired = now >= session.expires_at;
        let user = self.accounts.user(session.user_id).await?;
        let current = user.is_some_and(|u| u.security_stamp == session.security_stamp);
        if idle || expired || !current {
            self.accounts.delete_session(session.id).await?;
            return Err(AppError::Unauthenticated);
        }
        if now - session.last_seen_at >= TOUCH_EVERY {
            self.accounts.touch_session(session.id, now).await?;
        }
        Ok(Caller {
            user_id: session.user_id,
            session_id: session.id,
        })
    }

    /// Ends the caller's session.
    pub async fn sign_out(&self, caller: Caller, meta: &RequestMeta) -> Result<(), AppError> {
        self.accounts.delete_session(caller.session_id).await?;
        self.security_event(SecurityEvent::Logout, Some(caller.user_id), meta)
            .await?;
        Ok(())
    }

    /// The caller's sessions (ASVS 7.5.2), newest first, with only coarse facts: when,
    /// which kind of device, which network.
    pub async fn sessions(&self, caller: Caller) -> Result<Vec<SessionView>, AppError> {
        let sessions = self.accounts.sessions_of(caller.user_id).await?;
        Ok(sessions
            .into_iter()
            .map(|s| SessionView {
                id: s.id,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                device: describe_user_agent(&s.user_agent),
                network: s.ip_prefix,
                current: s.id == caller.session_id,
            })
            .collect())
    }

    /// Ends one of the caller's own sessions. Another user's session id is answered
    /// exactly like an unknown one.
    pub async fn end_session(
        &self,
        caller: Caller,
        id: SessionId,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        if !self.accounts.delete_session_of(caller.user_id, id).await? {
            return Err(AppError::NotFound);
        }
        self.security_event(SecurityEvent::SessionRevoked, Some(caller.user_id), meta)
            .await?;
        Ok(())
    }

    /// Ends every session of the caller but the one making the request.
    pub async fn end_other_sessions(
        &self,
        caller: Caller,
        meta: &RequestMeta,
    ) -> Result<u64, AppError> {
        let ended = self
            .accounts
            .delete_other_sessions(caller.user_id, caller.session_id)
            .await?;
        self.security_event(SecurityEvent::SessionsRevoked, Some(caller.user_id), meta)
            .await?;
        Ok(ended)
    }

    /// `VerificationRequired` unless `user` has confirmed their address: what reaches
    /// other people or takes data out (invitations, API tokens, exports) waits for it.
    pub(crate) async fn require_verified(&self, user: UserId) -> Result<(), AppError> {
        let verified = self
            .accounts
            .user(user)
            .await?
            .is_some_and(|u| u.email_verified);
        if verified {
            Ok(())
        } else {
            Err(AppError::VerificationRequired)
        }
    }

    /// The user whose address is `email`, found through its blind index.
    pub(crate) async fn user_by_email(
        &self,
        email: &EmailAddress,
    ) -> Result<Option<StoredUser>, AppError> {
        let index = self.blind_index.of(EMAIL_FIELD, email.as_str());
        Ok(self.accounts.user_by_email_index(&index).await?)
    }

    /// Encrypts a field of the users row of `user` (C17), bound to that row and column.
    pub(crate) fn seal_user_field(
        &self,
        user: UserId,
        column: &str,
        value: &str,
    ) -> Result<Sealed, AppError> {
        let at = FieldContext {
            table: "users",
            column,
            row: &user.to_string(),
        };
        self.keyring.seal_field(value, at)
    }

    /// Decrypts what [`App::seal_user_field`] sealed under master key `key_id`.
    pub(crate) fn open_user_field(
        &self,
        user: UserId,
        column: &str,
        sealed: &[u8],
        key_id: &str,
    ) -> Result<String, AppError> {
        let at = FieldContext {
            table: "users",
            column,
            row: &user.to_string(),
        };
        self.keyring
            .open_field(sealed, key_id, at)
            .map_err(|e| AppError::unexpected(format!("user {user}, {column}: {e}")))
    }

    pub(crate) fn open_email(&self, user: &StoredUser) -> Result<String, AppError> {
        self.open_user_field(user.id, EMAIL_FIELD, &user.email_sealed, &user.email_key_id)
    }

    /// The address of `user`, decrypted, for sending a mail.
    pub(crate) async fn email_of(&self, user: UserId) -> Result<Option<EmailAddress>, AppError> {
        let Some(user) = self.accounts.user(user).await? else {
            return Ok(None);
        };
        Ok(EmailAddress::parse(&self.open_email(&user)?).ok())
    }

    /// Changes the password (ASVS 6.2.3: the current one is required). Raises the security
    /// stamp, which ends every other session of the user at once, on every instance; the
    /// caller's own session is replaced by a new one, returned.
    pub async fn change_password(
        &self,
        caller: Caller,
        current: SecretString,
        new: SecretString,
        meta: &RequestMeta,
    ) -> Result<IssuedSession, AppError> {
        let user = self.current_user(caller).await?;
        self.reauthenticate(
            caller,
            &user,
            &current,
            SecurityEvent::PasswordChangeFailed,
            meta,
        )
        .await?;
        let new = self.policy.check(new)?;
        let hash = self.hashes.hash(new.expose().to_owned()).await?;
        let stamp = self
            .accounts
            .set_password_hash(user.id, &hash, true)
            .await?;
        let issued = self.reissue_session(caller, &user, stamp, meta).await?;
        self.security_event(SecurityEvent::PasswordChanged, Some(user.id), meta)
            .await?;
        if let Some(email) = self.email_of(user.id).await? {
            self.mail(&email, "Your password was changed", "The password of your account was just changed. If this was not you, reset it now and contact us.").await;
        }
        Ok(issued)
    }

    /// Sends a mail; a failure is logged, not shown to the person who triggered it.
    pub(crate) async fn mail(&self, to: &EmailAddress, subject: &str, body: &str) {
        if let Err(error) = self.mailer.send(to.as_str(), subject, body).await {
            tracing::error!(%error, "sending an e-mail failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_truncated_to_their_network() {
        assert_eq!(ip_prefix("203.0.113.77".parse().unwrap()), "203.0.113.0/24");
        assert_eq!(
            ip_prefix("2001:db8:abcd:12::1".parse().unwrap()),
            "2001:db8:abcd::/48"
        );
        assert_eq!(
            ip_prefix("::ffff:198.51.100.9".parse().unwrap()),
            "198.51.100.0/24"
        );
    }
}
