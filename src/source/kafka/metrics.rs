//! The Kafka source's own metrics, registered in the service's one registry, as typed
//! handles.

use prometheus::{
    Gauge, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry,
};

pub struct KafkaMetrics {
    pub lag: IntGaugeVec,
    pub messages: IntCounterVec,
    pub bytes: IntCounterVec,
    pub rebalances: IntCounter,
    pub connected: IntGauge,
    pub dead_letter: IntCounterVec,
    pub dead_letter_errors: IntCounter,
    pub dead_letter_truncated: IntCounter,
    pub dead_letter_pending: IntGauge,
    pub transient_errors: IntCounterVec,
    pub commit_last_success: Gauge,
    pub commit_pause: Histogram,
    pub changelog_records: IntCounter,
    pub changelog_bytes: IntCounter,
    pub changelog_errors: IntCounter,
    pub restore_duration: Histogram,
    pub restored_orders: IntCounter,
    pub cache: IntCounterVec,
    pub offset_out_of_range: IntCounter,
    pub partitions_owned: IntGauge,
    pub views_published: IntCounter,
    pub views_received: IntCounter,
}

const PAUSE_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];
const RESTORE_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

impl KafkaMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let tp = &["topic", "partition"];
        let m = KafkaMetrics {
            lag: IntGaugeVec::new(
                Opts::new(
                    "hotline_kafka_consumer_lag_messages",
                    "Messages between this instance's position and the partition's high watermark (librdkafka statistics).",
                ),
                tp,
            )?,
            messages: IntCounterVec::new(
                Opts::new("hotline_kafka_messages_consumed_total", "Messages consumed."),
                tp,
            )?,
            bytes: IntCounterVec::new(
                Opts::new("hotline_kafka_bytes_consumed_total", "Payload bytes consumed."),
                tp,
            )?,
            rebalances: IntCounter::new(
                "hotline_kafka_rebalances_total",
                "Partition assignments and revocations handled.",
            )?,
            connected: IntGauge::new(
                "hotline_kafka_connected",
                "1 while the brokers answer, 0 after a failure until they answer again.",
            )?,
            dead_letter: IntCounterVec::new(
                Opts::new(
                    "hotline_dead_letter_messages_total",
                    "Rejected messages copied to the dead-letter topic (delivery confirmed), by reason.",
                ),
                &["reason"],
            )?,
            dead_letter_errors: IntCounter::new(
                "hotline_dead_letter_errors_total",
                "Dead-letter deliveries that failed (each is retried; its partition holds until it succeeds).",
            )?,
            dead_letter_truncated: IntCounter::new(
                "hotline_dead_letter_truncated_total",
                "Dead-letter copies truncated because the topic could not take the message whole.",
            )?,
            dead_letter_pending: IntGauge::new(
                "hotline_dead_letter_pending",
                "Dead-letter copies not yet confirmed (a failing one holds its partition's commits).",
            )?,
            transient_errors: IntCounterVec::new(
                Opts::new(
                    "hotline_kafka_errors_total",
                    "Transient Kafka errors (retried), by kind.",
                ),
                &["kind"],
            )?,
            commit_last_success: Gauge::new(
                "hotline_checkpoint_last_success_timestamp_seconds",
                "When a partition's state (changelog) and input offset were last committed.",
            )?,
            commit_pause: Histogram::with_opts(
                HistogramOpts::new(
                    "hotline_commit_pause_seconds",
                    "Time the apply path of a partition stops to hand its changes to the changelog producer.",
                )
                .buckets(PAUSE_BUCKETS.to_vec()),
            )?,
            changelog_records: IntCounter::new(
                "hotline_changelog_records_total",
                "Records produced to the changelog topic (orders, deletions, tombstone chunks).",
            )?,
            changelog_bytes: IntCounter::new(
                "hotline_changelog_bytes_total",
                "Key and value bytes produced to the changelog topic.",
            )?,
            changelog_errors: IntCounter::new(
                "hotline_changelog_errors_total",
                "Changelog deliveries that failed (rewritten; commits wait for them).",
            )?,
            restore_duration: Histogram::with_opts(
                HistogramOpts::new(
                    "hotline_restore_duration_seconds",
                    "Time to restore one partition's state (cache and changelog).",
                )
                .buckets(RESTORE_BUCKETS.to_vec()),
            )?,
            restored_orders: IntCounter::new(
                "hotline_restored_orders_total",
                "Orders restored from the changelog or the local cache.",
            )?,
            cache: IntCounterVec::new(
                Opts::new(
                    "hotline_state_cache_total",
                    "Local state cache use on restore, by result: used, missing, foreign, corrupt, stale, written.",
                ),
                &["result"],
            )?,
            offset_out_of_range: IntCounter::new(
                "hotline_kafka_offset_out_of_range_total",
                "Committed input offsets found out of range (the input's retention dropped unread messages).",
            )?,
            partitions_owned: IntGauge::new(
                "hotline_kafka_partitions_owned",
                "Partitions this instance owns.",
            )?,
            views_published: IntCounter::new(
                "hotline_views_published_total",
                "Partition views produced to the views topic.",
            )?,
            views_received: IntCounter::new(
                "hotline_views_received_total",
                "Partition views read from the views topic.",
            )?,
        };
        registry.register(Box::new(m.lag.clone()))?;
        registry.register(Box::new(m.messages.clone()))?;
        registry.register(Box::new(m.bytes.clone()))?;
        registry.register(Box::new(m.rebalances.clone()))?;
        registry.register(Box::new(m.connected.clone()))?;
        registry.register(Box::new(m.dead_letter.clone()))?;
        registry.register(Box::new(m.dead_letter_errors.clone()))?;
        registry.register(Box::new(m.dead_letter_truncated.clone()))?;
        registry.register(Box::new(m.dead_letter_pending.clone()))?;
        registry.register(Box::new(m.transient_errors.clone()))?;
        registry.register(Box::new(m.commit_last_success.clone()))?;
        registry.register(Box::new(m.commit_pause.clone()))?;
        registry.register(Box::new(m.changelog_records.clone()))?;
        registry.register(Box::new(m.changelog_bytes.clone()))?;
        registry.register(Box::new(m.changelog_errors.clone()))?;
        registry.register(Box::new(m.restore_duration.clone()))?;
        registry.register(Box::new(m.restored_orders.clone()))?;
        registry.register(Box::new(m.cache.clone()))?;
        registry.register(Box::new(m.offset_out_of_range.clone()))?;
        registry.register(Box::new(m.partitions_owned.clone()))?;
        registry.register(Box::new(m.views_published.clone()))?;
        registry.register(Box::new(m.views_received.clone()))?;
        Ok(m)
    }
}
