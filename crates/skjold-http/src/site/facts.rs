//! What the security page says, taken from the running configuration by `serve`, so
//! that every number on the page is the one the system enforces.

/// The figures and methods the public security page states.
#[derive(Debug, Clone)]
pub struct SiteFacts {
    /// Every backup is kept at least this many days…
    pub backup_min_days: u32,
    /// …and none longer than this.
    pub backup_max_days: u32,
    /// Between the two, one backup is kept per this many days.
    pub backup_thin_days: u32,
    /// Log segments are deleted after this many days.
    pub log_retention_days: i64,
    /// Audit events are kept this many days, then archived encrypted.
    pub audit_retention_days: i64,
    /// A session ends after this many minutes without a request…
    pub session_idle_minutes: i64,
    /// …and this many hours after sign-in at the latest.
    pub session_absolute_hours: i64,
    /// The master key is rotated when it is older than this many days.
    pub max_key_age_days: i64,
    /// The shortest password accepted.
    pub password_min_length: usize,
    /// Whether codes can be sent by text message as a second step.
    pub sms_second_step: bool,
    /// Where vulnerability reports go, for security.txt and the page: a `mailto:` or
    /// `https:` URI.
    pub security_contact: String,
}
