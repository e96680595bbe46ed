//! Rotating the master key (C2): a new version wraps every account's data key, which is
//! fast (one small key per account, no row re-encrypted) and safe to run while servers
//! serve: they load a master key version they meet and do not know yet.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use skjold_crypto::{DataKey, DataKeyError, Keyring};

use crate::data_keys::MasterKeys;
use crate::error::AppError;
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
                .map_err(failed)?;
            let (master_key_id, wrapped) = keys.wrap(&key, &account_text).map_err(failed)?;
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

impl MasterKeys for LiveKeyring {
    fn current_id(&self) -> String {
        self.loaded().current_id()
    }

    fn wrap(&self, key: &DataKey, account: &str) -> Result<(String, Vec<u8>), DataKeyError> {
        self.loaded().wrap(key, account)
    }

    fn unwrap(
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
        keyring.unwrap(master_key_id, wrapped, account, version)
    }
}
