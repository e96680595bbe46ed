//! Password hashing off the async executor, on a bounded number of blocking threads: a
//! flood of logins queues for a permit instead of allocating 19 MiB per attempt at once.
//! How long the queue makes logins wait is a metric (the `metrics` facade; the binary
//! decides where it is exported).

use std::sync::Arc;
use std::time::Instant;

use skjold_crypto::{PasswordHashing, Verification};
use tokio::sync::Semaphore;

use crate::error::AppError;
use crate::measures::{QUEUE_DEPTH, QUEUE_WAIT};

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
        let waiting = metrics::gauge!(QUEUE_DEPTH);
        waiting.increment(1);
        let permit = self.permits.acquire().await;
        waiting.decrement(1);
        let _permit = permit.map_err(|_| AppError::unexpected("the hashing pool is closed"))?;
        metrics::histogram!(QUEUE_WAIT).record(queued.elapsed());
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
