//! The consumer's librdkafka callbacks. They only record what happened — rebalance
//! events and the broker's answers to offset commits for the consumer loop to act on,
//! lag from the statistics, errors counted and logged at a bounded rate — and never do
//! I/O or take the partitions' state.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::statistics::Statistics;
use rdkafka::types::{RDKafkaErrorCode, RDKafkaRespErr};
use rdkafka::{ClientContext, Offset, TopicPartitionList};

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

/// The broker's answer to an offset commit, for one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitAnswer {
    pub partition: i32,
    pub offset: i64,
    /// Why it failed; `None` when the offset is committed.
    pub error: Option<String>,
}

pub struct Ctx {
    pub topic: String,
    pub metrics: Arc<KafkaMetrics>,
    signals: Mutex<Vec<Signal>>,
    answers: Mutex<Vec<CommitAnswer>>,
    lag: Mutex<BTreeMap<i32, i64>>,
    /// The loop has finished every partition and is closing the consumer: nothing is
    /// left to hand over, and no loop runs to act on a signal.
    closing: AtomicBool,
}

impl Ctx {
    pub fn new(topic: String, metrics: Arc<KafkaMetrics>) -> Self {
        Ctx {
            topic,
            metrics,
            signals: Mutex::new(Vec::new()),
            answers: Mutex::new(Vec::new()),
            lag: Mutex::new(BTreeMap::new()),
            closing: AtomicBool::new(false),
        }
    }

    /// Rebalance events since the last call, in order.
    pub fn take_signals(&self) -> Vec<Signal> {
        std::mem::take(&mut *self.signals.lock())
    }

    /// The broker's answers to offset commits since the last call.
    pub fn take_commit_answers(&self) -> Vec<CommitAnswer> {
        std::mem::take(&mut *self.answers.lock())
    }

    /// From now on a revocation is answered at once (the consumer is being closed).
    pub fn closing(&self) {
        self.closing.store(true, Ordering::SeqCst);
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
                crate::rate_limited!(warn, target: "librdkafka", fac, "{log_message}")
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
        crate::rate_limited!(warn, kind, error = %error, reason, "kafka client error (retrying)");
    }

    /// Lag per owned partition: high watermark minus the position handed to the
    /// application (librdkafka's statistics, no RPC).
    fn stats(&self, stats: Statistics) {
        // Statistics come every interval whatever the brokers' state: connected means a
        // broker connection is up now, not merely that statistics arrived.
        let up = stats
            .brokers
            .values()
            .any(|b| b.source != "internal" && b.state == "UP");
        self.metrics.connected.set(i64::from(up));
        let Some(topic) = stats.topics.get(&self.topic) else {
            return;
        };
        let mut lag = self.lag.lock();
        for (p, s) in &topic.partitions {
            if *p < 0 || s.hi_offset < 0 {
                continue;
            }
            // Position: what was handed to the application, else where fetching starts
            // (a partition taken over at its end hands nothing over while it stays
            // idle, and is caught up), else the committed offset, else its start.
            let position = [
                s.app_offset,
                s.next_offset,
                s.committed_offset,
                s.lo_offset,
                0,
            ]
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
        if self.closing.load(Ordering::SeqCst) {
            // Closing: every partition was already finished and committed by the loop;
            // librdkafka waits for the unassign before it leaves the group.
            let r = match consumer.rebalance_protocol() {
                RebalanceProtocol::Cooperative => consumer.incremental_unassign(tpl),
                _ => consumer.unassign(),
            };
            if let Err(e) = r {
                tracing::debug!(error = %e, "unassign while closing");
            }
            return;
        }
        let cooperative = matches!(
            consumer.rebalance_protocol(),
            RebalanceProtocol::Cooperative
        );
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

    /// Records the answer per partition (served from the loop's poll). An auto-commit
    /// with nothing new to send is no answer.
    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        if let Err(e) = &result {
            if e.rdkafka_error_code() == Some(RDKafkaErrorCode::NoOffset) {
                return;
            }
        }
        let mut answers = self.answers.lock();
        for e in offsets.elements_for_topic(&self.topic) {
            let Offset::Offset(offset) = e.offset() else {
                continue;
            };
            let error = match (&result, e.error()) {
                (Err(err), _) => Some(err.to_string()),
                (Ok(()), Err(err)) => Some(err.to_string()),
                (Ok(()), Ok(())) => None,
            };
            answers.push(CommitAnswer {
                partition: e.partition(),
                offset,
                error,
            });
        }
    }
}
