//! An account's members and invitations.

use async_trait::async_trait;
use skjold_app::{
    AccountScope, MemberChange, MemberStore, NewInvitation, SpentInvitation, StoreFailure,
    StoredInvitation, StoredMember,
};
use skjold_crypto::TokenHash;
use skjold_domain::{AccountId, Role, UserId};
use sqlx::Row;
use time::OffsetDateTime;

use crate::accounts::{USER_COLUMNS, user_of};
use crate::database::Database;
use crate::sql::{failure, on_pool, parse, secs, time_of};

/// The condition under which a membership may stop being an owner's: it is not one, or
/// another owner remains. Checked inside the changing statement itself.
const KEEPS_AN_OWNER: &str = "(role <> 'owner' OR \
     (SELECT COUNT(*) FROM memberships WHERE account_id = $1 AND role = 'owner') > 1)";

impl Database {
    /// After a change that touched no row: was it not a member, or the last owner?
    async fn why_unchanged(
        &self,
        scope: &AccountScope,
        user: UserId,
    ) -> Result<MemberChange, StoreFailure> {
        Ok(match self.member_role(scope, user).await? {
            None => MemberChange::NotMember,
            Some(_) => MemberChange::LastOwner,
        })
    }
}

#[async_trait]
impl MemberStore for Database {
    async fn members(&self, scope: &AccountScope) -> Result<Vec<StoredMember>, StoreFailure> {
        let user_columns: Vec<String> = USER_COLUMNS
            .split(',')
            .map(|c| format!("u.{}", c.trim()))
            .collect();
        let sql = format!(
            "SELECT {}, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.account_id = $1 ORDER BY m.created_at, u.id",
            user_columns.join(", ")
        );
        let role_at = user_columns.len();
        on_pool!(self, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(scope.account().to_string())
                .fetch_all(pool)
                .await
                .map_err(failure)?;
            rows.iter()
                .map(|row| {
                    let get = |e: sqlx::Error| StoreFailure::Other(e.to_string());
                    Ok(StoredMember {
                        user: user_of(row)?,
                        role: parse(&row.try_get::<String, _>(role_at).map_err(get)?)?,
                        joined_at: time_of(row.try_get(role_at + 1).map_err(get)?)?,
                    })
                })
                .collect()
        })
    }

    async fn member_role(
        &self,
        scope: &AccountScope,
        user: UserId,
    ) -> Result<Option<Role>, StoreFailure> {
        let role: Option<String> = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT role FROM memberships WHERE account_id = $1 AND user_id = $2",
            )
            .bind(scope.account().to_string())
            .bind(user.to_string())
            .fetch_optional(pool)
            .await
            .map_err(failure)?
        });
        role.map(|r| parse(&r)).transpose()
    }

    async fn set_role(
        &self,
        scope: &AccountScope,
        user: UserId,
        role: Role,
    ) -> Result<MemberChange, StoreFailure> {
        let sql = format!(
            "UPDATE memberships SET role = $3 WHERE account_id = $1 AND user_id = $2 \
             AND ($3 = 'owner' OR {KEEPS_AN_OWNER})"
        );
        let changed = on_pool!(self, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(scope.account().to_string())
                .bind(user.to_string())
                .bind(role.as_str())
                .execute(pool)
                .await
                .map_err(failure)?
                .rows_affected()
        });
        if changed == 1 {
            return Ok(MemberChange::Done);
        }
        self.why_unchanged(scope, user).await
    }

    async fn remove_member(
        &self,
        scope: &AccountScope,
        user: UserId,
    ) -> Result<MemberChange, StoreFailure> {
        let sql = format!(
            "DELETE FROM memberships WHERE account_id = $1 AND user_id = $2 AND {KEEPS_AN_OWNER}"
        );
        let removed = on_pool!(self, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(scope.account().to_string())
                .bind(user.to_string())
                .execute(pool)
                .await
                .map_err(failure)?
                .rows_affected()
        });
        if removed == 1 {
            return Ok(MemberChange::Done);
        }
        self.why_unchanged(scope, user).await
    }

    async fn create_invitation(
        &self,
        scope: &AccountScope,
        hash: &TokenHash,
        invitation: &NewInvitation,
    ) -> Result<(), StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO invitations (token_hash, account_id, email_index, role, invited_by, \
                 expires_at, used_at, email_masked, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8)",
            )
            .bind(hash.0.to_vec())
            .bind(scope.account().to_string())
            .bind(invitation.email_index.to_vec())
            .bind(invitation.role.as_str())
            .bind(invitation.invited_by.to_string())
            .bind(secs(invitation.expires_at))
            .bind(&invitation.email_masked)
            .bind(secs(invitation.created_at))
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(failure)
        })
    }

    async fn spend_invitation(
        &self,
        hash: &TokenHash,
        email_index: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<Option<SpentInvitation>, StoreFailure> {
        let row: Option<(String, String, String)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "UPDATE invitations SET used_at = $1 WHERE token_hash = $2 AND email_index = $3 \
                 AND used_at IS NULL AND expires_at > $1 RETURNING account_id, role, invited_by",
            )
            .bind(secs(now))
            .bind(hash.0.to_vec())
            .bind(email_index.to_vec())
            .fetch_optional(pool)
            .await
            .map_err(failure)?
        });
        row.map(|(account, role, invited_by)| {
            Ok(SpentInvitation {
                account: parse(&account)?,
                role: parse(&role)?,
                invited_by: parse(&invited_by)?,
            })
        })
        .transpose()
    }

    async fn pending_invitations(
        &self,
        scope: &AccountScope,
        now: OffsetDateTime,
    ) -> Result<Vec<StoredInvitation>, StoreFailure> {
        type Row = (Vec<u8>, Option<String>, String, String, Option<i64>, i64);
        let rows: Vec<Row> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT token_hash, email_masked, role, invited_by, created_at, expires_at \
                 FROM invitations WHERE account_id = $1 AND used_at IS NULL AND expires_at > $2 \
                 ORDER BY expires_at DESC",
            )
            .bind(scope.account().to_string())
            .bind(secs(now))
            .fetch_all(pool)
            .await
            .map_err(failure)?
        });
        rows.into_iter()
            .map(
                |(hash, email_masked, role, invited_by, created_at, expires_at)| {
                    let hash: [u8; 32] = hash.try_into().map_err(|_| {
                        StoreFailure::Other("an invitation's token hash is not 32 bytes".into())
                    })?;
                    Ok(StoredInvitation {
                        id: TokenHash(hash),
                        email_masked,
                        role: parse(&role)?,
                        invited_by: parse(&invited_by)?,
                        created_at: created_at.map(time_of).transpose()?,
                        expires_at: time_of(expires_at)?,
                    })
                },
            )
            .collect()
    }

    async fn revoke_invitation(
        &self,
        scope: &AccountScope,
        id: &TokenHash,
    ) -> Result<bool, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "DELETE FROM invitations WHERE account_id = $1 AND token_hash = $2 \
                 AND used_at IS NULL",
            )
            .bind(scope.account().to_string())
            .bind(id.0.to_vec())
            .execute(pool)
            .await
            .map(|done| done.rows_affected() == 1)
            .map_err(failure)
        })
    }

    async fn add_member(
        &self,
        account: AccountId,
        user: UserId,
        role: Role,
        at: OffsetDateTime,
    ) -> Result<(), StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO memberships (account_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(account.to_string())
            .bind(user.to_string())
            .bind(role.as_str())
            .bind(secs(at))
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(failure)
        })
    }

    async fn bump_security_stamp(&self, user: UserId) -> Result<i64, StoreFailure> {
        on_pool!(self, |pool| {
            sqlx::query_scalar(
                "UPDATE users SET security_stamp = security_stamp + 1 WHERE id = $1 \
                 RETURNING security_stamp",
            )
            .bind(user.to_string())
            .fetch_one(pool)
            .await
            .map_err(failure)
        })
    }
}
