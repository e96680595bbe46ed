//! How long backups are kept (C9): every backup at least `min_days` (the security page
//! promises 30), none past `max_days` (it promises 90), and between the two one per
//! `thin_days`-long period (default a week). Deleting a record in the application never
//! touches a backup: deleted data stays restorable until its backup ages out here.

use time::{Duration, OffsetDateTime};

/// The page's floor and ceiling, which no setting may cross.
pub const FLOOR_DAYS: u32 = 30;
pub const CEILING_DAYS: u32 = 90;

/// A checked retention policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupPolicy {
    min_days: u32,
    max_days: u32,
    thin_days: u32,
}

impl Default for BackupPolicy {
    fn default() -> Self {
        BackupPolicy {
            min_days: FLOOR_DAYS,
            max_days: CEILING_DAYS,
            thin_days: 7,
        }
    }
}

impl BackupPolicy {
    /// Refuses anything but 30 ≤ min ≤ max ≤ 90 and a thinning period of 1 to `max` days,
    /// saying which bound was crossed.
    pub fn new(min_days: u32, max_days: u32, thin_days: u32) -> Result<BackupPolicy, String> {
        if min_days < FLOOR_DAYS {
            return Err(format!(
                "backup_min_days is {min_days}: every backup is kept at least {FLOOR_DAYS} days"
            ));
        }
        if max_days > CEILING_DAYS {
            return Err(format!(
                "backup_max_days is {max_days}: no backup is kept past {CEILING_DAYS} days"
            ));
        }
        if min_days > max_days {
            return Err(format!(
                "backup_min_days ({min_days}) is more than backup_max_days ({max_days})"
            ));
        }
        if thin_days == 0 || thin_days > max_days {
            return Err(format!(
                "backup_thin_days is {thin_days}: it must be 1 to {max_days} days"
            ));
        }
        Ok(BackupPolicy {
            min_days,
            max_days,
            thin_days,
        })
    }

    /// Days every backup is kept.
    pub fn min_days(&self) -> u32 {
        self.min_days
    }

    /// Days after which no backup is kept.
    pub fn max_days(&self) -> u32 {
        self.max_days
    }

    /// Between the two, one backup is kept for each period of this many days.
    pub fn thin_days(&self) -> u32 {
        self.thin_days
    }

    /// Which of `backups` (id and time taken) are to be deleted at `now`. Between the
    /// floor and the ceiling the newest backup of each `thin_days` period (counted from
    /// the Unix epoch) stays: once a period is past, the one kept for it never changes,
    /// and it is the last of its period to reach the ceiling.
    pub fn to_delete<'a>(
        &self,
        backups: &'a [(String, OffsetDateTime)],
        now: OffsetDateTime,
    ) -> Vec<&'a str> {
        let min = Duration::days(self.min_days.into());
        let max = Duration::days(self.max_days.into());
        let period = i64::from(self.thin_days) * 86_400;
        let mut newest_first: Vec<&(String, OffsetDateTime)> = backups.iter().collect();
        newest_first.sort_by(|a, b| (b.1, &b.0).cmp(&(a.1, &a.0)));
        let mut periods_kept = std::collections::HashSet::new();
        newest_first
            .into_iter()
            .filter(|(_, at)| {
                let age = now - *at;
                let newest_of_period =
                    age <= max && periods_kept.insert(at.unix_timestamp().div_euclid(period));
                let keep = age <= max && (age < min || newest_of_period);
                !keep
            })
            .map(|(id, _)| id.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn settings_outside_30_to_90_days_are_refused() {
        assert!(BackupPolicy::new(30, 90, 7).is_ok());
        assert!(BackupPolicy::new(45, 45, 1).is_ok());
        assert!(
            BackupPolicy::new(29, 90, 7)
                .unwrap_err()
                .contains("at least 30")
        );
        assert!(
            BackupPolicy::new(30, 91, 7)
                .unwrap_err()
                .contains("past 90")
        );
        assert!(
            BackupPolicy::new(60, 40, 7)
                .unwrap_err()
                .contains("more than")
        );
        assert!(BackupPolicy::new(30, 90, 0).is_err());
    }

    #[test]
    fn one_backup_a_day_for_120_days_keeps_30_days_whole_then_one_a_week_to_90() {
        let start = datetime!(2026-01-01 03:00 UTC);
        let backups: Vec<(String, OffsetDateTime)> = (0..120)
            .map(|day| (format!("d{day:03}"), start + Duration::days(day)))
            .collect();
        let now = start + Duration::days(119) + Duration::hours(1);
        let policy = BackupPolicy::default();
        let doomed = policy.to_delete(&backups, now);
        let kept: Vec<&(String, OffsetDateTime)> = backups
            .iter()
            .filter(|(id, _)| !doomed.contains(&id.as_str()))
            .collect();
        for (id, at) in &backups {
            let age = now - *at;
            if age < Duration::days(30) {
                assert!(
                    !doomed.contains(&id.as_str()),
                    "{id} is younger than 30 days"
                );
            }
            if age > Duration::days(90) {
                assert!(doomed.contains(&id.as_str()), "{id} is older than 90 days");
            }
        }
        // Between 30 and 90 days: exactly one a week (by Unix-epoch weeks).
        let middle: Vec<i64> = kept
            .iter()
            .filter(|(_, at)| now - *at >= Duration::days(30))
            .map(|(_, at)| at.unix_timestamp().div_euclid(7 * 86_400))
            .collect();
        let mut weeks = middle.clone();
        weeks.dedup();
        assert_eq!(weeks, middle, "one a week");
        assert!((8..=10).contains(&middle.len()), "{middle:?}");
        // What one run deletes, every later run would too.
        let later = policy.to_delete(&backups, now + Duration::days(1));
        for id in &doomed {
            assert!(later.contains(id), "{id} deleted once, stays deleted");
        }
    }
}
