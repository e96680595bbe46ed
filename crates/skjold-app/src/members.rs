//! An account's members (C15): invitations by e-mail with a role, role changes, removals
//! and the transfer of ownership. Every change is audited and raises the member's
//! security stamp, so it takes effect on their next request; an account always keeps an
//! owner; only an owner can make, unmake or remove an owner.

use secrecy::ExposeSecret;
use skjold_crypto::{TokenKind, hash_token, new_token};
use skjold_domain::{AccountId, EmailAddress, Role, UserId, mask_email};
use time::{Duration, OffsetDateTime};

use crate::App;
use crate::auth::{Caller, EMAIL_FIELD, IssuedSession, RequestMeta};
use crate::error::AppError;
use crate::permissions::{AccountScope, Operation};
use crate::ports::{MemberChange, NewInvitation, StoreFailure};
use crate::profile::NAME_FIELD;
use crate::rate_limits::AuthEndpoint;

/// How long an invitation link works.
const INVITATION_LIFETIME: Duration = Duration::days(7);

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
    /// address; the answer is the same whether or not the address has a user.
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
        let (token, hash) =
            new_token(TokenKind::Invitation).map_err(|e| AppError::unexpected(e.to_string()))?;
        let invitation = NewInvitation {
            email_index: self.blind_index.of(EMAIL_FIELD, email.as_str()),
            role,
            invited_by: inviter,
            expires_at: self.clock.now() + INVITATION_LIFETIME,
        };
        self.members_store
            .create_invitation(&scope, &hash, &invitation)
            .await?;
        let account = self
            .accounts
            .account_name(scope.account())
            .await?
            .ok_or(AppError::NotFound)?;
        let body = format!(
            "You are invited to join {account} as {role}. Sign in (or create your login with this address) and open this link within seven days:\n\n{}\n\nIf you did not expect this, ignore this mail.",
            self.link("/accept-invitation", &token).expose_secret()
        );
        self.mail(&email, &format!("Invitation to join {account}"), &body)
            .await;
        self.record_account_event("member_invited", &scope, meta)
            .await
    }

    /// Joins the caller to the invitation's account with its role. The invitation must
    /// be for the caller's own address: a forwarded link is worthless to anyone else.
    pub async fn accept_invitation(
        &self,
        caller: Caller,
        token: &str,
        meta: &RequestMeta,
    ) -> Result<(AccountId, Role), AppError> {
        self.throttle(AuthEndpoint::InvitationAccept, meta).await?;
        let user = self.current_user(caller).await?;
        let email = EmailAddress::parse(&self.open_email(&user)?)?;
        let index = self.blind_index.of(EMAIL_FIELD, email.as_str());
        let now = self.clock.now();
        let (account, role) = self
            .members_store
            .spend_invitation(&hash_token(token), &index, now)
            .await?
            .ok_or(AppError::InvalidLink)?;
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
