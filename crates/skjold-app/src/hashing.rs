//! Password hashing off the async executor, on a bounded number of blocking threads: a
//! flood of logins queues for a permit instead of allocating 19 MiB per attempt at once.

use std::sync::Arc;
use std::time::Instant;

use skjold_crypto::{PasswordHashing, Verification};
use tokio::sync::Semaphore;

use crate::error::AppError;

#[derive(Debug, Clone)]
pub struct HashPool {
    hashing: Arc<PasswordHashing>,
    permits: Arc<Semaphore>,
}

impl HashPool {
    /// At most `concurrency` hashes run at once.
    pub fn new(hashing: PasswordHashing, concurrency: usize) -> HashPool {
        HashPool {
            hashing: Arc::new(hashing),
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&PasswordHashing) -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let queued = Instant::now();
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| AppError::unexpected("the hashing pool is closed"))?;
        tracing::debug!(
            queue_wait_ms = queued.elapsed().as_millis() as u64,
            "password hash started"
        );
        let hashing = Arc::clone(&self.hashing);
        tokio::task::spawn_blocking(move || work(&hashing))
            .await
            .map_err(|_| AppError::unexpected("a password hashing task failed"))
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let password = zeroize::Zeroizing::new(password);
        self.run(move |h| h.hash(&password))
            .await?
            .map_err(|e| AppError::unexpected(e.to_string()))
    }

    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<Verification, AppError> {
        let password = zeroize::Zeroizing::new(password);
        self.run(move |h| match stored {
            Some(stored) => h.verify(&password, &stored),
            None => h.verify_dummy(&password),
        })
        .await
    }
}
