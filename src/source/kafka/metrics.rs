//! The Kafka source's own metrics, registered in the service's one registry.

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
    pub transient_errors: IntCounterVec,
    pub checkpoint_last_success: Gauge,
    pub checkpoint_duration: Histogram,
    pub checkpoint_failures: IntCounter,
    pub partitions_owned: IntGauge,
}

impl KafkaMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let m = KafkaMetrics {
            lag: IntGaugeVec::new(
                Opts::new(
                    "hotline_kafka_consumer_lag_messages",
                    "Messages between this instance's position and the partition's high watermark.",
                ),
                &["topic", "partition"],
            )?,
            messages: IntCounterVec::new(
                Opts::new(
                    "hotline_kafka_messages_consumed_total",
                    "Messages consumed.",
                ),
                &["topic", "partition"],
            )?,
            bytes: IntCounterVec::new(
                Opts::new(
                    "hotline_kafka_bytes_consumed_total",
                    "Payload bytes consumed.",
                ),
                &["topic", "partition"],
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
                    "Rejected messages copied to the dead-letter topic, by reason.",
                ),
                &["reason"],
            )?,
            dead_letter_errors: IntCounter::new(
                "hotline_dead_letter_errors_total",
                "Dead-letter copies that failed and were retried.",
            )?,
            transient_errors: IntCounterVec::new(
                Opts::new(
                    "hotline_kafka_errors_total",
                    "Transient Kafka errors (retried), by kind.",
                ),
                &["kind"],
            )?,
            checkpoint_last_success: Gauge::new(
                "hotline_checkpoint_last_success_timestamp_seconds",
                "When the last checkpoint of every owned partition succeeded.",
            )?,
            checkpoint_duration: Histogram::with_opts(
                HistogramOpts::new(
                    "hotline_checkpoint_duration_seconds",
                    "Time to write one partition checkpoint.",
                )
                .buckets(vec![
                    0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
                ]),
            )?,
            checkpoint_failures: IntCounter::new(
                "hotline_checkpoint_failures_total",
                "Checkpoints that failed (retried at the next interval).",
            )?,
            partitions_owned: IntGauge::new(
                "hotline_kafka_partitions_owned",
                "Partitions this instance owns.",
            )?,
        };
        registry.register(Box::new(m.lag.clone()))?;
        registry.register(Box::new(m.messages.clone()))?;
        registry.register(Box::new(m.bytes.clone()))?;
        registry.register(Box::new(m.rebalances.clone()))?;
        registry.register(Box::new(m.connected.clone()))?;
        registry.register(Box::new(m.dead_letter.clone()))?;
        registry.register(Box::new(m.dead_letter_errors.clone()))?;
        registry.register(Box::new(m.transient_errors.clone()))?;
        registry.register(Box::new(m.checkpoint_last_success.clone()))?;
        registry.register(Box::new(m.checkpoint_duration.clone()))?;
        registry.register(Box::new(m.checkpoint_failures.clone()))?;
        registry.register(Box::new(m.partitions_owned.clone()))?;
        Ok(m)
    }
}
