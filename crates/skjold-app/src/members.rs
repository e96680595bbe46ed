//! An account's members (C15): invitations by e-mail with a role, role changes, removals
//! and the transfer of ownership. Every change is audited and raises the member's
//! security stamp, so it takes effect on their next request; an account always keeps an
//! owner; only an owner can make, unmake or remove an owner.

use secrecy::ExposeSecret;
use skjold_crypto::{TokenHash, TokenKind, hash_token, new_token};
use skjold_domain::{
    AccountId, EmailAddress, Role, UserId, hex, mask_email, without_direction_marks,
};
use time::{Duration, OffsetDateTime};

use crate::App;
use crate::auth::{Caller, EMAIL_FIELD, IssuedSession, RequestMeta};
use crate::error::AppError;
use crate::measures::RATE_LIMITED;
use crate::permissions::{AccountScope, Operation, role_allows};
use crate::ports::{MemberChange, NewInvitation, StoreFailure};
use crate::profile::NAME_FIELD;
use crate::rate_limits::{AuthEndpoint, seconds_until, window_start};

/// How long an invitation link works.
const INVITATION_LIFETIME: Duration = Duration::days(7);
/// Invitations one person may send in an hour: a team's worth, not a mailing.
const INVITES_PER_INVITER: (u64, Duration) = (20, Duration::hours(1));
/// Invitations one account may send in a day, whoever sends them.
const INVITES_PER_ACCOUNT: (u64, Duration) = (50, Duration::days(1));

/// A pending invitation as an inviter sees it.
#[derive(Debug, Clone)]
pub struct InvitationView {
    /// Names the invitation for revoking it; not the link's token.
    pub id: String,
    /// The invitee's address masked; `None` for invitations older than the register.
    pub email_masked: Option<String>,
    pub role: Role,
    pub invited_by: UserId,
    pub created_at: Option<OffsetDateTime>,
    pub expires_at: OffsetDateTime,
}

