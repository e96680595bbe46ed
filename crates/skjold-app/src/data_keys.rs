//! Where an account's data key comes from: its wrapped form in the store, opened with the
//! master key it was wrapped under (C17, C2). The master keys sit behind [`MasterKeys`],
//! so a KMS can hold them instead of the keyring files.

use skjold_crypto::{AccountCipher, DataKey, DataKeyError, Keyring};
use time::OffsetDateTime;

use crate::App;
use crate::error::AppError;
use crate::permissions::AccountScope;
use crate::ports::{StoreFailure, StoredAccountKey};

/// Wraps and unwraps data keys with master keys the caller never sees.
#[async_trait::async_trait]
pub trait MasterKeys: Send + Sync {
    /// The id of the master key new data keys are wrapped under.
    fn current_id(&self) -> String;
    /// The id and creation time of that key, for the maximum key age.
    fn current_key(&self) -> (String, OffsetDateTime);
    /// `key` wrapped for `account` under the current master key, and that key's id.
    async fn wrap(&self, key: &DataKey, account: &str) -> Result<(String, Vec<u8>), DataKeyError>;
    async fn unwrap(
        &self,
        master_key_id: &str,
        wrapped: &[u8],
        account: &str,
        version: u32,
    ) -> Result<DataKey, DataKeyError>;
}

#[async_trait::async_trait]
impl MasterKeys for Keyring {
    fn current_id(&self) -> String {
        self.current().info().id.to_string()
    }

    fn current_key(&self) -> (String, OffsetDateTime) {
        let info = self.current().info();
        (info.id.to_string(), info.created_at)
    }

    async fn wrap(&self, key: &DataKey, account: &str) -> Result<(String, Vec<u8>), DataKeyError> {
        let master = self.current();
        Ok((master.info().id.to_string(), key.wrap(master, account)?))
    }

    async fn unwrap(
        &self,
        master_key_id: &str,
        wrapped: &[u8],
        account: &str,
        version: u32,
    ) -> Result<DataKey, DataKeyError> {
        let id = master_key_id.parse().map_err(|_| DataKeyError)?;
        let master = self.get(id).ok_or(DataKeyError)?;
        DataKey::unwrap(master, wrapped, account, version)
    }
}

fn key_failure(e: DataKeyError) -> AppError {
    AppError::unexpected(e.to_string())
}

impl App {
    async fn open_account_key(
        &self,
        scope: &AccountScope,
        stored: &StoredAccountKey,
    ) -> Result<AccountCipher, AppError> {
        let account = scope.account().to_string();
        let key = self
            .master_keys
            .unwrap(
                &stored.master_key_id,
                &stored.wrapped,
                &account,
                stored.version,
            )
            .await
            .map_err(key_failure)?;
        Ok(AccountCipher::new(&account, &key))
    }

    /// The cipher new rows of the account are sealed with: its newest data key, made on
    /// first use.
    pub(crate) async fn current_account_cipher(
        &self,
        scope: &AccountScope,
    ) -> Result<AccountCipher, AppError> {
        if let Some(stored) = self.contacts_store.current_account_key(scope).await? {
            return self.open_account_key(scope, &stored).await;
        }
        self.new_account_cipher(scope, 1).await
    }

    /// Makes data key `version` of the account, which becomes its newest. Two instances
    /// making it at once agree: the second reads the first's.
    pub(crate) async fn new_account_cipher(
        &self,
        scope: &AccountScope,
        version: u32,
    ) -> Result<AccountCipher, AppError> {
        let account = scope.account().to_string();
        let key = DataKey::generate(version).map_err(key_failure)?;
        let (master_key_id, wrapped) = self
            .master_keys
            .wrap(&key, &account)
            .await
            .map_err(key_failure)?;
        let stored = StoredAccountKey {
            version: key.version(),
            master_key_id,
            wrapped,
        };
        match self
            .contacts_store
            .create_account_key(scope, &stored, self.clock.now())
            .await
        {
            Ok(()) => Ok(AccountCipher::new(&account, &key)),
            Err(StoreFailure::Conflict) => self.account_cipher(scope, version).await,
            Err(other) => Err(other.into()),
        }
    }

    /// The cipher of data key `version` of the account, for rows sealed with it.
    pub(crate) async fn account_cipher(
        &self,
        scope: &AccountScope,
        version: u32,
    ) -> Result<AccountCipher, AppError> {
        let stored = self
            .contacts_store
            .account_key(scope, version)
            .await?
            .ok_or_else(|| {
                AppError::unexpected(format!("data key version {version} is missing"))
            })?;
        self.open_account_key(scope, &stored).await
    }
}
