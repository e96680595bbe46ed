//! Clocks for the `app` layer's `Clock` port.

use std::path::PathBuf;
use std::sync::Arc;

use skjold_app::Clock;
use time::OffsetDateTime;

/// The real time.
#[derive(Debug)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// The real time plus a number of seconds read from a file at every use: lets an
/// integration test move time forward for every server instance at once (idle timeouts,
/// lifetimes) without waiting. Refused outside the test and development environments.
#[derive(Debug)]
pub struct OffsetFileClock(pub PathBuf);

impl Clock for OffsetFileClock {
    fn now(&self) -> OffsetDateTime {
        let offset = std::fs::read_to_string(&self.0)
            .ok()
            .and_then(|text| text.trim().parse::<i64>().ok())
            .unwrap_or(0);
        OffsetDateTime::now_utc() + time::Duration::seconds(offset)
    }
}

/// The clock the settings ask for: the test clock file's when one is given.
pub fn from_settings(test_clock_file: Option<&PathBuf>) -> Arc<dyn Clock> {
    match test_clock_file {
        Some(file) => Arc::new(OffsetFileClock(file.clone())),
        None => Arc::new(SystemClock),
    }
}
