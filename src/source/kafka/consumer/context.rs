//! The consumer's librdkafka callbacks. They only record what happened — rebalance
//! events for the consumer loop to act on, lag from the statistics, errors counted
//! and logged at a bounded rate — and never do I/O or take the partitions' state.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::error::KafkaError;
use rdkafka::statistics::Statistics;
use rdkafka::types::{RDKafkaErrorCode, RDKafkaRespErr};
use rdkafka::{ClientContext, TopicPartitionList};

use crate::source::kafka::metrics::KafkaMetrics;

/// A rebalance event, for the consumer loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    Assign {
        partitions: Vec<i32>,
        cooperative: bool,
    },
    Revoke {
        partitions: Vec<i32>,
        cooperative: bool,
    },
    /// The group protocol failed; the loop drops its assignment.
    Error,
}

/// Logs at most one line per `every` for one kind of trouble, with how many were
/// suppressed (a broker outage must not flood the log).
pub struct RateLimit {
    every: Duration,
    last: Mutex<Option<Instant>>,
    suppressed: AtomicU64,
}

impl RateLimit {
    pub const fn new(every: Duration) -> Self {
        RateLimit {
            every,
            last: Mutex::new(None),
            suppressed: AtomicU64::new(0),
        }
    }

    /// `Some(suppressed since the last line)` when a line may be written now.
    pub fn check(&self) -> Option<u64> {
        let mut last = self.last.lock();
        if last.is_some_and(|t| t.elapsed() < self.every) {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        *last = Some(Instant::now());
        Some(self.suppressed.swap(0, Ordering::Relaxed))
    }
}

pub struct Ctx {
    pub topic: String,
    pub metrics: Arc<KafkaMetrics>,
    signals: Mutex<Vec<Signal>>,
    lag: Mutex<BTreeMap<i32, i64>>,
    log_limit: RateLimit,
    error_limit: RateLimit,
    /// Set once the loop has finished every partition and is closing the consumer.
    closing: AtomicBool,
}

impl Ctx {
    pub fn new(topic: String, metrics: Arc<KafkaMetrics>) -> Self {
        Ctx {
            topic,
            metrics,
            signals: Mutex::new(Vec::new()),
            lag: Mutex::new(BTreeMap::new()),
            log_limit: RateLimit::new(Duration::from_secs(10)),
            error_limit: RateLimit::new(Duration::from_secs(10)),
            closing: AtomicBool::new(false),
        }
    }

    /// The loop has finished (flushed and committed) every partition: from now on the
    /// callback gives partitions up itself, as closing the consumer requires — the loop
    /// that would otherwise do it no longer runs, and librdkafka's close waits for the
    /// unassign forever.
    pub fn closing(&self) {
        self.closing.store(true, Ordering::SeqCst);
    }

    /// Rebalance events since the last call, in order.
    pub fn take_signals(&self) -> Vec<Signal> {
        std::mem::take(&mut *self.signals.lock())
    }

    /// The lag of each partition from the latest statistics.
    pub fn lag(&self) -> BTreeMap<i32, i64> {
        self.lag.lock().clone()
    }

    pub fn forget_lag(&self, partition: i32) {
        self.lag.lock().remove(&partition);
        let _ = self
            .metrics
            .lag
            .remove_label_values(&[&self.topic, &partition.to_string()]);
    }
}

impl ClientContext for Ctx {
    /// librdkafka's own log lines go to the service's structured log, warnings and
    /// errors rate-limited.
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
        use rdkafka::config::RDKafkaLogLevel as L;
        match level {
            L::Emerg | L::Alert | L::Critical | L::Error | L::Warning => {
                if let Some(suppressed) = self.log_limit.check() {
                    tracing::warn!(target: "librdkafka", fac, suppressed, "{log_message}");
                }
            }
            L::Notice | L::Info => tracing::info!(target: "librdkafka", fac, "{log_message}"),
            L::Debug => tracing::debug!(target: "librdkafka", fac, "{log_message}"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        let kind = match error.rdkafka_error_code() {
            Some(RDKafkaErrorCode::AllBrokersDown) => {
                self.metrics.connected.set(0);
                "all_brokers_down"
            }
            Some(RDKafkaErrorCode::BrokerTransportFailure) => "transport",
            _ => "other",
        };
        self.metrics
            .transient_errors
            .with_label_values(&[kind])
            .inc();
        if let Some(suppressed) = self.error_limit.check() {
            tracing::warn!(kind, error = %error, reason, suppressed, "kafka client error (retrying)");
        }
    }

    /// Lag per owned partition: high watermark minus the position handed to the
    /// application (librdkafka's statistics, no RPC).
    fn stats(&self, stats: Statistics) {
        let Some(topic) = stats.topics.get(&self.topic) else {
            return;
        };
        let mut lag = self.lag.lock();
        for (p, s) in &topic.partitions {
            if *p < 0 || s.hi_offset < 0 {
                continue;
            }
            // Position: what was handed to the application, else the committed offset,
            // else the partition's start (nothing read yet).
            let position = [s.app_offset, s.committed_offset, s.lo_offset, 0]
                .into_iter()
                .find(|&o| o >= 0)
                .unwrap_or(0);
            let l = (s.hi_offset - position).max(0);
            if lag.contains_key(p) || s.fetch_state == "active" {
                lag.insert(*p, l);
                self.metrics
                    .lag
                    .with_label_values(&[&self.topic, &p.to_string()])
                    .set(l);
            }
        }
        self.metrics.connected.set(1);
    }
}

impl ConsumerContext for Ctx {
    /// Records the event; the consumer loop restores, flushes, commits and then calls
    /// assign/unassign itself (librdkafka waits for that call).
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        self.metrics.rebalances.inc();
        let cooperative = matches!(
            consumer.rebalance_protocol(),
            RebalanceProtocol::Cooperative
        );
        if self.closing.load(Ordering::SeqCst) {
            let r = match (err, cooperative) {
                (RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS, _) => Ok(()),
                (_, true) => consumer.incremental_unassign(tpl),
                (_, false) => consumer.unassign(),
            };
            if let Err(e) = r {
                tracing::debug!(error = %e, "unassign while closing");
            }
            return;
        }
        let partitions: Vec<i32> = tpl
            .elements_for_topic(&self.topic)
            .iter()
            .map(|e| e.partition())
            .collect();
        let signal = match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => Signal::Assign {
                partitions,
                cooperative,
            },
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => Signal::Revoke {
                partitions,
                cooperative,
            },
            _ => Signal::Error,
        };
        self.signals.lock().push(signal);
    }
}
