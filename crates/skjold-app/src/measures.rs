//! The metrics the use cases record, through the `metrics` facade: names, units and
//! help texts in one place, so operators find every metric here and dashboards can
//! rely on the names. The binary installs the exporter.

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};

/// Histogram: seconds a password hash waited for a free slot in the hashing pool. Rising
/// values mean logins arrive faster than `hash_concurrency` hashes can serve them.
pub const QUEUE_WAIT: &str = "skjold_password_hash_queue_seconds";
/// Gauge: password hashes waiting for a slot right now.
pub const QUEUE_DEPTH: &str = "skjold_password_hash_queue_depth";

/// Counter, by `endpoint`: authentication requests refused by a rate limit.
pub const RATE_LIMITED: &str = "skjold_rate_limited_total";
/// Counter, by `outcome`: authentication attempts and how they ended.
pub const AUTH_ATTEMPTS: &str = "skjold_auth_attempts_total";

/// Histogram buckets (seconds) for [`QUEUE_WAIT`]: from "no wait" to "a login takes
/// seconds longer than it should".
pub const QUEUE_WAIT_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Registers the help texts of every metric with the installed recorder, and starts the
/// gauges at zero so a scraper sees them before the first sign-in.
pub fn describe_metrics() {
    metrics::gauge!(QUEUE_DEPTH).set(0.0);
    describe_histogram!(
        QUEUE_WAIT,
        Unit::Seconds,
        "Time a password hash waited for a free slot in the bounded hashing pool"
    );
    describe_counter!(
        RATE_LIMITED,
        Unit::Count,
        "Authentication requests refused by a rate limit, by endpoint"
    );
    describe_counter!(
        AUTH_ATTEMPTS,
        Unit::Count,
        "Authentication attempts by outcome: success, wrong_password, second_step_required, wrong_code"
    );
    describe_gauge!(
        QUEUE_DEPTH,
        Unit::Count,
        "Password hashes waiting for a free slot in the hashing pool"
    );
}
