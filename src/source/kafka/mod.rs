//! Kafka: consumer group, per-partition state with checkpoints, dead-letter topic.
//! NOT YET IMPLEMENTED — `serve --brokers` fails with a clear message until it is.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use prometheus::Registry;

use super::AsOf;
use crate::engine::Shared;
use crate::http::Health;

#[derive(Debug, Clone)]
pub struct KafkaConfig {
    pub brokers: String,
    pub topic: String,
    pub group: String,
    pub dlq_topic: String,
    pub options: Vec<(String, String)>,
    pub state_dir: std::path::PathBuf,
    pub checkpoint_secs: u64,
    pub checkpoint_events: u64,
    pub ready_max_lag: i64,
}

pub fn run(
    config: KafkaConfig,
    shared: Arc<Shared>,
    registry: &Registry,
    as_of: AsOf,
    health: Arc<Health>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    let _ = (config, shared, registry, as_of, health, stop);
    anyhow::bail!("the Kafka source is not implemented yet")
}

#[allow(clippy::too_many_arguments)]
pub fn produce(
    brokers: &str,
    topic: &str,
    options: &[(String, String)],
    files: &[std::path::PathBuf],
    sim: Option<crate::simulate::SimConfig>,
    rate: f64,
    partitions: i32,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    let _ = (brokers, topic, options, files, sim, rate, partitions, stop);
    anyhow::bail!("produce is not implemented yet")
}
