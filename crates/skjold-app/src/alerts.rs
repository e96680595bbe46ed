//! Security alerts (C14): events that someone should look at now, not in the next audit
//! review: an account that stopped new devices after 100 failed passwords, a client
//! stuffing stolen credentials, a spike of failed passwords across all accounts. They go
//! to the operator through an [`AlertSink`] (a signed webhook, a mailbox, the log), and
//! those about one user to that user and the owners of their accounts.

use skjold_domain::{EmailAddress, Role, UserId};
use time::{Duration, OffsetDateTime};

use crate::App;
use crate::permissions::AccountScope;
use crate::rate_limits::window_start;
use crate::security_events::SecurityEvent;

/// Failed passwords across all accounts within [`SPIKE_WINDOW`] that make a spike.
const SPIKE_THRESHOLD: u64 = 50;
const SPIKE_WINDOW: Duration = Duration::minutes(5);

/// One alert, as the operator receives it.
#[derive(Debug, Clone)]
pub struct SecurityAlert {
    /// A stable name for rules and dashboards, e.g. `credential_stuffing_suspected`.
    pub event: &'static str,
    pub at: OffsetDateTime,
    /// One sentence for a person: what happened and what Skjold did about it.
    pub summary: String,
}

impl App {
    /// Sends an alert; a failure to deliver it is logged, never shown to the client
    /// whose request raised it.
    pub(crate) async fn raise_alert(&self, event: SecurityEvent, summary: String) {
        let event = event.as_str();
        let alert = SecurityAlert {
            event,
            at: self.clock.now(),
            summary,
        };
        tracing::warn!(event, summary = %alert.summary, "security alert");
        if let Err(error) = self.alerts.send(&alert).await {
            tracing::error!(event, %error, "delivering a security alert failed");
        }
    }

    /// Mails `subject` and `body` to the owners of every account `user` belongs to, other
    /// than `user`: an attack on a member is their business too (C14).
    pub(crate) async fn tell_owners_of(
        &self,
        user: UserId,
        subject: &str,
        body: impl Fn(&str) -> String,
    ) -> Result<(), crate::AppError> {
        for membership in self.accounts.memberships(user).await? {
            let scope = AccountScope::operator(membership.account_id);
            for owner in self.members_store.members(&scope).await? {
                if owner.role != Role::Owner || owner.user.id == user {
                    continue;
                }
                if let Ok(email) = EmailAddress::parse(&self.open_email(&owner.user)?) {
                    self.mail(&email, subject, &body(&membership.account_name))
                        .await;
                }
            }
        }
        Ok(())
    }

    /// Counts a failed password towards the spike across all accounts; the failure that
    /// reaches the threshold raises the alert, once per window.
    pub(crate) async fn count_towards_spike(&self) -> Result<(), crate::AppError> {
        let now = self.clock.now();
        let bucket = self.blind_index.of("sign_in_failure_spike", "all");
        let failures = self
            .rate_counters
            .hit(&bucket, window_start(now, SPIKE_WINDOW))
            .await?;
        if failures == SPIKE_THRESHOLD {
            self.raise_alert(
                SecurityEvent::SignInFailureSpike,
                format!(
                    "{SPIKE_THRESHOLD} failed passwords across all accounts within {} minutes",
                    SPIKE_WINDOW.whole_minutes()
                ),
            )
            .await;
        }
        Ok(())
    }
}
