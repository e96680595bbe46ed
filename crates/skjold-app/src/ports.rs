//! What the use cases need from the world, as traits. The `store` crate implements the
//! storage ports; the binary picks the clock and the mailer.

use async_trait::async_trait;
use skjold_crypto::TokenHash;
use skjold_domain::{AccountId, ApiTokenId, ContactId, Role, SecondStepMethod, SessionId, UserId};

use crate::permissions::AccountScope;
use time::OffsetDateTime;

/// The current time. A parameter, so tests can move it (idle timeouts, lifetimes).
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// Storage failed. `Conflict` is a uniqueness violation a use case can act on; anything
/// else is the operator's problem and carries text for the log only.
#[derive(Debug, thiserror::Error)]
pub enum StoreFailure {
    #[error("a row with that key exists already")]
    Conflict,
    #[error("storage failed: {0}")]
    Other(String),
}

/// A user as stored: the e-mail still sealed.
#[derive(Debug, Clone)]
pub struct StoredUser {
    pub id: UserId,
    pub email_sealed: Vec<u8>,
    pub email_key_id: String,
    pub password_hash: String,
    pub security_stamp: i64,
    pub email_verified: bool,
    /// The name the user chose, if any.
    pub name: Option<Sealed>,
}

/// A field encrypted with the [`skjold_crypto::FieldCipher`] of master key `key_id`.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub bytes: Vec<u8>,
    pub key_id: String,
}

/// A requested change of e-mail address, waiting for a click on the link sent to the new
/// address. The new address is sealed for the users row it will replace.
#[derive(Debug, Clone)]
pub struct PendingEmail {
    pub index: [u8; 32],
    pub sealed: Sealed,
}

