//! API tokens: machine access to one account. Made by a member who may manage them (owner
//! or admin, with a verified address, meeting the account's 2-step policy), shown once,
//! stored as a hash, expiring within a year, revocable, and dead as soon as their creator
//! loses the right to make them.

use secrecy::SecretString;
use skjold_crypto::{TokenKind, hash_token, new_token};
use skjold_domain::{AccountId, ApiTokenId, Role};
use time::Duration;

use crate::App;
use crate::auth::{Caller, RequestMeta};
use crate::error::AppError;
use crate::permissions::{AccountScope, Operation, role_allows};
use crate::ports::{ApiScope, StoredApiToken};

/// The longest an API token may live.
pub const MAX_TOKEN_DAYS: i64 = 365;

/// A token just made: the secret, shown once, and what is stored about it.
#[derive(Debug)]
pub struct CreatedApiToken {
    pub token: SecretString,
    pub stored: StoredApiToken,
}

/// Who is acting on an account.
#[derive(Debug, Clone, Copy)]
pub(crate) enum AccountPrincipal {
    Member {
        caller: Caller,
        role: Role,
    },
    Token {
        scope: ApiScope,
    },
    /// The operator's maintenance (key rotation): no person, no permissions; reaches
    /// the account's rows only through maintenance use cases.
    Operator,
}

/// An account as its members and tokens see it.
#[derive(Debug, Clone)]
pub struct AccountView {
    pub id: AccountId,
    pub name: String,
    /// Whether every member needs a second step to reach the account.
    pub require_second_step: bool,
}

impl App {
    /// The caller's role in `account`. Not a member: `NotFound`, exactly as for an account
    /// that does not exist (ASVS 8.4.1: no hint that another tenant exists).
    async fn role_of(&self, caller: Caller, account: AccountId) -> Result<Role, AppError> {
        self.accounts
            .role_in(caller.user_id, account)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Checks that `caller` may manage the tokens of `account`: their role allows it,
    /// their address is verified, and they meet the account's 2-step policy (ASVS 6.3.3:
    /// a token must not be the way around a second step the account requires).
    async fn token_manager(&self, caller: Caller, account: AccountId) -> Result<(), AppError> {
        if !role_allows(
            self.role_of(caller, account).await?,
            Operation::ManageApiTokens,
        ) {
            return Err(AppError::Forbidden);
        }
        self.require_verified(caller.user_id).await?;
        self.require_second_step_policy(caller, account).await
    }

    pub async fn create_api_token(
        &self,
        caller: Caller,
        account: AccountId,
        name: &str,
        scope: &str,
        expires_in_days: i64,
        meta: &RequestMeta,
    ) -> Result<CreatedApiToken, AppError> {
        self.token_manager(caller, account).await?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(AppError::InvalidInput(
                "a token needs a name of 1 to 100 characters",
            ));
        }
        let scope =
            ApiScope::parse(scope).ok_or(AppError::InvalidInput("scope must be read or write"))?;
        if !(1..=MAX_TOKEN_DAYS).contains(&expires_in_days) {
            return Err(AppError::InvalidInput(
                "expires_in_days must be between 1 and 365",
            ));
        }
        let (token, hash) =
            new_token(TokenKind::ApiToken).map_err(|e| AppError::unexpected(e.to_string()))?;
        let now = self.clock.now();
        let stored = StoredApiToken {
            id: ApiTokenId::new(),
            account_id: account,
            created_by: caller.user_id,
            name: name.to_owned(),
            scope,
            created_at: now,
            expires_at: now + Duration::days(expires_in_days),
            last_used_at: None,
            revoked: false,
        };
        self.accounts.create_api_token(&stored, &hash).await?;
        self.record_audit(self.audit(
            "api_token_created",
            Some(account),
            Some(caller.user_id),
            Some(meta),
        ))
        .await?;
        Ok(CreatedApiToken { token, stored })
    }

    pub async fn api_tokens(
        &self,
        caller: Caller,
        account: AccountId,
    ) -> Result<Vec<StoredApiToken>, AppError> {
        self.token_manager(caller, account).await?;
        Ok(self.accounts.api_tokens(account).await?)
    }

    pub async fn revoke_api_token(
        &self,
        caller: Caller,
        account: AccountId,
        id: ApiTokenId,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        self.token_manager(caller, account).await?;
        if !self
            .accounts
            .revoke_api_token(account, id, self.clock.now())
            .await?
        {
            return Err(AppError::NotFound);
        }
        self.record_audit(self.audit(
            "api_token_revoked",
            Some(account),
            Some(caller.user_id),
            Some(meta),
        ))
        .await?;
        Ok(())
    }

    /// A signed-in person acting in `account`: their role there, once the account's
    /// 2-step policy is met.
    pub(crate) async fn member_principal(
        &self,
        caller: Caller,
        account: AccountId,
    ) -> Result<AccountPrincipal, AppError> {
        let role = self.role_of(caller, account).await?;
        self.require_second_step_policy(caller, account).await?;
        Ok(AccountPrincipal::Member { caller, role })
    }

    /// Establishes who acts on `account`: an API token of that account (`skjt_…`) or a
    /// member's session. Anything else is `Unauthenticated`, or `NotFound` for a valid
    /// credential that has no business with this account.
    pub(crate) async fn authenticate_for_account(
        &self,
        token: &str,
        account: AccountId,
    ) -> Result<AccountPrincipal, AppError> {
        if !token.starts_with("skjt_") {
            let caller = self.authenticate(token).await?;
            return self.member_principal(caller, account).await;
        }
        let stored = self
            .accounts
            .api_token_by_hash(&hash_token(token))
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let now = self.clock.now();
        if stored.revoked || now >= stored.expires_at {
            return Err(AppError::Unauthenticated);
        }
        // The token lives only as long as its creator may make tokens for the account,
        // 2-step policy included: switching the policy on, or the creator taking their
        // second step off, stops the tokens of everyone who no longer meets it.
        let creator = Caller {
            user_id: stored.created_by,
            session_id: skjold_domain::SessionId::new(),
        };
        if self
            .token_manager(creator, stored.account_id)
            .await
            .is_err()
        {
            return Err(AppError::Unauthenticated);
        }
        if stored.account_id != account {
            return Err(AppError::NotFound);
        }
        self.accounts.touch_api_token(stored.id, now).await?;
        Ok(AccountPrincipal::Token {
            scope: stored.scope,
        })
    }

    /// `GET /accounts/{id}`: the account `scope` was authorised for.
    pub async fn account(&self, scope: AccountScope) -> Result<AccountView, AppError> {
        let account = scope.account();
        let name = self
            .accounts
            .account_name(account)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(AccountView {
            id: account,
            name,
            require_second_step: self.accounts.second_step_required(account).await?,
        })
    }
}
