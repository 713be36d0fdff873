//! The client contexts: librdkafka's callbacks (logs, errors, rebalances, dead-letter
//! deliveries), which run on librdkafka's or the polling thread.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::error::KafkaError;
use rdkafka::producer::{DeliveryResult, ProducerContext, ThreadedProducer};
use rdkafka::types::{RDKafkaErrorCode, RDKafkaRespErr};
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use super::state::{Owned, State};
use crate::event::RejectReason;
use crate::source::kafka::metrics::KafkaMetrics;

/// Batches decoded by the polling thread and not yet applied by the apply thread.
#[derive(Default)]
pub struct InFlight(AtomicUsize);

impl InFlight {
    pub fn add(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    pub fn done(&self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }

    /// Waits until every batch handed over has been applied.
    pub fn drain(&self) {
        while self.0.load(Ordering::SeqCst) > 0 {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

pub struct Ctx {
    pub state: Mutex<State>,
    pub metrics: Arc<KafkaMetrics>,
    pub dlq: ThreadedProducer<DlqContext>,
    pub in_flight: InFlight,
}

impl ClientContext for Ctx {
    /// librdkafka's own log lines (connection trouble, group protocol; more with
    /// `--kafka-option debug=cgrp,...`) go to the service's structured log.
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
        use rdkafka::config::RDKafkaLogLevel as L;
        match level {
            L::Emerg | L::Alert | L::Critical | L::Error => {
                tracing::error!(target: "librdkafka", fac, "{log_message}")
            }
            L::Warning => tracing::warn!(target: "librdkafka", fac, "{log_message}"),
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
        tracing::warn!(kind, error = %error, reason, "kafka client error");
    }
}

impl ConsumerContext for Ctx {
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
        // Everything already handed to the apply thread lands before partitions move
        // (and before taking the lock, which that thread needs).
        self.in_flight.drain();
        let mut st = self.state.lock();
        st.rebalanced = true;
        let topic = st.config.topic.clone();
        let partitions: Vec<i32> = tpl
            .elements_for_topic(&topic)
            .iter()
            .map(|e| e.partition())
            .collect();
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                for p in partitions {
                    let (partition, offset) = st.restore(p, &self.metrics);
                    if let Err(e) = tpl.set_partition_offset(&topic, p, offset) {
                        tracing::error!(partition = p, error = %e, "cannot set the start offset");
                    }
                    let checkpointed = match offset {
                        Offset::Offset(o) => Some(o),
                        _ => None,
                    };
                    st.owned.insert(p, Owned::new(partition, checkpointed));
                }
                let r = if cooperative {
                    consumer.incremental_assign(tpl)
                } else {
                    consumer.assign(tpl)
                };
                if let Err(e) = r {
                    tracing::error!(error = %e, "assign failed");
                }
                tracing::info!(partitions = ?st.owned.keys().collect::<Vec<_>>(), "partitions assigned");
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                // Save and commit what we have before another instance takes over.
                st.checkpoint(
                    consumer,
                    &self.dlq,
                    &self.metrics,
                    &partitions,
                    CommitMode::Sync,
                );
                for p in &partitions {
                    st.owned.remove(p);
                    let _ = self
                        .metrics
                        .lag
                        .remove_label_values(&[&topic, &p.to_string()]);
                }
                let r = if cooperative {
                    consumer.incremental_unassign(tpl)
                } else {
                    consumer.unassign()
                };
                if let Err(e) = r {
                    tracing::error!(error = %e, "unassign failed");
                }
                tracing::info!(revoked = ?partitions, "partitions revoked");
            }
            other => {
                tracing::error!(error = ?other, "rebalance error");
                let _ = consumer.unassign();
            }
        }
        self.metrics.partitions_owned.set(st.owned.len() as i64);
    }
}

/// Counts dead-letter deliveries by reason (the opaque is the reason's index).
pub struct DlqContext {
    pub metrics: Arc<KafkaMetrics>,
}

impl ClientContext for DlqContext {}

impl ProducerContext for DlqContext {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, reason: usize) {
        let code = RejectReason::ALL
            .get(reason)
            .map_or("unknown", |r| r.code());
        match result {
            Ok(_) => self.metrics.dead_letter.with_label_values(&[code]).inc(),
            Err((e, _)) => {
                self.metrics.dead_letter_errors.inc();
                tracing::error!(reason = code, error = %e, "dead-letter copy failed");
            }
        }
    }
}
