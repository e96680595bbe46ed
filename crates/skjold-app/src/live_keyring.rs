//! The keyring of a running server. Another process (`skjold keys rotate`, `skjold keys
//! retire`) changes the key directory while servers serve, so a server re-reads it when it
//! meets a master key version it does not know, and looks at the directory now and then to
//! start sealing with a newer key: rotation needs no restart.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use skjold_crypto::{DataKey, DataKeyError, FieldCipher, FieldContext, Keyring};

use crate::data_keys::MasterKeys;
use crate::error::AppError;
use crate::ports::Sealed;

/// How often a server looks whether the key directory changed, to seal with a new
/// current key. Until then it seals with the key it has, which stays readable.
const LOOK_EVERY: Duration = Duration::from_secs(30);

/// The master keys as last read, with the cipher of fields sealed directly under them.
struct Loaded {
    keyring: Arc<Keyring>,
    fields: FieldCipher,
}

impl Loaded {
    fn new(keyring: Arc<Keyring>) -> Arc<Loaded> {
        let fields = keyring.field_cipher();
        Arc::new(Loaded { keyring, fields })
    }

    fn knows(&self, key_id: &str) -> bool {
        key_id
            .parse()
            .is_ok_and(|id| self.keyring.get(id).is_some())
    }
}

/// When the key directory was last looked at, and its modification time then.
struct Look {
    at: Instant,
    modified: Option<SystemTime>,
}

pub struct LiveKeyring {
    dir: PathBuf,
    loaded: RwLock<Arc<Loaded>>,
    look: Mutex<Look>,
}

impl std::fmt::Debug for LiveKeyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveKeyring")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn modified(dir: &std::path::Path) -> Option<SystemTime> {
    std::fs::metadata(dir).and_then(|m| m.modified()).ok()
}

fn field_failure(e: skjold_crypto::FieldCipherError) -> AppError {
    AppError::unexpected(e.to_string())
}

impl LiveKeyring {
    pub fn new(keyring: Arc<Keyring>) -> LiveKeyring {
        let dir = keyring.dir().to_owned();
        let look = Look {
            at: Instant::now(),
            modified: modified(&dir),
        };
        LiveKeyring {
            loaded: RwLock::new(Loaded::new(keyring)),
            look: Mutex::new(look),
            dir,
        }
    }

    fn loaded(&self) -> Arc<Loaded> {
        match self.loaded.read() {
            Ok(loaded) => Arc::clone(&loaded),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The keys to seal with: re-read first if the directory changed since the last look
    /// (at most one look per [`LOOK_EVERY`]).
    fn for_sealing(&self) -> Arc<Loaded> {
        let changed = {
            let mut look = match self.look.lock() {
                Ok(look) => look,
                Err(poisoned) => poisoned.into_inner(),
            };
            if look.at.elapsed() < LOOK_EVERY {
                false
            } else {
                look.at = Instant::now();
                let now = modified(&self.dir);
                std::mem::replace(&mut look.modified, now) != now
            }
        };
        if changed {
            // A keyring that cannot be read now keeps the one that could.
            self.reload().unwrap_or_else(|_| self.loaded())
        } else {
            self.loaded()
        }
    }

    /// The keys to open something sealed under `key_id`: re-read if that one is new.
    fn for_opening(&self, key_id: &str) -> Result<Arc<Loaded>, DataKeyError> {
        let loaded = self.loaded();
        if loaded.knows(key_id) {
            Ok(loaded)
        } else {
            self.reload()
        }
    }

    fn reload(&self) -> Result<Arc<Loaded>, DataKeyError> {
        let keyring = Keyring::open(&self.dir).map_err(|error| {
            tracing::error!(%error, "re-reading the keyring failed");
            DataKeyError
        })?;
        let fresh = Loaded::new(Arc::new(keyring));
        match self.loaded.write() {
            Ok(mut loaded) => *loaded = Arc::clone(&fresh),
            Err(poisoned) => *poisoned.into_inner() = Arc::clone(&fresh),
        }
        tracing::info!(current = %fresh.keyring.current().info().id, "keyring re-read");
        Ok(fresh)
    }

    /// Encrypts a field kept outside any account (a user's e-mail address) under the
    /// current master key, bound to the place `at`.
    pub(crate) fn seal_field(&self, value: &str, at: FieldContext<'_>) -> Result<Sealed, AppError> {
        let loaded = self.for_sealing();
        Ok(Sealed {
            bytes: loaded.fields.seal(value, at).map_err(field_failure)?,
            key_id: loaded.fields.key_id().to_string(),
        })
    }

    /// Decrypts what [`LiveKeyring::seal_field`] sealed at `at` under master key `key_id`.
    pub(crate) fn open_field(
        &self,
        sealed: &[u8],
        key_id: &str,
        at: FieldContext<'_>,
    ) -> Result<String, AppError> {
        let loaded = self
            .for_opening(key_id)
            .map_err(|e| AppError::unexpected(e.to_string()))?;
        let key = key_id
            .parse()
            .map_err(|_| AppError::unexpected(format!("key id {key_id:?}")))?;
        loaded.fields.open(sealed, key, at).map_err(field_failure)
    }
}

#[async_trait::async_trait]
impl MasterKeys for LiveKeyring {
    fn current_id(&self) -> String {
        self.for_sealing().keyring.current_id()
    }

    fn current_key(&self) -> (String, time::OffsetDateTime) {
        self.for_sealing().keyring.current_key()
    }

    async fn wrap(&self, key: &DataKey, account: &str) -> Result<(String, Vec<u8>), DataKeyError> {
        self.for_sealing().keyring.wrap(key, account).await
    }

    async fn unwrap(
        &self,
        master_key_id: &str,
        wrapped: &[u8],
        account: &str,
        version: u32,
    ) -> Result<DataKey, DataKeyError> {
        self.for_opening(master_key_id)?
            .keyring
            .unwrap(master_key_id, wrapped, account, version)
            .await
    }
}
