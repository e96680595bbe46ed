//! Skjold's use cases. Each public method of [`App`] is one thing a user or operator does;
//! the ports it needs (storage, clock, mail) are traits here, implemented further down.
//!
//! Nothing here knows about HTTP: the `http` crate turns requests into these calls.

mod alerts;
mod api_tokens;
mod audit;
mod audit_chain;
mod auth;
mod backups;
mod code_guard;
mod contacts;
mod cookie_consent;
mod data_keys;
mod erasures;
mod error;
mod hashing;
mod health;
mod key_age;
mod key_rotation;
mod live_keyring;
mod measures;
mod members;
mod permissions;
mod ports;
mod profile;
mod rate_limits;
mod reauthentication;
mod recovery;
mod second_step;
mod security_events;
mod sign_in_guard;
mod sms;

pub use alerts::SecurityAlert;
pub use api_tokens::{AccountView, CreatedApiToken, MAX_TOKEN_DAYS};
pub use audit::{AuditPage, AuditQuery, MAX_AUDIT_PAGE};
pub use audit_chain::{AuditVerification, ChainCheck};
pub use auth::{Caller, IssuedSession, RequestMeta, SessionView};
pub use contacts::{ContactPage, ContactQuery, ContactView, MAX_PAGE};
pub use data_keys::MasterKeys;
pub use erasures::{ErasedSubject, Erasure, ErasureOutcome};
pub use error::AppError;
pub use hashing::HashPool;
pub use health::{HealthProbe, ProbeFailed, Readiness};
pub use key_rotation::{DataKeyRotation, MasterKeyMove};
pub use live_keyring::LiveKeyring;
pub use measures::{QUEUE_DEPTH, QUEUE_WAIT, QUEUE_WAIT_BUCKETS, describe_metrics};
pub use members::{InvitationView, MemberView};
pub use permissions::{AccountScope, Operation, role_allows};
pub use ports::{
    AccountStore, AlertSink, ApiScope, AuditChainHead, AuditEvent, AuditFilter, AuditLog,
    ChainedAuditEvent, Clock, ContactFilter, ContactStore, ErasureLedger, JobClaims,
    KeyMaintenance, Mailer, MasterKeyUses, MemberChange, MemberStore, Membership, NO_ACCOUNT_CHAIN,
    NewInvitation, NewSession, NewUser, PendingEmail, ProfileStore, RateCounters, Sealed,
    SealedContact, SealedUserField, SecondStepStore, SignInGuardStore, SmsCodeStore, SmsPurpose,
    SmsSender, SpentInvitation, StoreFailure, StoredAccountKey, StoredApiToken, StoredAuditEvent,
    StoredInvitation, StoredMember, StoredSecondStep, StoredSession, StoredUser, TokenPurpose,
    UserFieldPlace,
};
pub use profile::{Me, ProfileChange};
pub use rate_limits::AuthEndpoint;
pub use second_step::{SecondStepEnabled, SignIn, TotpSetup};
pub use security_events::SecurityEvent;
pub use sms::SMS_RISK;

use std::sync::Arc;

use skjold_crypto::BlindIndex;
use skjold_domain::PasswordPolicy;

/// How long sessions live (C12).
#[derive(Debug, Clone, Copy)]
pub struct SessionSettings {
    /// Ended after this long without a request (ASVS 7.3.1).
    pub idle: time::Duration,
    /// Ended this long after sign-in, however busy (ASVS 7.3.2).
    pub absolute: time::Duration,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            idle: time::Duration::minutes(30),
            absolute: time::Duration::hours(12),
        }
    }
}