/// A user's own details: name and e-mail address.
#[async_trait]
pub trait ProfileStore: Send + Sync {
    async fn set_name(&self, user: UserId, name: &Sealed) -> Result<(), StoreFailure>;
    async fn create_email_change(
        &self,
        hash: &TokenHash,
        user: UserId,
        new: &PendingEmail,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreFailure>;
    /// Spends a change's token if it is `user`'s, unused and unexpired at `now`, in one
    /// statement; the new address if so.
    async fn spend_email_change(
        &self,
        hash: &TokenHash,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<Option<PendingEmail>, StoreFailure>;
    /// Puts `new` in place of the user's address, verified at `at`, and raises the
    /// security stamp, which it returns. `Conflict` if another user has the address.
    async fn replace_email(
        &self,
        user: UserId,
        new: &PendingEmail,
        at: OffsetDateTime,
    ) -> Result<i64, StoreFailure>;
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: UserId,
    pub email_index: [u8; 32],
    pub email_sealed: Vec<u8>,
    pub email_key_id: String,
    pub password_hash: String,
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct StoredSession {
    pub id: SessionId,
    pub user_id: UserId,
    pub security_stamp: i64,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub user_agent: String,
    pub ip_prefix: String,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub session: StoredSession,
    pub token_hash: TokenHash,
}

#[derive(Debug, Clone)]
pub struct Membership {
    pub account_id: AccountId,
    pub account_name: String,
    pub role: Role,
}

/// One line of the audit trail.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub at: OffsetDateTime,
    pub account_id: Option<AccountId>,
    pub actor_id: Option<UserId>,
    pub action: &'static str,
    pub ip_prefix: Option<String>,
    /// What the event concerns, as JSON (ids and field names, never personal values).
    pub detail: Option<String>,
}

/// Accounts, users, memberships, sessions and audit events.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates the account, the user and the owner membership in one transaction.
    async fn create_account_with_owner(
        &self,
        account: AccountId,
        account_name: &str,
        owner: NewUser,
    ) -> Result<(), StoreFailure>;
    async fn user_by_email_index(
        &self,
        index: &[u8; 32],
    ) -> Result<Option<StoredUser>, StoreFailure>;
    async fn user(&self, id: UserId) -> Result<Option<StoredUser>, StoreFailure>;
    /// Stores a new hash; with `bump_stamp`, also raises the security stamp and returns it.
    async fn set_password_hash(
        &self,
        user: UserId,
        hash: &str,
        bump_stamp: bool,
    ) -> Result<i64, StoreFailure>;
    async fn memberships(&self, user: UserId) -> Result<Vec<Membership>, StoreFailure>;
    async fn create_session(&self, session: NewSession) -> Result<(), StoreFailure>;
    async fn session_by_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<StoredSession>, StoreFailure>;
    async fn touch_session(&self, id: SessionId, at: OffsetDateTime) -> Result<(), StoreFailure>;
    async fn delete_session(&self, id: SessionId) -> Result<(), StoreFailure>;
    /// The user's sessions, newest first.
    async fn sessions_of(&self, user: UserId) -> Result<Vec<StoredSession>, StoreFailure>;
    /// Deletes one session if it belongs to `user`; whether it did.
    async fn delete_session_of(&self, user: UserId, id: SessionId) -> Result<bool, StoreFailure>;
    /// Deletes every session of `user` but `keep`; how many.
    async fn delete_other_sessions(
        &self,
        user: UserId,
        keep: SessionId,
    ) -> Result<u64, StoreFailure>;
    async fn record(&self, event: AuditEvent) -> Result<(), StoreFailure>;
    async fn create_one_time_token(
        &self,
        hash: &TokenHash,
        user: UserId,
        purpose: TokenPurpose,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreFailure>;
    /// Spends a token: marks it used if it exists for `purpose`, is unused and unexpired
    /// at `now`, in one statement (two requests cannot both spend it); its user if so.
    async fn spend_one_time_token(
        &self,
        hash: &TokenHash,
        purpose: TokenPurpose,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>, StoreFailure>;
    async fn mark_email_verified(
        &self,
        user: UserId,
        at: OffsetDateTime,
    ) -> Result<(), StoreFailure>;
    /// Ends every session of `user`; how many.
    async fn delete_all_sessions(&self, user: UserId) -> Result<u64, StoreFailure>;
    /// The caller's role in `account`, or `None` if not a member.
    async fn role_in(&self, user: UserId, account: AccountId)
    -> Result<Option<Role>, StoreFailure>;
    async fn account_name(&self, account: AccountId) -> Result<Option<String>, StoreFailure>;
    /// Whether the account's owner requires a second step of every member.
    async fn second_step_required(&self, account: AccountId) -> Result<bool, StoreFailure>;
    async fn set_second_step_required(
        &self,
        account: AccountId,
        required: bool,
    ) -> Result<(), StoreFailure>;
    async fn create_api_token(
        &self,
        token: &StoredApiToken,
        hash: &TokenHash,
    ) -> Result<(), StoreFailure>;
    /// The account's tokens that are not revoked, newest first.
    async fn api_tokens(&self, account: AccountId) -> Result<Vec<StoredApiToken>, StoreFailure>;
    async fn api_token_by_hash(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<StoredApiToken>, StoreFailure>;
    /// Revokes a token of `account`; whether there was one to revoke.
    async fn revoke_api_token(
        &self,
        account: AccountId,
        id: ApiTokenId,
        at: OffsetDateTime,
    ) -> Result<bool, StoreFailure>;
    async fn touch_api_token(&self, id: ApiTokenId, at: OffsetDateTime)
    -> Result<(), StoreFailure>;
}

/// Periodic jobs that several instances share: one of them runs each.
#[async_trait]
pub trait JobClaims: Send + Sync {
    /// Claims a run of `job` at `now` unless it last ran less than `every` ago; whether
    /// this caller got it.
    async fn claim_run(
        &self,
        job: &str,
        now: OffsetDateTime,
        every: time::Duration,
    ) -> Result<bool, StoreFailure>;
}

/// Key maintenance across every account, for the operator's `skjold keys` commands:
/// no caller, so no [`AccountScope`].
#[async_trait]
pub trait KeyMaintenance: Send + Sync {
    /// Up to `limit` account data keys not wrapped under master key `master_key_id`.
    async fn data_keys_not_under(
        &self,
        master_key_id: &str,
        limit: u32,
    ) -> Result<Vec<(AccountId, StoredAccountKey)>, StoreFailure>;
    /// Every account that has a data key.
    async fn accounts_with_data_keys(&self) -> Result<Vec<AccountId>, StoreFailure>;
    /// Stores `new` in place of the account's data key `new.version` if that is still
    /// wrapped under `old_master_key_id`; whether it was (another run may have been first).
    async fn rewrap_data_key(
        &self,
        account: AccountId,
        old_master_key_id: &str,
        new: &StoredAccountKey,
    ) -> Result<bool, StoreFailure>;
    /// Up to `limit` fields sealed directly under a master key other than
    /// `master_key_id`: users' addresses and names, and addresses waiting to be confirmed.
    async fn user_fields_not_under(
        &self,
        master_key_id: &str,
        limit: u32,
    ) -> Result<Vec<SealedUserField>, StoreFailure>;
    /// Stores `new` in place of `field` if the row still holds exactly `field.sealed`;
    /// whether it did (the user may have changed it meanwhile).
    async fn reseal_user_field(
        &self,
        field: &SealedUserField,
        new: &Sealed,
    ) -> Result<bool, StoreFailure>;
    /// What is still wrapped or sealed under master key `master_key_id`.
    async fn uses_of_master_key(&self, master_key_id: &str) -> Result<MasterKeyUses, StoreFailure>;
}

/// Where a field sealed directly under a master key lives; all of them belong to a user
/// and are bound to that users row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserFieldPlace {
    Email,
    Name,
    /// The new address of a requested change, by the hash of its link's token.
    PendingEmail {
        token_hash: Vec<u8>,
    },
    /// The shared secret of a second step.
    SecondStep {
        method: SecondStepMethod,
    },
}

/// A field sealed directly under a master key, as stored.
#[derive(Debug, Clone)]
pub struct SealedUserField {
    pub user: UserId,
    pub place: UserFieldPlace,
    pub sealed: Sealed,
}

/// How much still needs one master key: while anything does, it cannot be retired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MasterKeyUses {
    /// Account data keys wrapped under it.
    pub data_keys: u64,
    /// Users' fields sealed under it.
    pub user_fields: u64,
}

impl MasterKeyUses {
    pub fn is_none(&self) -> bool {
        self.data_keys == 0 && self.user_fields == 0
    }
}

/// One line of an account's audit trail, as stored.
#[derive(Debug, Clone)]
pub struct StoredAuditEvent {
    pub id: i64,
    pub at: OffsetDateTime,
    pub actor_id: Option<UserId>,
    pub action: String,
    pub ip_prefix: Option<String>,
    pub detail: Option<String>,
    /// Its place in the account's hash chain, the previous event's hash and its own;
    /// `None` for events recorded before the chains began.
    pub chain_link: Option<(i64, Vec<u8>, Vec<u8>)>,
}

/// Which audit events to read: every condition given must hold.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor: Option<UserId>,
    pub since: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    /// Only events older than this id (the previous page's last).
    pub before: Option<i64>,
}

/// The audit chain of events that belong to no account (sign-in failures of unknown
/// addresses, operator jobs); every account has its own, named by its id.
pub const NO_ACCOUNT_CHAIN: &str = "-";

/// Where one audit chain stands.
#[derive(Debug, Clone)]
pub struct AuditChainHead {
    pub chain: String,
    /// The newest event's place and hash.
    pub seq: i64,
    pub hash: [u8; 32],
    /// Where the chain starts now: 1 and the genesis hash until retention deleted its
    /// oldest events.
    pub first_seq: i64,
    pub first_prev_hash: Option<[u8; 32]>,
}

/// One event of a chain exactly as stored, for verification.
#[derive(Debug, Clone)]
pub struct ChainedAuditEvent {
    pub id: i64,
    pub seq: i64,
    /// Unix seconds.
    pub at: i64,
    pub actor_id: Option<String>,
    pub action: String,
    pub ip_prefix: Option<String>,
    pub detail: Option<String>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

/// Reading, verifying and expiring the audit trail.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Up to `limit` events of the scope's account matching `filter`, newest first.
    async fn audit_events(
        &self,
        scope: &AccountScope,
        filter: &AuditFilter,
        limit: u32,
    ) -> Result<Vec<StoredAuditEvent>, StoreFailure>;
    /// Every chain's head.
    async fn audit_chain_heads(&self) -> Result<Vec<AuditChainHead>, StoreFailure>;
    /// Up to `limit` events of `chain` after `after_seq`, in chain order.
    async fn audit_chain_events(
        &self,
        chain: &str,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<ChainedAuditEvent>, StoreFailure>;
    /// Events recorded before the chains began (not covered by them).
    async fn unchained_audit_events(&self) -> Result<u64, StoreFailure>;
    /// Deletes every chain's events older than `before`, from the chain's start, and
    /// records where each chain now starts. How many were deleted.
    async fn prune_audit_events(&self, before: OffsetDateTime) -> Result<u64, StoreFailure>;
}

/// A member of an account as stored.
#[derive(Debug, Clone)]
pub struct StoredMember {
    pub user: StoredUser,
    pub role: Role,
    pub joined_at: OffsetDateTime,
}

/// How a change of membership went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChange {
    Done,
    NotMember,
    /// Refused: the account would have no owner left.
    LastOwner,
}

/// An invitation to join an account, as stored: the address as its blind index, to
/// match the invitee, and masked, for the list of pending invitations.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub email_index: [u8; 32],
    pub email_masked: String,
    pub role: Role,
    pub invited_by: UserId,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// A pending invitation: unused and unexpired.
#[derive(Debug, Clone)]
pub struct StoredInvitation {
    /// The hash of the link's token: names the invitation without being the link.
    pub id: TokenHash,
    /// `None` for invitations made before addresses were kept masked.
    pub email_masked: Option<String>,
    pub role: Role,
    pub invited_by: UserId,
    pub created_at: Option<OffsetDateTime>,
    pub expires_at: OffsetDateTime,
}

/// An invitation just spent: where it leads and who sent it.
#[derive(Debug, Clone, Copy)]
pub struct SpentInvitation {
    pub account: AccountId,
    pub role: Role,
    pub invited_by: UserId,
}

/// An account's members and invitations. Changes that need an authorised caller take
/// the [`AccountScope`]; accepting an invitation cannot (the invitee is not a member
/// yet) and is bound to the token and the invitee's address instead.
#[async_trait]
pub trait MemberStore: Send + Sync {
    /// The members, oldest first.
    async fn members(&self, scope: &AccountScope) -> Result<Vec<StoredMember>, StoreFailure>;
    async fn member_role(
        &self,
        scope: &AccountScope,
        user: UserId,
    ) -> Result<Option<Role>, StoreFailure>;
    /// In one statement, so two requests cannot together remove the last owner.
    async fn set_role(
        &self,
        scope: &AccountScope,
        user: UserId,
        role: Role,
    ) -> Result<MemberChange, StoreFailure>;
    /// In one statement, like [`MemberStore::set_role`].
    async fn remove_member(
        &self,
        scope: &AccountScope,
        user: UserId,
    ) -> Result<MemberChange, StoreFailure>;
    async fn create_invitation(
        &self,
        scope: &AccountScope,
        hash: &TokenHash,
        invitation: &NewInvitation,
    ) -> Result<(), StoreFailure>;
    /// Spends the invitation if it is for `email_index`, unused and unexpired at `now`.
    async fn spend_invitation(
        &self,
        hash: &TokenHash,
        email_index: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<Option<SpentInvitation>, StoreFailure>;
    /// The account's invitations unused and unexpired at `now`, newest first.
    async fn pending_invitations(
        &self,
        scope: &AccountScope,
        now: OffsetDateTime,
    ) -> Result<Vec<StoredInvitation>, StoreFailure>;
    /// Deletes an unused invitation of the account; whether there was one.
    async fn revoke_invitation(
        &self,
        scope: &AccountScope,
        id: &TokenHash,
    ) -> Result<bool, StoreFailure>;
    /// `Conflict` if the user is a member already.
    async fn add_member(
        &self,
        account: AccountId,
        user: UserId,
        role: Role,
        at: OffsetDateTime,
    ) -> Result<(), StoreFailure>;
    /// Raises the user's security stamp: every session of theirs ends.
    async fn bump_security_stamp(&self, user: UserId) -> Result<i64, StoreFailure>;
}

/// One of an account's data keys as stored: wrapped by master key `master_key_id`.
#[derive(Debug, Clone)]
pub struct StoredAccountKey {
    pub version: u32,
    pub master_key_id: String,
    pub wrapped: Vec<u8>,
}

/// A contact as stored: personal and sensitive fields sealed with the account's data key
/// `key_version`; company and tags (public) as they are.
#[derive(Debug, Clone)]
pub struct SealedContact {
    pub id: ContactId,
    pub key_version: u32,
    pub name: Vec<u8>,
    pub email: Option<Vec<u8>>,
    pub email_index: Option<[u8; 32]>,
    pub phone: Option<Vec<u8>>,
    pub phone_index: Option<[u8; 32]>,
    pub address: Option<Vec<u8>>,
    pub birth_date: Option<Vec<u8>>,
    pub national_id: Option<Vec<u8>>,
    pub notes: Option<Vec<u8>>,
    pub company: Option<String>,
    pub tags: Vec<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Which contacts to list: every condition given must hold.
#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    pub tag: Option<String>,
    pub company: Option<String>,
    pub email_index: Option<[u8; 32]>,
    pub phone_index: Option<[u8; 32]>,
}

/// An account's data keys and contacts. Every method takes the [`AccountScope`] that
/// authorised the call and touches that account's rows only.
#[async_trait]
pub trait ContactStore: Send + Sync {
    /// The account's newest data key, if it has one yet.
    async fn current_account_key(
        &self,
        scope: &AccountScope,
    ) -> Result<Option<StoredAccountKey>, StoreFailure>;
    async fn account_key(
        &self,
        scope: &AccountScope,
        version: u32,
    ) -> Result<Option<StoredAccountKey>, StoreFailure>;
    /// `Conflict` if the version exists (another instance made it first).
    async fn create_account_key(
        &self,
        scope: &AccountScope,
        key: &StoredAccountKey,
        at: OffsetDateTime,
    ) -> Result<(), StoreFailure>;
    async fn create_contact(
        &self,
        scope: &AccountScope,
        contact: &SealedContact,
    ) -> Result<(), StoreFailure>;
    async fn contact(
        &self,
        scope: &AccountScope,
        id: ContactId,
    ) -> Result<Option<SealedContact>, StoreFailure>;
    /// Replaces the contact's fields and tags; whether it existed in the account.
    async fn update_contact(
        &self,
        scope: &AccountScope,
        contact: &SealedContact,
    ) -> Result<bool, StoreFailure>;
    /// Whether it existed in the account.
    async fn delete_contact(
        &self,
        scope: &AccountScope,
        id: ContactId,
    ) -> Result<bool, StoreFailure>;
    /// Up to `limit` contacts sealed with a data key older than `version`.
    async fn contacts_sealed_before(
        &self,
        scope: &AccountScope,
        version: u32,
        limit: u32,
    ) -> Result<Vec<SealedContact>, StoreFailure>;
    /// Stores the contact sealed anew if it is still sealed with `old_version` (a user's
    /// change since wins); whether it was.
    async fn reseal_contact(
        &self,
        scope: &AccountScope,
        contact: &SealedContact,
        old_version: u32,
    ) -> Result<bool, StoreFailure>;
    /// Deletes the account's data keys older than `version` that no row uses; how many.
    async fn retire_account_keys(
        &self,
        scope: &AccountScope,
        version: u32,
    ) -> Result<u64, StoreFailure>;
    /// Up to `limit` contacts matching `filter`, in id order (creation order: contact
    /// ids are time-ordered), after contact `after`.
    async fn contacts(
        &self,
        scope: &AccountScope,
        filter: &ContactFilter,
        after: Option<ContactId>,
        limit: u32,
    ) -> Result<Vec<SealedContact>, StoreFailure>;
}

/// An API token as stored (its secret only as a hash, elsewhere).
#[derive(Debug, Clone)]
pub struct StoredApiToken {
    pub id: ApiTokenId,
    pub account_id: AccountId,
    pub created_by: UserId,
    pub name: String,
    pub scope: ApiScope,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked: bool,
}

/// What an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiScope {
    Read,
    Write,
}

impl ApiScope {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiScope::Read => "read",
            ApiScope::Write => "write",
        }
    }

    pub fn parse(text: &str) -> Option<ApiScope> {
        match text {
            "read" => Some(ApiScope::Read),
            "write" => Some(ApiScope::Write),
            _ => None,
        }
    }
}

