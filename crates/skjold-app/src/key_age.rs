//! Daily jobs shared by the instances, and the first of them: the maximum age of the
//! current master key (C2): past it, a security event once a day,
//! whichever instance notices, until someone runs `skjold keys rotate`.

use time::Duration;

use crate::App;
use crate::error::AppError;
use crate::security_events::SecurityEvent;

/// The job name under which instances share the daily check.
const JOB: &str = "key_age_check";

impl App {
    /// Checks the current master key's age; records `key_age_exceeded` (at most once a
    /// day across instances) when it is past the maximum. Whether it is.
    pub async fn check_key_age(&self) -> Result<bool, AppError> {
        let now = self.clock.now();
        let (id, created_at) = self.master_keys.current_key();
        let age = now - created_at;
        if age <= self.max_key_age {
            return Ok(false);
        }
        if self.jobs.claim_run(JOB, now, Duration::DAY).await? {
            tracing::warn!(
                key = %id,
                age_days = age.whole_days(),
                max_days = self.max_key_age.whole_days(),
                "the master key is older than the maximum key age: run skjold keys rotate"
            );
            let mut event = self.audit(SecurityEvent::KeyAgeExceeded.as_str(), None, None, None);
            event.detail = Some(format!(
                "{{\"key\":\"{id}\",\"age_days\":{},\"max_days\":{}}}",
                age.whole_days(),
                self.max_key_age.whole_days()
            ));
            self.record_audit(event).await?;
        }
        Ok(true)
    }
}

impl App {
    /// Whether this instance runs the daily `job` now: true for one instance of several
    /// once a day (log retention, say).
    pub async fn claim_daily_job(&self, job: &str) -> Result<bool, AppError> {
        Ok(self
            .jobs
            .claim_run(job, self.clock.now(), Duration::DAY)
            .await?)
    }
}