/// What [`App`] is built from; the binary fills it in.
pub struct AppParts {
    pub probe: Arc<dyn HealthProbe>,
    pub accounts: Arc<dyn AccountStore>,
    pub profiles: Arc<dyn ProfileStore>,
    pub contacts: Arc<dyn ContactStore>,
    pub members: Arc<dyn MemberStore>,
    pub audit_log: Arc<dyn AuditLog>,
    pub key_maintenance: Arc<dyn KeyMaintenance>,
    pub second_steps: Arc<dyn SecondStepStore>,
    pub rate_counters: Arc<dyn RateCounters>,
    pub sign_in_guard: Arc<dyn SignInGuardStore>,
    pub alerts: Arc<dyn AlertSink>,
    pub sms_codes: Arc<dyn SmsCodeStore>,
    /// `None`: text-message codes are not offered on this instance.
    pub sms: Option<Arc<dyn SmsSender>>,
    pub jobs: Arc<dyn JobClaims>,
    /// Where erasures are recorded, outside the database (C9).
    pub erasures: Arc<dyn ErasureLedger>,
    /// Past this age the current master key is overdue for rotation (C2).
    pub max_key_age: time::Duration,
    pub master_keys: Arc<dyn MasterKeys>,
    pub clock: Arc<dyn Clock>,
    pub mailer: Arc<dyn Mailer>,
    pub hashes: HashPool,
    pub blind_index: BlindIndex,
    /// The local keyring: it seals fields kept outside any account, whatever `master_keys`.
    pub keyring: Arc<LiveKeyring>,
    pub policy: PasswordPolicy,
    pub sessions: SessionSettings,
    /// Where users reach the site: the base of links in mails.
    pub public_url: String,
}

impl std::fmt::Debug for AppParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppParts").finish_non_exhaustive()
    }
}

/// Everything the use cases need, built once and shared by every request.
#[derive(Clone)]
pub struct App {
    probe: Arc<dyn HealthProbe>,
    accounts: Arc<dyn AccountStore>,
    profiles: Arc<dyn ProfileStore>,
    contacts_store: Arc<dyn ContactStore>,
    members_store: Arc<dyn MemberStore>,
    audit_log: Arc<dyn AuditLog>,
    key_maintenance: Arc<dyn KeyMaintenance>,
    second_steps: Arc<dyn SecondStepStore>,
    rate_counters: Arc<dyn RateCounters>,
    sign_in_guard: Arc<dyn SignInGuardStore>,
    alerts: Arc<dyn AlertSink>,
    sms_codes: Arc<dyn SmsCodeStore>,
    sms: Option<Arc<dyn SmsSender>>,
    jobs: Arc<dyn JobClaims>,
    erasures: Arc<dyn ErasureLedger>,
    max_key_age: time::Duration,
    master_keys: Arc<dyn MasterKeys>,
    clock: Arc<dyn Clock>,
    mailer: Arc<dyn Mailer>,
    hashes: HashPool,
    blind_index: Arc<BlindIndex>,
    keyring: Arc<LiveKeyring>,
    policy: PasswordPolicy,
    sessions: SessionSettings,
    public_url: Arc<str>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}

impl App {
    pub fn new(parts: AppParts) -> App {
        App {
            probe: parts.probe,
            accounts: parts.accounts,
            profiles: parts.profiles,
            contacts_store: parts.contacts,
            members_store: parts.members,
            audit_log: parts.audit_log,
            key_maintenance: parts.key_maintenance,
            second_steps: parts.second_steps,
            rate_counters: parts.rate_counters,
            sign_in_guard: parts.sign_in_guard,
            alerts: parts.alerts,
            sms_codes: parts.sms_codes,
            sms: parts.sms,
            jobs: parts.jobs,
            erasures: parts.erasures,
            max_key_age: parts.max_key_age,
            master_keys: parts.master_keys,
            clock: parts.clock,
            mailer: parts.mailer,
            hashes: parts.hashes,
            blind_index: Arc::new(parts.blind_index),
            keyring: parts.keyring,
            policy: parts.policy,
            sessions: parts.sessions,
            public_url: Arc::from(parts.public_url),
        }
    }

    /// Whether this instance can serve requests that need its database.
    pub async fn readiness(&self) -> Readiness {
        match self.probe.ping().await {
            Ok(()) => Readiness::Ready,
            Err(failure) => {
                tracing::warn!(reason = %failure, "readiness check failed");
                Readiness::Unavailable
            }
        }
    }
}
