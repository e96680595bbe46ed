//! Rotating keys (C2). A new master key version rewraps every account's data key: fast
//! (one small key per account, no row re-encrypted) and safe while servers serve, since
//! they load a master key version they meet and do not know yet. New data keys reseal
//! every row, and retire the old keys once nothing uses them.

use skjold_crypto::DataKeyError;

use crate::App;
use crate::auth::EMAIL_FIELD;
use crate::data_keys::MasterKeys;
use crate::error::AppError;
use crate::permissions::AccountScope;
use crate::ports::{KeyMaintenance, StoredAccountKey, UserFieldPlace};
use crate::profile::NAME_FIELD;
use crate::second_step::secret_column;

/// How many data keys one round reads.
const BATCH: u32 = 100;

/// What moving to the current master key did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MasterKeyMove {
    /// Account data keys rewrapped under the current master key.
    pub data_keys: u64,
    /// Users' fields resealed under it.
    pub user_fields: u64,
}

impl App {
    /// Whether anything is still wrapped or sealed under an older master key than the
    /// current one: an earlier rotation was interrupted.
    pub async fn master_key_move_pending(&self) -> Result<bool, AppError> {
        let current = self.master_keys.current_id();
        let data_keys = self
            .key_maintenance
            .data_keys_not_under(&current, 1)
            .await?;
        let local = MasterKeys::current_id(&*self.keyring);
        let fields = self
            .key_maintenance
            .user_fields_not_under(&local, 1)
            .await?;
        Ok(!data_keys.is_empty() || !fields.is_empty())
    }

    /// Moves everything under older master keys to the current one: rewraps every
    /// account data key and reseals every user's field; `progress` gets the running
    /// counts after each batch. Online and resumable: each row is changed only if no one
    /// changed it meanwhile, and a run after an interruption picks up what is left.
    pub async fn move_to_current_master_key(
        &self,
        mut progress: impl FnMut(MasterKeyMove),
    ) -> Result<MasterKeyMove, AppError> {
        let data_keys = rewrap_data_keys(&*self.key_maintenance, &*self.master_keys, |n| {
            progress(MasterKeyMove {
                data_keys: n,
                user_fields: 0,
            })
        })
        .await?;
        let mut moved = MasterKeyMove {
            data_keys,
            user_fields: 0,
        };
        let current = MasterKeys::current_id(&*self.keyring);
        loop {
            let batch = self
                .key_maintenance
                .user_fields_not_under(&current, BATCH)
                .await?;
            let mut resealed = 0;
            for field in &batch {
                let column = match field.place {
                    UserFieldPlace::Name => NAME_FIELD,
                    UserFieldPlace::Email | UserFieldPlace::PendingEmail { .. } => EMAIL_FIELD,
                    UserFieldPlace::SecondStep { method } => secret_column(method),
                };
                let sealed = &field.sealed;
                let value =
                    self.open_user_field(field.user, column, &sealed.bytes, &sealed.key_id)?;
                let new = self.seal_user_field(field.user, column, &value)?;
                if self.key_maintenance.reseal_user_field(field, &new).await? {
                    resealed += 1;
                }
            }
            moved.user_fields += resealed;
            progress(moved);
            // A batch in which every row changed under us is left to the next run
            // rather than read again in a loop.
            if batch.is_empty() || resealed == 0 {
                return Ok(moved);
            }
        }
    }
}

