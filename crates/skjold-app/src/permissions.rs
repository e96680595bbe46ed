//! Who may do what in an account (C15): the permission matrix, decided here and nowhere
//! else, and the [`AccountScope`] that proves a decision was made.

use skjold_domain::{AccountId, Role, UserId};

use crate::App;
use crate::api_tokens::AccountPrincipal;
use crate::auth::{Caller, RequestMeta};
use crate::error::AppError;
use crate::ports::ApiScope;

/// Everything a principal can ask to do with an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    ViewAccount,
    ManageBilling,
    DeleteAccount,
    TransferOwnership,
    ListMembers,
    ManageMembers,
    ManageSettings,
    /// Require 2-step security of every member.
    RequireSecondStep,
    ManageApiTokens,
    ReadAudit,
    ReadContacts,
    WriteContacts,
    ExportContacts,
    /// Receive personal fields as they are; without it they arrive masked.
    SeePersonalData,
}

impl Operation {
    /// Every operation, for tests and documentation that must cover them all.
    pub const ALL: [Operation; 14] = [
        Operation::ViewAccount,
        Operation::ManageBilling,
        Operation::DeleteAccount,
        Operation::TransferOwnership,
        Operation::ListMembers,
        Operation::ManageMembers,
        Operation::ManageSettings,
        Operation::RequireSecondStep,
        Operation::ManageApiTokens,
        Operation::ReadAudit,
        Operation::ReadContacts,
        Operation::WriteContacts,
        Operation::ExportContacts,
        Operation::SeePersonalData,
    ];
}

/// The matrix. An owner may do everything; an admin everything but billing, deleting,
/// giving away the account and its 2-step policy; a member works with the data; a restricted member works with
/// it too, but sees personal data masked and cannot export it.
pub fn role_allows(role: Role, op: Operation) -> bool {
    use Operation::*;
    match role {
        Role::Owner => true,
        Role::Admin => !matches!(
            op,
            ManageBilling | DeleteAccount | TransferOwnership | RequireSecondStep
        ),
        Role::Member => matches!(
            op,
            ViewAccount
                | ListMembers
                | ReadContacts
                | WriteContacts
                | ExportContacts
                | SeePersonalData
        ),
        Role::Restricted => matches!(op, ViewAccount | ListMembers | ReadContacts | WriteContacts),
    }
}

/// What an API token may do: read (or also change) the account's data, as an integration
/// needs it; never manage the account, its people or its tokens.
fn token_allows(scope: ApiScope, op: Operation) -> bool {
    use Operation::*;
    match op {
        ViewAccount | ReadContacts | SeePersonalData => true,
        WriteContacts => scope == ApiScope::Write,
        _ => false,
    }
}

/// Proof that a principal may do one operation on one account. Only [`App::authorize`]
/// makes one, and every storage call on an account's data takes one, so a query cannot
/// be written that forgets whose data it touches (tenant isolation).
#[derive(Debug, Clone, Copy)]
pub struct AccountScope {
    account: AccountId,
    principal: AccountPrincipal,
}

impl AccountScope {
    /// For what the system itself does on an account: maintenance the operator runs on
    /// every account (key rotation), alerts to its owners.
    pub(crate) fn operator(account: AccountId) -> AccountScope {
        AccountScope {
            account,
            principal: AccountPrincipal::Operator,
        }
    }

    /// `principal`'s scope in `account`, if its role or token allows `op` there.
    fn allowing(
        account: AccountId,
        principal: AccountPrincipal,
        op: Operation,
    ) -> Result<AccountScope, AppError> {
        let scope = AccountScope { account, principal };
        scope.require(op)?;
        Ok(scope)
    }

    pub fn account(&self) -> AccountId {
        self.account
    }

    /// The signed-in caller, if a person acts (not an API token).
    pub fn caller(&self) -> Option<Caller> {
        match self.principal {
            AccountPrincipal::Member { caller, .. } => Some(caller),
            AccountPrincipal::Token { .. } | AccountPrincipal::Operator => None,
        }
    }