/// The token hash an invitation id (64 lower-case hex digits) names.
fn invitation_hash(id: &str) -> Option<TokenHash> {
    if id.len() != 64 {
        return None;
    }
    let mut hash = [0u8; 32];
    for (byte, pair) in hash.iter_mut().zip(id.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        if pair.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(TokenHash(hash))
}

/// A member as the caller may see them: the address masked for a caller without
/// [`Operation::SeePersonalData`].
#[derive(Debug, Clone)]
pub struct MemberView {
    pub user_id: UserId,
    pub name: Option<String>,
    pub email: String,
    pub role: Role,
    pub joined_at: OffsetDateTime,
}

impl App {
    pub async fn members(&self, scope: AccountScope) -> Result<Vec<MemberView>, AppError> {
        scope.require(Operation::ListMembers)?;
        let unmasked = scope.allows(Operation::SeePersonalData);
        let mut views = Vec::new();
        for member in self.members_store.members(&scope).await? {
            let user = &member.user;
            let email = EmailAddress::parse(&self.open_email(user)?)?;
            let name = user
                .name
                .as_ref()
                .map(|n| self.open_user_field(user.id, NAME_FIELD, &n.bytes, &n.key_id))
                .transpose()?;
            views.push(MemberView {
                user_id: user.id,
                name: name.filter(|_| unmasked),
                email: if unmasked {
                    email.as_str().to_owned()
                } else {
                    mask_email(&email)
                },
                role: member.role,
                joined_at: member.joined_at,
            });
        }
        Ok(views)
    }

    /// Only an owner may give, take or touch the owner role.
    fn check_owner_rights(scope: &AccountScope, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&Role::Owner) {
            scope.require(Operation::TransferOwnership)?;
        }
        Ok(())
    }

    /// Sends an invitation to `email` to join with `role`. The inviter needs a verified
    /// address; the answer is the same whether or not the address has a user. At most
    /// [`INVITES_PER_INVITER`] an hour from one inviter and [`INVITES_PER_ACCOUNT`] a day
    /// from one account: each one mails a stranger.
    pub async fn invite(
        &self,
        scope: AccountScope,
        email: &str,
        role: &str,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        scope.require(Operation::ManageMembers)?;
        let role: Role = role.parse().map_err(|_| {
            AppError::InvalidInput("role must be owner, admin, member or restricted")
        })?;
        Self::check_owner_rights(&scope, &[role])?;
        let inviter = scope.actor().ok_or(AppError::Forbidden)?;
        self.require_verified(inviter).await?;
        let email = EmailAddress::parse(email)?;
        self.count_invitation(&scope, inviter).await?;
        let (token, hash) =
            new_token(TokenKind::Invitation).map_err(|e| AppError::unexpected(e.to_string()))?;
        let now = self.clock.now();
        let invitation = NewInvitation {
            email_index: self.blind_index.of(EMAIL_FIELD, email.as_str()),
            email_masked: mask_email(&email),
            role,
            invited_by: inviter,
            created_at: now,
            expires_at: now + INVITATION_LIFETIME,
        };
        self.members_store
            .create_invitation(&scope, &hash, &invitation)
            .await?;
        let account = self
            .accounts
            .account_name(scope.account())
            .await?
            .ok_or(AppError::NotFound)?;
        // Names are refused with direction overrides now; one kept from before is
        // quoted without them.
        let account = without_direction_marks(&account);
        let body = format!(
            "You are invited to join {account} as {role}. Sign in (or create your login with this address) and open this link within seven days:\n\n{}\n\nIf you did not expect this, ignore this mail.",
            self.link("/accept-invitation", &token).expose_secret()
        );
        self.mail(&email, &format!("Invitation to join {account}"), &body)
            .await;
        self.record_account_event("member_invited", &scope, meta)
            .await
    }

    /// Counts one invitation against the inviter's and the account's budgets.
    async fn count_invitation(
        &self,
        scope: &AccountScope,
        inviter: UserId,
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        let budgets = [
            (format!("inviter|{inviter}"), INVITES_PER_INVITER),
            (format!("account|{}", scope.account()), INVITES_PER_ACCOUNT),
        ];
        for (key, (limit, window)) in budgets {
            let start = window_start(now, window);
            let bucket = self.blind_index.of("invitations", &key);
            if self.rate_counters.hit(&bucket, start).await? > limit {
                metrics::counter!(RATE_LIMITED, "endpoint" => "invitation").increment(1);
                return Err(AppError::RateLimited {
                    retry_after: seconds_until(now, start + window),
                });
            }
        }
        Ok(())
    }

    /// The account's pending invitations, newest first: unused, unexpired, and sent by
    /// someone who may still invite to that role (the others can no longer be accepted).
    pub async fn invitations(&self, scope: AccountScope) -> Result<Vec<InvitationView>, AppError> {
        scope.require(Operation::ManageMembers)?;
        let now = self.clock.now();
        let mut views = Vec::new();
        for invitation in self.members_store.pending_invitations(&scope, now).await? {
            if !self
                .may_still_invite(invitation.invited_by, scope.account(), invitation.role)
                .await?
            {
                continue;
            }
            views.push(InvitationView {
                id: hex(&invitation.id.0),
                email_masked: invitation.email_masked,
                role: invitation.role,
                invited_by: invitation.invited_by,
                created_at: invitation.created_at,
                expires_at: invitation.expires_at,
            });
        }
        Ok(views)
    }

    /// Takes back a pending invitation: its link stops working at once.
    pub async fn revoke_invitation(
        &self,
        scope: AccountScope,
        id: &str,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        scope.require(Operation::ManageMembers)?;
        let hash = invitation_hash(id).ok_or(AppError::NotFound)?;
        if !self.members_store.revoke_invitation(&scope, &hash).await? {
            return Err(AppError::NotFound);
        }
        self.record_account_event("invitation_revoked", &scope, meta)
            .await
    }

    /// Whether `inviter` may still invite to `role` in `account`: a member whose role
    /// manages members, and an owner for the owner role.
    async fn may_still_invite(
        &self,
        inviter: UserId,
        account: AccountId,
        role: Role,
    ) -> Result<bool, AppError> {
        let Some(now) = self.accounts.role_in(inviter, account).await? else {
            return Ok(false);
        };
        Ok(role_allows(now, Operation::ManageMembers)
            && (role != Role::Owner || role_allows(now, Operation::TransferOwnership)))
    }

    /// Joins the caller to the invitation's account with its role. The invitation must
    /// be for the caller's own, verified address: a forwarded link is worthless to
    /// anyone else. It dies with its inviter's right to invite to that role.
    pub async fn accept_invitation(
        &self,
        caller: Caller,
        token: &str,
        meta: &RequestMeta,
    ) -> Result<(AccountId, Role), AppError> {
        self.throttle(AuthEndpoint::InvitationAccept, meta).await?;
        let user = self.current_user(caller).await?;
        self.require_verified(user.id).await?;
        let email = EmailAddress::parse(&self.open_email(&user)?)?;
        let index = self.blind_index.of(EMAIL_FIELD, email.as_str());
        let now = self.clock.now();
        let spent = self
            .members_store
            .spend_invitation(&hash_token(token), &index, now)
            .await?
            .ok_or(AppError::InvalidLink)?;
        if !self
            .may_still_invite(spent.invited_by, spent.account, spent.role)
            .await?
        {
            return Err(AppError::InvalidLink);
        }
        let (account, role) = (spent.account, spent.role);
        match self
            .members_store
            .add_member(account, user.id, role, now)
            .await
        {
            Ok(()) | Err(StoreFailure::Conflict) => {}
            Err(other) => return Err(other.into()),
        }
        self.record_audit(self.audit("member_joined", Some(account), Some(user.id), Some(meta)))
            .await?;
        Ok((account, role))
    }

    /// Gives `user` the role `role`. The member's sessions end (their stamp rises), so
    /// the new role holds from their next sign-in on.
    pub async fn change_role(
        &self,
        scope: AccountScope,
        user: UserId,
        role: &str,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        scope.require(Operation::ManageMembers)?;
        let role: Role = role.parse().map_err(|_| {
            AppError::InvalidInput("role must be owner, admin, member or restricted")
        })?;
        let current = self
            .members_store
            .member_role(&scope, user)
            .await?
            .ok_or(AppError::NotFound)?;
        Self::check_owner_rights(&scope, &[role, current])?;
        let change = self.members_store.set_role(&scope, user, role).await?;
        self.finish_member_change(change, "role_changed", &scope, user, meta)
            .await
    }

    pub async fn remove_member(
        &self,
        scope: AccountScope,
        user: UserId,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        scope.require(Operation::ManageMembers)?;
        let current = self
            .members_store
            .member_role(&scope, user)
            .await?
            .ok_or(AppError::NotFound)?;
        Self::check_owner_rights(&scope, &[current])?;
        let change = self.members_store.remove_member(&scope, user).await?;
        self.finish_member_change(change, "member_removed", &scope, user, meta)
            .await
    }

    /// Makes member `to` an owner and the calling owner an admin. The caller's session is
    /// re-issued (their role changed too) and returned.
    pub async fn transfer_ownership(
        &self,
        scope: AccountScope,
        to: UserId,
        meta: &RequestMeta,
    ) -> Result<IssuedSession, AppError> {
        scope.require(Operation::TransferOwnership)?;
        let caller = scope.caller().ok_or(AppError::Forbidden)?;
        if to == caller.user_id {
            return Err(AppError::InvalidInput("you own the account already"));
        }
        let promoted = self.members_store.set_role(&scope, to, Role::Owner).await?;
        self.finish_member_change(promoted, "ownership_received", &scope, to, meta)
            .await?;
        let demoted = self
            .members_store
            .set_role(&scope, caller.user_id, Role::Admin)
            .await?;
        if demoted != MemberChange::Done {
            return Err(AppError::unexpected(format!(
                "demoting the old owner: {demoted:?}"
            )));
        }
        let stamp = self
            .members_store
            .bump_security_stamp(caller.user_id)
            .await?;
        self.record_account_event("ownership_transferred", &scope, meta)
            .await?;
        let user = self.current_user(caller).await?;
        self.reissue_session(caller, &user, stamp, meta).await
    }

    async fn finish_member_change(
        &self,
        change: MemberChange,
        action: &'static str,
        scope: &AccountScope,
        user: UserId,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        match change {
            MemberChange::NotMember => return Err(AppError::NotFound),
            MemberChange::LastOwner => {
                return Err(AppError::InvalidInput(
                    "an account always keeps an owner: make someone else owner first",
                ));
            }
            MemberChange::Done => {}
        }
        self.members_store.bump_security_stamp(user).await?;
        self.record_account_event(action, scope, meta).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invitation_id_is_exactly_its_hash_in_lower_case_hex() {
        let hash = TokenHash([0xab; 32]);
        let id = hex(&hash.0);
        assert_eq!(invitation_hash(&id).map(|h| h.0), Some(hash.0));
        assert!(invitation_hash(&id.to_uppercase()).is_none());
        assert!(invitation_hash(&id[..62]).is_none());
        assert!(invitation_hash(&format!("{}zz", &id[..62])).is_none());
        assert!(invitation_hash("é".repeat(32).as_str()).is_none());
    }
}