/// Rewraps every account data key not yet under the current master key; calls `progress`
/// with the running count after each batch.
async fn rewrap_data_keys(
    store: &dyn KeyMaintenance,
    keys: &dyn MasterKeys,
    mut progress: impl FnMut(u64),
) -> Result<u64, AppError> {
    let failed = |e: DataKeyError| AppError::unexpected(e.to_string());
    let current = keys.current_id();
    let mut done = 0;
    loop {
        let batch = store.data_keys_not_under(&current, BATCH).await?;
        if batch.is_empty() {
            return Ok(done);
        }
        for (account, stored) in batch {
            let account_text = account.to_string();
            let key = keys
                .unwrap(
                    &stored.master_key_id,
                    &stored.wrapped,
                    &account_text,
                    stored.version,
                )
                .await
                .map_err(failed)?;
            let (master_key_id, wrapped) = keys.wrap(&key, &account_text).await.map_err(failed)?;
            let new = StoredAccountKey {
                version: stored.version,
                master_key_id,
                wrapped,
            };
            if store
                .rewrap_data_key(account, &stored.master_key_id, &new)
                .await?
            {
                done += 1;
            }
        }
        progress(done);
    }
}

/// What a data key rotation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DataKeyRotation {
    /// Accounts that got a new data key in this run.
    pub new_keys: u64,
    /// Rows sealed anew with their account's newest data key.
    pub resealed: u64,
    /// Old data keys deleted because no row uses them any more.
    pub retired: u64,
    /// Rows still sealed with an older key (the run stopped at `max_rows`).
    pub unfinished: bool,
}

impl App {
    /// Gives every account a new data key and reseals its rows with it, then deletes the
    /// data keys no row uses. Online: servers keep serving, each row is updated only if
    /// no one changed it meanwhile. Resumable: while any rows are still under an older
    /// key than their account's newest, a run only finishes them. At most `max_rows`
    /// rows are resealed per run; `progress` gets the running count.
    pub async fn rotate_data_keys(
        &self,
        max_rows: Option<u64>,
        mut progress: impl FnMut(u64),
    ) -> Result<DataKeyRotation, AppError> {
        let mut outcome = DataKeyRotation::default();
        // An interrupted rotation is finished first, and alone: no account gets another
        // key until every row is under its account's newest one.
        let mut accounts = Vec::new();
        for account in self.key_maintenance.accounts_with_data_keys().await? {
            let scope = AccountScope::operator(account);
            let current = self.current_account_cipher(&scope).await?;
            let pending = !self
                .contacts_store
                .contacts_sealed_before(&scope, current.version(), 1)
                .await?
                .is_empty();
            accounts.push((scope, current, pending));
        }
        let finishing = accounts.iter().any(|(_, _, pending)| *pending);
        // Every account gets its new key before any row is resealed, so a run that stops
        // part-way leaves a rotation the next run can finish for all of them.
        let mut work = Vec::new();
        for (scope, current, pending) in accounts {
            let cipher = match (finishing, pending) {
                (true, false) => continue,
                (true, true) => current,
                (false, _) => {
                    outcome.new_keys += 1;
                    self.new_account_cipher(&scope, current.version() + 1)
                        .await?
                }
            };
            work.push((scope, cipher));
        }
        for (scope, cipher) in work {
            loop {
                let left = max_rows.map(|max| max.saturating_sub(outcome.resealed));
                if left == Some(0) {
                    let rest = self
                        .contacts_store
                        .contacts_sealed_before(&scope, cipher.version(), 1)
                        .await?;
                    if rest.is_empty() {
                        break;
                    }
                    outcome.unfinished = true;
                    return Ok(outcome);
                }
                let batch_size = left.map_or(BATCH, |l| l.min(u64::from(BATCH)) as u32);
                let batch = self
                    .contacts_store
                    .contacts_sealed_before(&scope, cipher.version(), batch_size)
                    .await?;
                if batch.is_empty() {
                    break;
                }
                for sealed in batch {
                    let old_version = sealed.key_version;
                    let resealed = self.reseal_contact(&scope, &cipher, sealed).await?;
                    if self
                        .contacts_store
                        .reseal_contact(&scope, &resealed, old_version)
                        .await?
                    {
                        outcome.resealed += 1;
                    }
                }
                progress(outcome.resealed);
            }
            outcome.retired += self
                .contacts_store
                .retire_account_keys(&scope, cipher.version())
                .await?;
        }
        Ok(outcome)
    }
}
