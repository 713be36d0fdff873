//! Kafka: the consumer-group source with per-partition state and checkpoints, the
//! dead-letter topic, and the `produce` command that feeds a topic.

pub mod checkpoint;
mod consumer;
mod metrics;
mod produce;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use parking_lot::Mutex;
use prometheus::Registry;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::BaseConsumer;
use rdkafka::producer::ThreadedProducer;

pub use consumer::REASON_HEADER;
pub use produce::produce;

use self::consumer::{Ctx, DlqContext, InFlight, State};
use self::metrics::KafkaMetrics;
use super::AsOf;
use crate::engine::Shared;
use crate::http::Health;

#[derive(Debug, Clone)]
pub struct KafkaConfig {
    pub brokers: String,
    pub topic: String,
    pub group: String,
    pub dlq_topic: String,
    /// librdkafka settings passed through (`--kafka-option`), applied last.
    pub options: Vec<(String, String)>,
    pub state_dir: std::path::PathBuf,
    pub checkpoint_secs: u64,
    pub checkpoint_events: u64,
    pub ready_max_lag: i64,
}

/// Client settings: the brokers, then (for consumers) fetch tuning, then the user's
/// `--kafka-option`s, which win.
pub fn client_config(brokers: &str, consumer: bool, options: &[(String, String)]) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers);
    c.set("client.id", "hotline-pulse");
    // Forward everything librdkafka logs (debug lines only exist with `debug=...`);
    // the service's own log filter decides what is shown.
    c.set_log_level(rdkafka::config::RDKafkaLogLevel::Debug);
    if consumer {
        // A fetch waits at most this long for data. Apache Kafka answers as soon as
        // data is there; some brokers (tansu) hold every fetch for the full wait, so
        // keep it short by default. Tests and benchmarks set 5 ms.
        c.set("fetch.wait.max.ms", "100");
        // When the local queue is full librdkafka pauses fetching for this long
        // (default 1 s): a consumer that applies slower than it fetches would sit
        // idle. Measured here: a Haikou month took 5.0 s with the default, 2.3 s with
        // 10 ms.
        c.set("fetch.queue.backoff.ms", "10");
    }
    for (k, v) in options {
        c.set(k, v);
    }
    c
}

/// Consumes until `stop` is set. Fatal errors (bad settings) return an error; broker
/// outages are retried inside.
pub fn run(
    config: KafkaConfig,
    shared: Arc<Shared>,
    registry: &Registry,
    as_of: AsOf,
    health: Arc<Health>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    let metrics = Arc::new(KafkaMetrics::register(registry).context("registering Kafka metrics")?);
    std::fs::create_dir_all(&config.state_dir).with_context(|| {
        format!(
            "cannot create the state directory {}",
            config.state_dir.display()
        )
    })?;

    let mut producer_cfg = client_config(&config.brokers, false, &config.options);
    producer_cfg.set("enable.idempotence", "true");
    producer_cfg.set("linger.ms", "5");
    let dlq: ThreadedProducer<DlqContext> = producer_cfg
        .create_with_context(DlqContext {
            metrics: metrics.clone(),
        })
        .context("invalid Kafka settings for the dead-letter producer")?;

    let mut consumer_cfg = client_config(&config.brokers, true, &[]);
    consumer_cfg
        .set("group.id", &config.group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", "false");
    for (k, v) in &config.options {
        consumer_cfg.set(k, v);
    }
    let ctx = Ctx {
        state: Mutex::new(State::new(shared, config.clone(), as_of)),
        metrics,
        dlq,
        in_flight: InFlight::default(),
    };
    let consumer: BaseConsumer<Ctx> = consumer_cfg
        .create_with_context(ctx)
        .context("invalid Kafka consumer settings")?;
    produce::ensure_topic(
        &config.brokers,
        &config.options,
        &config.dlq_topic,
        1,
        Duration::from_secs(5),
    );
    tracing::info!(brokers = %config.brokers, topic = %config.topic, group = %config.group, "consuming");
    consumer::run_loop(consumer, health, stop)
}

#[cfg(test)]
mod tests {
    use rdkafka::consumer::BaseConsumer;

    use super::client_config;

    fn opts(kv: &[(&str, &str)]) -> Vec<(String, String)> {
        kv.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn tls_and_sasl_settings_are_supported_by_the_bundled_librdkafka() {
        // Creating a client validates the settings; nothing connects here.
        for o in [
            opts(&[("security.protocol", "ssl")]),
            opts(&[
                ("security.protocol", "sasl_ssl"),
                ("sasl.mechanisms", "SCRAM-SHA-512"),
                ("sasl.username", "u"),
                ("sasl.password", "p"),
            ]),
            opts(&[
                ("security.protocol", "sasl_plaintext"),
                ("sasl.mechanisms", "PLAIN"),
                ("sasl.username", "u"),
                ("sasl.password", "p"),
            ]),
        ] {
            let mut c = client_config("127.0.0.1:1", true, &o);
            c.set("group.id", "g");
            if let Err(e) = c.create::<BaseConsumer>() {
                panic!("{o:?}: {e}");
            }
        }
    }

    #[test]
    fn user_options_win_and_bad_ones_are_refused() {
        let c = client_config("b:9092", true, &opts(&[("fetch.wait.max.ms", "5")]));
        assert_eq!(c.get("fetch.wait.max.ms"), Some("5"));
        let mut c = client_config("b:9092", true, &opts(&[("no.such.setting", "1")]));
        c.set("group.id", "g");
        assert!(c.create::<BaseConsumer>().is_err());
    }
}
