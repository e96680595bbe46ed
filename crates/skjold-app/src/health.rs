//! Liveness and readiness: can this instance do its work right now?

use async_trait::async_trait;

/// A dependency an instance cannot serve without (its database) answers, or not.
#[async_trait]
pub trait HealthProbe: Send + Sync {
    async fn ping(&self) -> Result<(), ProbeFailed>;
}

/// Why a probe failed. For the operator's log only: it is never sent to a client.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ProbeFailed(pub String);

/// The answer to a readiness check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    Unavailable,
}
