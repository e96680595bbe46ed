//! Prometheus export of the metrics the use cases record through the `metrics` facade.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use skjold_app::{QUEUE_WAIT, QUEUE_WAIT_BUCKETS, describe_metrics};
use skjold_http::RenderMetrics;

/// How often the exporter drops expired samples from its histograms' windows.
const UPKEEP: Duration = Duration::from_secs(5);

/// Installs the process-wide recorder and returns what renders `/metrics`. Call once,
/// inside the runtime.
pub fn install() -> anyhow::Result<RenderMetrics> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(QUEUE_WAIT.to_owned()), QUEUE_WAIT_BUCKETS)
        .context("invalid histogram buckets")?
        .install_recorder()
        .context("cannot install the metrics recorder")?;
    describe_metrics();
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(UPKEEP);
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    Ok(Arc::new(move || handle.render()))
}
