//! Kafka: the consumer-group source, whose state lives in Kafka (a compacted changelog
//! topic per input partition, restored on whichever instance a partition lands on),
//! the dead-letter topic, the views topic every instance reads whole, and the
//! `produce` command that feeds a topic.

mod clients;
mod consumer;
mod metrics;
mod produce;
mod producer;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use prometheus::Registry;
use rdkafka::consumer::{BaseConsumer, Consumer};

pub use clients::{
    admin_config, client_config, consumer_config, feeder_config, producer_config, restore_config,
    views_config,
};
pub use consumer::{ORIGINAL_SIZE_HEADER, REASON_HEADER};
pub use produce::{ensure_topic, produce, TopicSpec};

use self::consumer::{Ctx, Settings};
use self::metrics::KafkaMetrics;
use self::producer::Deliveries;
use super::AsOf;
use crate::engine::Shared;
use crate::health::Health;
use crate::view::Board;

/// Another instance's view of a partition older than this makes the group's figures
/// "incomplete" (its owner publishes at least every 2 s).
pub const VIEWS_MAX_AGE_MS: i64 = 15_000;

#[derive(Debug, Clone)]
pub struct KafkaConfig {
    pub brokers: String,
    pub topic: String,
    pub group: String,
    pub dlq_topic: String,
    /// The compacted topic holding each input partition's state.
    pub changelog_topic: String,
    /// The compacted topic of partition views; `None`: each instance shows only its own
    /// partitions.
    pub views_topic: Option<String>,
    /// Static membership (`group.instance.id`): a restarted instance gets its
    /// partitions back without a rebalance.
    pub group_instance_id: Option<String>,
    /// librdkafka settings passed through (`--kafka-option`), applied last.
    pub options: Vec<(String, String)>,
    /// Optional local cache of partition state; restores only read what came after it.
    pub state_dir: Option<PathBuf>,
    /// A partition's changes go to the changelog (and its offset is committed once
    /// they are durable) every this often...
    pub commit_interval: Duration,
    /// ...or after this many messages, whichever comes first.
    pub commit_events: u64,
    pub ready_max_lag: i64,
    /// Largest dead-letter copy; larger messages are cut (the original size in a header).
    pub dlq_max_bytes: usize,
    /// How long a partition's final commit may take on revocation or shutdown.
    pub shutdown_grace: Duration,
}

impl KafkaConfig {
    /// The default changelog topic of an input topic.
    pub fn changelog_of(topic: &str) -> String {
        format!("{topic}.changelog")
    }

    /// The default views topic of an input topic.
    pub fn views_of(topic: &str) -> String {
        format!("{topic}.views")
    }
}

/// Consumes until `stop` is set. Fatal errors (bad settings) return an error; broker
/// outages are retried inside.
pub fn run(
    config: KafkaConfig,
    shared: Arc<Shared>,
    board: Arc<Board>,
    registry: &Registry,
    as_of: AsOf,
    health: Arc<Health>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    let metrics = Arc::new(KafkaMetrics::register(registry).context("registering Kafka metrics")?);
    if let Some(dir) = &config.state_dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the cache directory {}", dir.display()))?;
    }
    let producer = producer_config(&config)
        .create_with_context(Deliveries {
            metrics: metrics.clone(),
        })
        .context("invalid Kafka settings for the producer")?;
    let consumer: BaseConsumer<Ctx> = consumer_config(&config)
        .create_with_context(Ctx::new(config.topic.clone(), metrics.clone()))
        .context("invalid Kafka consumer settings")?;

    // The topics the service writes: created if missing (best effort; a broker that
    // forbids creation needs them made by hand, see docs/deploy.md). The changelog,
    // which needs the input's partition count, is the consumer loop's to create.
    let mut topics = vec![TopicSpec::plain(&config.dlq_topic, 1)];
    if let Some(v) = &config.views_topic {
        topics.push(TopicSpec::compacted(v, 1));
    }
    ensure_topic(
        &config.brokers,
        &config.options,
        &topics,
        Duration::from_secs(10),
    );
    let cluster_id = consumer
        .client()
        .fetch_cluster_id(Duration::from_secs(10))
        .unwrap_or_default();

    let settings = Arc::new(Settings {
        shared,
        board: board.clone(),
        metrics,
        producer,
        as_of,
        cluster_id,
        state_dir: config.state_dir.clone(),
        views_topic: config.views_topic.clone(),
        restore_timeout: Duration::from_secs(60),
        commit_every: config.commit_interval,
        commit_events: config.commit_events,
        dlq_max_bytes: config.dlq_max_bytes,
        kafka: config,
    });
    tracing::info!(brokers = %settings.kafka.brokers, topic = %settings.kafka.topic, group = %settings.kafka.group, changelog = %settings.kafka.changelog_topic, "consuming");
    let views = {
        let s = settings.clone();
        let stop = stop.clone();
        std::thread::Builder::new()
            .name("views-reader".into())
            .spawn(move || consumer::read_views(s, board, stop))
            .context("starting the views reader")?
    };
    let result = consumer::run(settings.clone(), consumer, health, stop);
    let _ = views.join();
    use rdkafka::producer::Producer as _;
    let _ = settings.producer.flush(settings.flush_grace());
    result
}
