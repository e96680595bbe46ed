//! Security events (C14): every authentication outcome and every defence or change of
//! key information, named once. Each is recorded in the audit trail and emitted on the
//! `skjold::security` log target, where a log pipeline can alert on it.

use skjold_domain::UserId;

use crate::App;
use crate::auth::RequestMeta;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityEvent {
    SignUp,
    EmailVerified,
    Login,
    LoginFailed,
    LoginSecondStepAsked,
    SecondStepFailed,
    Logout,
    SessionRevoked,
    SessionsRevoked,
    PasswordChanged,
    PasswordChangeFailed,
    PasswordResetRequested,
    PasswordReset,
    EmailChangeRequested,
    EmailChangeFailed,
    EmailChanged,
    SecondStepEnabled,
    SecondStepRemoved,
    SecondStepChangeFailed,
    RecoveryCodesReplaced,
    /// Wrong 2-step codes in a row for one person: their password is known.
    SecondStepGuessing,
    /// Wrong passwords typed to re-authenticate in one session: it was ended.
    ReauthenticationFailures,
    SignInLockedForNewDevices,
    CredentialStuffingSuspected,
    SignInFailureSpike,
    KeyAgeExceeded,
    BackupFailed,
    BackupOverdue,
}

impl SecurityEvent {
    /// The event's name in the audit trail, the log and alerts.
    pub fn as_str(self) -> &'static str {
        use SecurityEvent::*;
        match self {
            SignUp => "signup",
            EmailVerified => "email_verified",
            Login => "login",
            LoginFailed => "login_failed",
            LoginSecondStepAsked => "login_second_step_asked",
            SecondStepFailed => "second_step_failed",
            Logout => "logout",
            SessionRevoked => "session_revoked",
            SessionsRevoked => "sessions_revoked",
            PasswordChanged => "password_changed",
            PasswordChangeFailed => "password_change_failed",
            PasswordResetRequested => "password_reset_requested",
            PasswordReset => "password_reset",
            EmailChangeRequested => "email_change_requested",
            EmailChangeFailed => "email_change_failed",
            EmailChanged => "email_changed",
            SecondStepEnabled => "second_step_enabled",
            SecondStepRemoved => "second_step_removed",
            SecondStepChangeFailed => "second_step_change_failed",
            RecoveryCodesReplaced => "recovery_codes_replaced",
            SecondStepGuessing => "second_step_guessing",
            ReauthenticationFailures => "session_ended_after_wrong_passwords",
            SignInLockedForNewDevices => "sign_in_locked_for_new_devices",
            CredentialStuffingSuspected => "credential_stuffing_suspected",
            SignInFailureSpike => "sign_in_failure_spike",
            KeyAgeExceeded => "key_age_exceeded",
            BackupFailed => "backup_failed",
            BackupOverdue => "backup_overdue",
        }
    }
}

impl App {
    /// Records `event` about `user` (if known) in the audit trail and the security log.
    pub(crate) async fn security_event(
        &self,
        event: SecurityEvent,
        user: Option<UserId>,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        tracing::info!(
            target: "skjold::security",
            event = event.as_str(),
            user = user.map(|u| u.to_string()),
            "security event"
        );
        // Straight to the store: the line above already carries the event to the log,
        // and `record_audit` would log it a second time on every sign-in.
        Ok(self
            .accounts
            .record(self.audit(event.as_str(), None, user, Some(meta)))
            .await?)
    }
}
