//! Rotating keys (C2). A new master key version rewraps every account's data key: fast
//! (one small key per account, no row re-encrypted) and safe while servers serve, since
//! they load a master key version they meet and do not know yet. New data keys reseal
//! every row, and retire the old keys once nothing uses them.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use skjold_crypto::{DataKey, DataKeyError, Keyring};

use crate::App;
use crate::data_keys::MasterKeys;
use crate::error::AppError;
use crate::permissions::AccountScope;
use crate::ports::{KeyMaintenance, StoredAccountKey};

/// How many data keys one round reads.
const BATCH: u32 = 100;

/// Rewraps every account data key not yet under the current master key; calls `progress`
/// with the running count after each batch. Resumable: run again after an interruption,
/// it picks up what is still under an older key.
pub async fn rewrap_data_keys(
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

/// The keyring of a running server: re-read from its directory when a master key version
/// it does not know turns up (another process rotated), so rotation needs no restart.
/// `Debug` shows the directory only (Keyring's own `Debug` shows no material either).
#[derive(Debug)]
pub struct LiveKeyring {
    dir: PathBuf,
    keyring: RwLock<Arc<Keyring>>,
}

impl LiveKeyring {
    pub fn new(keyring: Arc<Keyring>) -> LiveKeyring {
        LiveKeyring {
            dir: keyring.dir().to_owned(),
            keyring: RwLock::new(keyring),
        }
    }

    fn loaded(&self) -> Arc<Keyring> {
        match self.keyring.read() {
            Ok(keyring) => Arc::clone(&keyring),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn reload(&self) -> Result<Arc<Keyring>, DataKeyError> {
        let fresh = Arc::new(Keyring::open(&self.dir).map_err(|error| {
            tracing::error!(%error, "re-reading the keyring failed");
            DataKeyError
        })?);
        match self.keyring.write() {
            Ok(mut keyring) => *keyring = Arc::clone(&fresh),
            Err(poisoned) => *poisoned.into_inner() = Arc::clone(&fresh),
        }
        tracing::info!(current = %fresh.current().info().id, "keyring re-read");
        Ok(fresh)
    }
}

#[async_trait::async_trait]
impl MasterKeys for LiveKeyring {
    fn current_id(&self) -> String {
        self.loaded().current_id()
    }

    fn current_key(&self) -> (String, time::OffsetDateTime) {
        self.loaded().current_key()
    }

    async fn wrap(&self, key: &DataKey, account: &str) -> Result<(String, Vec<u8>), DataKeyError> {
        self.loaded().wrap(key, account).await
    }

    async fn unwrap(
        &self,
        master_key_id: &str,
        wrapped: &[u8],
        account: &str,
        version: u32,
    ) -> Result<DataKey, DataKeyError> {
        let loaded = self.loaded();
        let known = master_key_id
            .parse()
            .is_ok_and(|id| loaded.get(id).is_some());
        let keyring = if known { loaded } else { self.reload()? };
        keyring
            .unwrap(master_key_id, wrapped, account, version)
            .await
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