/// What a one-time token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::VerifyEmail => "verify_email",
            TokenPurpose::ResetPassword => "reset_password",
        }
    }
}

/// Sends e-mail. The development sender prints to the terminal and is refused in
/// production by the binary.
/// What a text-message code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsPurpose {
    /// Proving the phone is at hand: confirming a newly added number, or a change of
    /// 2-step security (one row per user and method, so the two never meet).
    ProvePhone,
    /// The second step of one sign-in.
    SignIn,
}

impl SmsPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            SmsPurpose::ProvePhone => "confirm_phone",
            SmsPurpose::SignIn => "sign_in",
        }
    }
}

/// Text-message codes and when they were sent (C13).
#[async_trait]
pub trait SmsCodeStore: Send + Sync {
    /// Stores the code of `purpose` for `user` (replacing an earlier one), bound to
    /// `challenge` if it is for a sign-in.
    async fn put_sms_code(
        &self,
        user: UserId,
        purpose: SmsPurpose,
        challenge: Option<&TokenHash>,
        mac: &[u8; 32],
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreFailure>;
    /// Spends the code if `mac`, `challenge`, the time and the tries all fit, in one
    /// statement; otherwise counts a try. Whether it was spent.
    async fn spend_sms_code(
        &self,
        user: UserId,
        purpose: SmsPurpose,
        challenge: Option<&TokenHash>,
        mac: &[u8; 32],
        now: OffsetDateTime,
        max_tries: u32,
    ) -> Result<bool, StoreFailure>;
    async fn record_sms_send(&self, user: UserId, at: OffsetDateTime) -> Result<(), StoreFailure>;
    /// How many codes were sent to `user` since `since`, and when the last was.
    async fn sms_sends_since(
        &self,
        user: UserId,
        since: OffsetDateTime,
    ) -> Result<(u64, Option<OffsetDateTime>), StoreFailure>;
}

/// Sends text messages through a provider (C13).
#[async_trait]
pub trait SmsSender: Send + Sync {
    /// Sends `text` to `to` (E.164); the error says why not, for the log only.
    async fn send(&self, to: &str, text: &str) -> Result<(), String>;
}

/// Where security alerts go: the operator's webhook or mailbox (C14).
#[async_trait]
pub trait AlertSink: Send + Sync {
    /// Delivers `alert`; the error says why not, for the log.
    async fn send(&self, alert: &crate::alerts::SecurityAlert) -> Result<(), String>;
}

/// Attempt counters shared by every instance, for rate limits (C14).
#[async_trait]
pub trait RateCounters: Send + Sync {
    /// Counts one hit on `bucket` in the fixed window that began at `window_start`, in
    /// one statement; the hits in that window so far, this one included.
    async fn hit(
        &self,
        bucket: &[u8; 32],
        window_start: OffsetDateTime,
    ) -> Result<u64, StoreFailure>;
    /// The hits on `bucket` in the window that began at `window_start`, without adding.
    async fn hits(
        &self,
        bucket: &[u8; 32],
        window_start: OffsetDateTime,
    ) -> Result<u64, StoreFailure>;
    /// Deletes counters of windows that began before `before`; how many.
    async fn forget_before(&self, before: OffsetDateTime) -> Result<u64, StoreFailure>;
}

/// Known devices and failed-password counters, for the brute-force defence (C14).
#[async_trait]
pub trait SignInGuardStore: Send + Sync {
    /// Whether `hash` is a device token of `user`; marks it used.
    async fn known_device(
        &self,
        user: UserId,
        hash: &TokenHash,
        at: OffsetDateTime,
    ) -> Result<bool, StoreFailure>;
    async fn add_device(
        &self,
        user: UserId,
        hash: &TokenHash,
        at: OffsetDateTime,
    ) -> Result<(), StoreFailure>;
    /// Failures so far on `bucket` and when the last was.
    async fn failures(
        &self,
        bucket: &[u8; 32],
    ) -> Result<Option<(u64, OffsetDateTime)>, StoreFailure>;
    /// Counts one more failure on `bucket` at `at`, in one statement; the count since
    /// it was last cleared, this one included.
    async fn record_failure(
        &self,
        bucket: &[u8; 32],
        at: OffsetDateTime,
    ) -> Result<u64, StoreFailure>;
    async fn clear_failures(&self, bucket: &[u8; 32]) -> Result<(), StoreFailure>;
    /// Counts one more password check for an unrecognised device at `at`, in one
    /// statement; the count since it was last cleared, this one included.
    async fn count_unrecognised_failure(
        &self,
        user: UserId,
        at: OffsetDateTime,
    ) -> Result<u64, StoreFailure>;
    /// Clears the count, but only if no unrecognised device tried since `quiet_since`
    /// (`None`: whatever the last try).
    async fn clear_unrecognised_failures(
        &self,
        user: UserId,
        quiet_since: Option<OffsetDateTime>,
    ) -> Result<(), StoreFailure>;
}

/// One of a user's second steps, as stored.
#[derive(Debug, Clone)]
pub struct StoredSecondStep {
    pub method: SecondStepMethod,
    /// For TOTP the shared secret (base32), sealed for the users row.
    pub secret: Sealed,
    /// `false` while it is being set up: it does not count for sign-in yet.
    pub confirmed: bool,
}

/// A user's second steps, recovery codes and pending sign-in challenges (C13).
#[async_trait]
pub trait SecondStepStore: Send + Sync {
    async fn second_steps(&self, user: UserId) -> Result<Vec<StoredSecondStep>, StoreFailure>;
    /// Stores `method` as being set up, replacing an earlier unconfirmed one; `false`
    /// (nothing stored) while a confirmed one exists.
    async fn begin_second_step(
        &self,
        user: UserId,
        method: SecondStepMethod,
        secret: &Sealed,
        at: OffsetDateTime,
    ) -> Result<bool, StoreFailure>;
    /// Marks the method confirmed, with the TOTP time step its confirming code used;
    /// `false` if there was nothing unconfirmed to confirm.
    async fn confirm_second_step(
        &self,
        user: UserId,
        method: SecondStepMethod,
        step: i64,
        at: OffsetDateTime,
    ) -> Result<bool, StoreFailure>;
    /// Accepts TOTP time step `step` if it is later than every step accepted before, in
    /// one statement, so a code is never accepted twice (even by two instances at once).
    async fn use_totp_step(&self, user: UserId, step: i64) -> Result<bool, StoreFailure>;
    /// Deletes `method`, and the recovery codes with the last method; whether there was
    /// such a method.
    async fn remove_second_step(
        &self,
        user: UserId,
        method: SecondStepMethod,
    ) -> Result<bool, StoreFailure>;
    /// Replaces every recovery code of `user` with these.
    async fn replace_recovery_codes(
        &self,
        user: UserId,
        hashes: &[TokenHash],
    ) -> Result<(), StoreFailure>;
    /// Spends an unused recovery code of `user`, in one statement; whether there was one.
    async fn use_recovery_code(
        &self,
        user: UserId,
        hash: &TokenHash,
        at: OffsetDateTime,
    ) -> Result<bool, StoreFailure>;
    async fn recovery_codes_left(&self, user: UserId) -> Result<u64, StoreFailure>;
    async fn create_challenge(
        &self,
        hash: &TokenHash,
        user: UserId,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreFailure>;
    /// Takes one try of a challenge that is unspent, unexpired at `now` and has had
    /// fewer than `max_tries`, in one statement: its user, or `None`. The try is taken
    /// before the code is checked, so requests racing each other (on any instance)
    /// never check more than `max_tries` codes against one challenge.
    async fn take_challenge_try(
        &self,
        hash: &TokenHash,
        now: OffsetDateTime,
        max_tries: u32,
    ) -> Result<Option<UserId>, StoreFailure>;
    /// Spends the challenge, in one statement; whether it was still unspent.
    async fn spend_challenge(
        &self,
        hash: &TokenHash,
        at: OffsetDateTime,
    ) -> Result<bool, StoreFailure>;
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String>;
}

/// The erasure ledger (C9): erasures recorded outside the database, so a restore of an
/// older backup can apply them again.
#[async_trait]
pub trait ErasureLedger: Send + Sync {
    /// Records `erasure` durably; it counts only once this has returned.
    async fn record(&self, erasure: &crate::Erasure) -> Result<(), StoreFailure>;
}
