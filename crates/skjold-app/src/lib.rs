//! Skjold's use cases. Each public function is one thing a user or operator does; the
//! ports it needs (storage, clocks, senders) are traits here, implemented further down.
//!
//! Nothing here knows about HTTP: the `http` crate turns requests into these calls.

mod health;

pub use health::{HealthProbe, ProbeFailed, Readiness};

use std::sync::Arc;

/// Everything the use cases need, built once by the binary and shared by every request.
#[derive(Clone)]
pub struct App {
    probe: Arc<dyn HealthProbe>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}

impl App {
    pub fn new(probe: Arc<dyn HealthProbe>) -> App {
        App { probe }
    }

    /// Whether this instance can serve requests that need its database.
    pub async fn readiness(&self) -> Readiness {
        match self.probe.ping().await {
            Ok(()) => Readiness::Ready,
            Err(failure) => {
                tracing::warn!(reason = %failure, "readiness check failed");
                Readiness::Unavailable
            }
        }
    }
}