    /// The person acting, if a person is (not an API token).
    pub fn actor(&self) -> Option<UserId> {
        match self.principal {
            AccountPrincipal::Member { caller, .. } => Some(caller.user_id),
            AccountPrincipal::Token { .. } | AccountPrincipal::Operator => None,
        }
    }

    /// `Forbidden` unless this principal may do `op`: each use case states what it needs,
    /// whatever its caller authorised.
    pub fn require(&self, op: Operation) -> Result<(), AppError> {
        if self.allows(op) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Whether this principal may also do `op` on the same account.
    pub fn allows(&self, op: Operation) -> bool {
        match self.principal {
            AccountPrincipal::Member { role, .. } => role_allows(role, op),
            AccountPrincipal::Token { scope } => token_allows(scope, op),
            AccountPrincipal::Operator => false,
        }
    }
}

impl App {
    /// Records `action` in the audit trail of the scope's account, by its actor.
    pub(crate) async fn record_account_event(
        &self,
        action: &'static str,
        scope: &AccountScope,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        let event = self.audit(action, Some(scope.account()), scope.actor(), Some(meta));
        self.record_audit(event).await
    }

    /// Authenticates `credential` for `account` and checks that it may do `op` there.
    /// Not a member: `NotFound`, as for an account that does not exist; a member whose
    /// role does not allow it: `Forbidden`.
    pub async fn authorize(
        &self,
        credential: &str,
        account: AccountId,
        op: Operation,
    ) -> Result<AccountScope, AppError> {
        let principal = self.authenticate_for_account(credential, account).await?;
        AccountScope::allowing(account, principal, op)
    }

    /// [`App::authorize`] for a person already signed in (the web pages, whose session
    /// was checked once for the request).
    pub async fn authorize_member(
        &self,
        caller: Caller,
        account: AccountId,
        op: Operation,
    ) -> Result<AccountScope, AppError> {
        let principal = self.member_principal(caller, account).await?;
        AccountScope::allowing(account, principal, op)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Operation::*;

    /// The matrix as a table: one row per operation, one column per role
    /// (owner, admin, member, restricted).
    const MATRIX: [(Operation, [bool; 4]); 14] = [
        (ViewAccount, [true, true, true, true]),
        (ManageBilling, [true, false, false, false]),
        (DeleteAccount, [true, false, false, false]),
        (TransferOwnership, [true, false, false, false]),
        (ListMembers, [true, true, true, true]),
        (ManageMembers, [true, true, false, false]),
        (ManageSettings, [true, true, false, false]),
        (RequireSecondStep, [true, false, false, false]),
        (ManageApiTokens, [true, true, false, false]),
        (ReadAudit, [true, true, false, false]),
        (ReadContacts, [true, true, true, true]),
        (WriteContacts, [true, true, true, true]),
        (ExportContacts, [true, true, true, false]),
        (SeePersonalData, [true, true, true, false]),
    ];

    #[test]
    fn the_matrix_is_exactly_the_table() {
        assert_eq!(
            MATRIX.map(|(op, _)| op),
            Operation::ALL,
            "every operation has a row"
        );
        let roles = [Role::Owner, Role::Admin, Role::Member, Role::Restricted];
        for (op, expected) in MATRIX {
            for (role, allowed) in roles.into_iter().zip(expected) {
                assert_eq!(role_allows(role, op), allowed, "{role} {op:?}");
            }
        }
    }

    #[test]
    fn tokens_read_or_write_data_and_manage_nothing() {
        for op in Operation::ALL {
            let read = matches!(op, ViewAccount | ReadContacts | SeePersonalData);
            assert_eq!(token_allows(ApiScope::Read, op), read, "read {op:?}");
            assert_eq!(
                token_allows(ApiScope::Write, op),
                read || op == WriteContacts,
                "write {op:?}"
            );
        }
    }
}
