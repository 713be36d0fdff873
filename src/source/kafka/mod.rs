//! Kafka: the consumer-group source, whose state lives in Kafka (a compacted changelog
//! topic per input partition, restored on whichever instance a partition lands on),
//! the dead-letter topic, the views topic every instance reads whole, and the
//! `produce` command that feeds a topic.

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
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

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

/// What every client starts from: the brokers, then (for consumers) fetch tuning, then
/// the user's `--kafka-option`s, which win. Each role below adds its own settings to
/// this; the end-to-end benchmark's reference consumer (`examples/bare_consumer.rs`)
/// starts from it too.
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
        // idle.
        c.set("fetch.queue.backoff.ms", "10");
    }
    set_options(&mut c, options);
    c
}

/// Sets the user's `--kafka-option`s over `c`.
fn set_options(c: &mut ClientConfig, options: &[(String, String)]) {
    for (k, v) in options {
        c.set(k, v);
    }
}

/// The service's producer (changelog, dead letters, views, claims): idempotent and
/// acknowledged by every in-sync replica; the user's options are set last (the CLI
/// refuses those the service owns, `enable.idempotence` and `acks`).
pub fn producer_config(config: &KafkaConfig) -> ClientConfig {
    let mut c = client_config(&config.brokers, false, &[]);
    c.set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5");
    set_options(&mut c, &config.options);
    c
}

/// The service's group consumer of the input topic; the user's options are set last
/// (the CLI refuses those the service owns: `group.id`, `group.instance.id`,
/// `enable.auto.commit`, `enable.auto.offset.store`).
pub fn consumer_config(config: &KafkaConfig) -> ClientConfig {
    let mut c = client_config(&config.brokers, true, &[]);
    c.set("group.id", &config.group)
        // Offsets are stored by the loop once durable (changelog and dead letters
        // confirmed), never on consumption; librdkafka commits what is stored, and
        // its answers (commit callback) tell the loop what is committed.
        .set("enable.auto.commit", "true")
        .set("auto.commit.interval.ms", "1000")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", "false")
        .set("statistics.interval.ms", "1000");
    if let Some(id) = &config.group_instance_id {
        c.set("group.instance.id", id);
    }
    set_options(&mut c, &config.options);
    c
}

/// A reader that assigns partitions itself and never commits, in its own group
/// (`<group>.<suffix>`) so it never joins the service's: its settings are set over
/// the user's options.
fn reader_config(config: &KafkaConfig, suffix: &str) -> ClientConfig {
    let mut c = client_config(&config.brokers, true, &config.options);
    c.set("group.id", format!("{}.{suffix}", config.group))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest");
    c
}

/// The reader that restores a partition's state from the changelog.
pub fn restore_config(config: &KafkaConfig) -> ClientConfig {
    let mut c = reader_config(config, "restore");
    // The restore stops at the claim it wrote, not at the partition's end: no
    // end-of-partition events, whatever the options say.
    c.set("enable.partition.eof", "false");
    c
}

/// The reader of the views topic (read whole, for ever, by every instance).
pub fn views_config(config: &KafkaConfig) -> ClientConfig {
    reader_config(config, "views")
}

/// The admin client that creates missing topics and reads their settings.
pub fn admin_config(brokers: &str, options: &[(String, String)]) -> ClientConfig {
    client_config(brokers, false, options)
}

/// The `produce` command's producer: idempotent, partitioning keys as the Java client
/// does (murmur2), so a key lands where a Java producer would put it; its settings are
/// set over the user's options.
pub fn feeder_config(brokers: &str, options: &[(String, String)]) -> ClientConfig {
    let mut c = client_config(brokers, false, options);
    c.set("linger.ms", "5")
        .set("enable.idempotence", "true")
        .set("partitioner", "murmur2_random");
    c
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rdkafka::consumer::BaseConsumer;
    use rdkafka::producer::BaseProducer;

    use super::*;

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

    fn kafka(options: &[(&str, &str)]) -> KafkaConfig {
        KafkaConfig {
            brokers: "127.0.0.1:1".into(),
            topic: "t".into(),
            group: "g".into(),
            dlq_topic: "t.dlq".into(),
            changelog_topic: "t.changelog".into(),
            views_topic: Some("t.views".into()),
            group_instance_id: Some("pod-0".into()),
            options: opts(options),
            state_dir: None,
            commit_interval: Duration::from_secs(1),
            commit_events: 1,
            ready_max_lag: 0,
            dlq_max_bytes: 1024,
            shutdown_grace: Duration::from_secs(1),
        }
    }

    #[test]
    fn each_role_has_its_settings_and_the_user_wins_only_where_meant() {
        let k = kafka(&[
            ("linger.ms", "20"),
            ("enable.partition.eof", "true"),
            ("auto.offset.reset", "latest"),
        ]);
        let p = producer_config(&k);
        assert_eq!(p.get("enable.idempotence"), Some("true"));
        assert_eq!(p.get("acks"), Some("all"));
        assert_eq!(p.get("linger.ms"), Some("20"), "the user's option wins");
        assert_eq!(p.get("fetch.wait.max.ms"), None);

        let c = consumer_config(&k);
        for (key, value) in [
            ("bootstrap.servers", "127.0.0.1:1"),
            ("group.id", "g"),
            ("group.instance.id", "pod-0"),
            ("enable.auto.commit", "true"),
            ("auto.commit.interval.ms", "1000"),
            ("enable.auto.offset.store", "false"),
            ("statistics.interval.ms", "1000"),
            ("fetch.wait.max.ms", "100"),
            ("enable.partition.eof", "true"),
            ("auto.offset.reset", "latest"),
        ] {
            assert_eq!(c.get(key), Some(value), "{key}");
        }
        let mut no_id = k.clone();
        no_id.group_instance_id = None;
        assert_eq!(consumer_config(&no_id).get("group.instance.id"), None);

        // The readers' own settings are set over the user's.
        let r = restore_config(&k);
        assert_eq!(r.get("group.id"), Some("g.restore"));
        assert_eq!(r.get("enable.auto.commit"), Some("false"));
        assert_eq!(r.get("auto.offset.reset"), Some("earliest"));
        assert_eq!(r.get("enable.partition.eof"), Some("false"));
        let v = views_config(&k);
        assert_eq!(v.get("group.id"), Some("g.views"));
        assert_eq!(v.get("auto.offset.reset"), Some("earliest"));
        assert_eq!(v.get("enable.partition.eof"), Some("true"));

        let f = feeder_config(&k.brokers, &k.options);
        assert_eq!(f.get("linger.ms"), Some("5"));
        assert_eq!(f.get("partitioner"), Some("murmur2_random"));
        assert_eq!(
            admin_config(&k.brokers, &k.options).get("linger.ms"),
            Some("20")
        );
    }

    #[test]
    fn the_service_producer_refuses_what_idempotence_forbids() {
        for option in [
            ("max.in.flight.requests.per.connection", "10"),
            ("retries", "0"),
        ] {
            let k = kafka(&[option]);
            // A plain client takes it; the service's producer does not.
            assert!(admin_config(&k.brokers, &k.options)
                .create::<BaseProducer>()
                .is_ok());
            assert!(
                producer_config(&k).create::<BaseProducer>().is_err(),
                "{option:?}"
            );
        }
        assert!(producer_config(&kafka(&[]))
            .create::<BaseProducer>()
            .is_ok());
        assert!(consumer_config(&kafka(&[]))
            .create::<BaseConsumer>()
            .is_ok());
    }
}
