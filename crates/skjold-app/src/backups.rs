//! The backup schedule's side of the app (C9): when this instance takes today's backup,
//! and the security events when one fails or none has succeeded for too long. Taking
//! the backup itself is the operations layer's work; this decides and reports.

use time::{Duration, OffsetDateTime};

use crate::App;
use crate::error::AppError;
use crate::security_events::SecurityEvent;

/// A backup is overdue when none succeeded for this long: a day and some slack.
pub const BACKUP_OVERDUE_AFTER: Duration = Duration::hours(26);

impl App {
    /// Whether this instance takes the scheduled backup now: in the configured hour
    /// (UTC), one instance of several, once a day. The claim lasts 20 hours, so an
    /// hourly check that lands a little earlier the next day still runs.
    pub async fn claim_scheduled_backup(&self, hour: u8) -> Result<bool, AppError> {
        let now = self.clock.now();
        if now.hour() != hour {
            return Ok(false);
        }
        Ok(self
            .jobs
            .claim_run("scheduled_backup", now, Duration::hours(20))
            .await?)
    }

    /// Records a failed backup and alerts the operators: a backup that silently stops
    /// is a backup that is not there when it is needed.
    pub async fn backup_failed(&self, error: &str) -> Result<(), AppError> {
        let mut event = self.audit(SecurityEvent::BackupFailed.as_str(), None, None, None);
        event.detail = Some(serde_json::json!({ "error": error }).to_string());
        self.record_audit(event).await?;
        self.raise_alert(
            SecurityEvent::BackupFailed,
            format!("The scheduled backup failed: {error}"),
        )
        .await;
        Ok(())
    }

    /// Alerts (once a day across instances) when no backup succeeded since `since` and
    /// that is longer ago than [`BACKUP_OVERDUE_AFTER`]. `since` is the newest backup's
    /// time, or when this server started if there is none yet. Whether it is overdue.
    pub async fn check_backup_freshness(&self, since: OffsetDateTime) -> Result<bool, AppError> {
        let now = self.clock.now();
        if now - since <= BACKUP_OVERDUE_AFTER {
            return Ok(false);
        }
        if self
            .jobs
            .claim_run("backup_overdue", now, Duration::DAY)
            .await?
        {
            let hours = (now - since).whole_hours();
            let mut event = self.audit(SecurityEvent::BackupOverdue.as_str(), None, None, None);
            event.detail = Some(format!("{{\"hours_since_last\":{hours}}}"));
            self.record_audit(event).await?;
            self.raise_alert(
                SecurityEvent::BackupOverdue,
                format!("No backup has succeeded for {hours} hours."),
            )
            .await;
        }
        Ok(true)
    }
}
