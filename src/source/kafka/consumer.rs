//! The consumer loop: a `BaseConsumer` on its own thread, one [`Partition`] per owned
//! Kafka partition, checkpoints with the offsets they cover, the dead-letter topic.
//!
//! Rebalance callbacks run inside `poll` on this same thread, so the state they touch
//! sits behind a mutex that is never held across `poll` (it is never contended).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use super::checkpoint;
use super::metrics::KafkaMetrics;
use super::KafkaConfig;
use crate::engine::{Partition, Shared};
use crate::event::{decode, RejectReason};
use crate::http::Health;
use crate::source::{wall_clock, AsOf, Watermark};

/// Header naming the reject reason on dead-lettered copies.
pub const REASON_HEADER: &str = "hotline-reject-reason";

struct Owned {
    partition: Partition,
    /// Offset of the next message to read; `None` until the first message.
    next_offset: Option<i64>,
    /// Offset covered by the last checkpoint.
    checkpointed: Option<i64>,
    since_checkpoint: u64,
    lag: Option<i64>,
}

pub struct State {
    shared: Arc<Shared>,
    config: KafkaConfig,
    as_of: AsOf,
    owned: BTreeMap<i32, Owned>,
    watermark: Watermark,
    rebalanced: bool,
}

pub struct Ctx {
    pub state: Mutex<State>,
    pub metrics: Arc<KafkaMetrics>,
    pub dlq: ThreadedProducer<DlqContext>,
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
            Some(rdkafka::types::RDKafkaErrorCode::AllBrokersDown) => {
                self.metrics.connected.set(0);
                "all_brokers_down"
            }
            Some(rdkafka::types::RDKafkaErrorCode::BrokerTransportFailure) => "transport",
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
                    st.owned.insert(
                        p,
                        Owned {
                            partition,
                            next_offset: None,
                            checkpointed: match offset {
                                Offset::Offset(o) => Some(o),
                                _ => None,
                            },
                            since_checkpoint: 0,
                            lag: None,
                        },
                    );
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

impl State {
    pub fn new(shared: Arc<Shared>, config: KafkaConfig, as_of: AsOf) -> Self {
        State {
            shared,
            config,
            as_of,
            owned: BTreeMap::new(),
            watermark: Watermark::default(),
            rebalanced: false,
        }
    }

    fn as_of(&self) -> i64 {
        self.as_of.at(self.watermark.get(), wall_clock())
    }

    /// The partition's checkpoint and the offset to resume from, or an empty partition
    /// read from the earliest retained offset.
    fn restore(&mut self, p: i32, metrics: &KafkaMetrics) -> (Partition, Offset) {
        // Withdraw a stale copy first so its view never doubles the figures.
        self.owned.remove(&p);
        let started = Instant::now();
        match checkpoint::load(
            &self.config.state_dir,
            &self.config.topic,
            p,
            &self.shared,
            self.as_of,
        ) {
            Ok(Some((partition, offset))) => {
                tracing::info!(
                    partition = p,
                    offset,
                    orders = partition.len(),
                    ms = started.elapsed().as_millis() as u64,
                    "restored from checkpoint"
                );
                let wm = self.shared.watermark.load(Ordering::Relaxed);
                self.watermark.observe(wm, wall_clock());
                (partition, Offset::Offset(offset))
            }
            Ok(None) => {
                tracing::info!(
                    partition = p,
                    "no checkpoint: rebuilding from the earliest offset"
                );
                (Partition::new(p, self.shared.clone()), Offset::Beginning)
            }
            Err(e) => {
                metrics.checkpoint_failures.inc();
                tracing::error!(partition = p, code = e.code(), error = %e, "unusable checkpoint: rebuilding from the earliest offset");
                (Partition::new(p, self.shared.clone()), Offset::Beginning)
            }
        }
    }

    /// Applies one message, or counts and dead-letters it.
    fn handle(
        &mut self,
        msg: &rdkafka::message::BorrowedMessage<'_>,
        dlq: &ThreadedProducer<DlqContext>,
        metrics: &KafkaMetrics,
        stop: &AtomicBool,
    ) {
        let p = msg.partition();
        let payload = msg.payload().unwrap_or(&[]);
        let as_of_mode = self.as_of;
        let tz = self.shared.config.tz;
        let Some(owned) = self.owned.get_mut(&p) else {
            tracing::warn!(
                partition = p,
                "message for a partition this instance does not own"
            );
            return;
        };
        let pl = p.to_string();
        metrics
            .messages
            .with_label_values(&[msg.topic(), &pl])
            .inc();
        metrics
            .bytes
            .with_label_values(&[msg.topic(), &pl])
            .inc_by(payload.len() as u64);
        match decode(payload, tz) {
            Ok(ev) => {
                self.watermark.observe(ev.at, wall_clock());
                let t = as_of_mode.at(self.watermark.get(), wall_clock());
                owned.partition.apply(ev, t);
            }
            Err(reject) => {
                self.shared.stats.reject(reject.reason);
                tracing::warn!(
                    partition = p,
                    offset = msg.offset(),
                    reason = reject.reason.code(),
                    field = reject.field,
                    "rejected message"
                );
                let index = RejectReason::ALL
                    .iter()
                    .position(|r| *r == reject.reason)
                    .unwrap_or(0);
                let offset = msg.offset().to_string();
                let headers = OwnedHeaders::new()
                    .insert(Header {
                        key: REASON_HEADER,
                        value: Some(reject.reason.code()),
                    })
                    .insert(Header {
                        key: "hotline-source-topic",
                        value: Some(msg.topic()),
                    })
                    .insert(Header {
                        key: "hotline-source-partition",
                        value: Some(pl.as_str()),
                    })
                    .insert(Header {
                        key: "hotline-source-offset",
                        value: Some(offset.as_str()),
                    });
                let mut record = BaseRecord::with_opaque_to(&self.config.dlq_topic, index)
                    .payload(payload)
                    .headers(headers);
                if let Some(key) = msg.key() {
                    record = record.key(key);
                }
                // A full queue is back-pressure, not loss: wait for room.
                let mut record = Some(record);
                while let Some(r) = record.take() {
                    match dlq.send(r) {
                        Ok(()) => {}
                        Err((e, r)) => {
                            metrics.dead_letter_errors.inc();
                            if stop.load(Ordering::Relaxed)
                                && !matches!(
                                    e,
                                    KafkaError::MessageProduction(
                                        rdkafka::types::RDKafkaErrorCode::QueueFull
                                    )
                                )
                            {
                                tracing::error!(error = %e, "cannot queue a dead-letter copy while stopping");
                                break;
                            }
                            std::thread::sleep(Duration::from_millis(20));
                            record = Some(r);
                        }
                    }
                }
            }
        }
        owned.next_offset = Some(msg.offset() + 1);
        owned.since_checkpoint += 1;
    }

    /// Saves the given partitions (those with new input) and commits their offsets.
    /// Dead-letter copies are flushed first: an offset is never saved past a bad
    /// message whose copy is not durable.
    fn checkpoint(
        &mut self,
        consumer: &BaseConsumer<Ctx>,
        dlq: &ThreadedProducer<DlqContext>,
        metrics: &KafkaMetrics,
        which: &[i32],
        mode: CommitMode,
    ) -> bool {
        let todo: Vec<i32> = which
            .iter()
            .copied()
            .filter(|p| {
                self.owned
                    .get(p)
                    .is_some_and(|o| o.next_offset.is_some() && o.next_offset != o.checkpointed)
            })
            .collect();
        if todo.is_empty() {
            return true;
        }
        if let Err(e) = dlq.flush(Duration::from_secs(10)) {
            metrics.checkpoint_failures.inc();
            tracing::error!(error = %e, "dead-letter topic not reachable: checkpoint postponed");
            return false;
        }
        let mut ok = true;
        let mut tpl = TopicPartitionList::new();
        for p in todo {
            let Some(o) = self.owned.get_mut(&p) else {
                continue;
            };
            let Some(next) = o.next_offset else { continue };
            let started = Instant::now();
            match checkpoint::save(
                &self.config.state_dir,
                &self.config.topic,
                &self.shared,
                &o.partition,
                next,
            ) {
                Ok(events) => {
                    metrics
                        .checkpoint_duration
                        .observe(started.elapsed().as_secs_f64());
                    tracing::debug!(partition = p, offset = next, events, "checkpoint saved");
                    o.checkpointed = Some(next);
                    o.since_checkpoint = 0;
                    let _ = tpl.add_partition_offset(&self.config.topic, p, Offset::Offset(next));
                }
                Err(e) => {
                    ok = false;
                    metrics.checkpoint_failures.inc();
                    tracing::error!(partition = p, code = e.code(), error = %e, "checkpoint failed");
                }
            }
        }
        if ok {
            metrics
                .checkpoint_last_success
                .set(wall_clock() as f64 / 1000.0);
        }
        // Group offsets follow the checkpoints so that standard lag tools work; the
        // checkpoint, not the group offset, is what a restart resumes from.
        if tpl.count() > 0 {
            if let Err(e) = consumer.commit(&tpl, mode) {
                metrics
                    .transient_errors
                    .with_label_values(&["commit"])
                    .inc();
                tracing::warn!(error = %e, "offset commit failed (the checkpoint holds the position)");
            }
        }
        ok
    }

    /// Reads each owned partition's high watermark; returns whether the brokers answered.
    fn refresh_lag(&mut self, consumer: &BaseConsumer<Ctx>, metrics: &KafkaMetrics) -> bool {
        let topic = self.config.topic.clone();
        let mut reachable = true;
        for (p, o) in self.owned.iter_mut() {
            match consumer.fetch_watermarks(&topic, *p, Duration::from_millis(500)) {
                Ok((low, high)) => {
                    let pos = o.next_offset.or(o.checkpointed).unwrap_or(low).max(low);
                    let lag = (high - pos).max(0);
                    o.lag = Some(lag);
                    metrics
                        .lag
                        .with_label_values(&[&topic, &p.to_string()])
                        .set(lag);
                }
                Err(e) => {
                    reachable = false;
                    tracing::debug!(partition = p, error = %e, "cannot read watermarks");
                }
            }
        }
        if self.owned.is_empty() {
            // Nothing owned (yet, or more members than partitions): ask for metadata.
            reachable = consumer
                .client()
                .fetch_metadata(Some(&topic), Duration::from_millis(500))
                .is_ok();
        }
        metrics.connected.set(i64::from(reachable));
        reachable
    }
}

/// Runs the consumer until `stop`; then checkpoints, commits and closes.
pub fn run_loop(
    consumer: BaseConsumer<Ctx>,
    health: Arc<Health>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    let ctx = consumer.context();
    let (topic, checkpoint_every, checkpoint_events, max_lag) = {
        let st = ctx.state.lock();
        (
            st.config.topic.clone(),
            Duration::from_secs(st.config.checkpoint_secs),
            st.config.checkpoint_events,
            st.config.ready_max_lag,
        )
    };
    consumer.subscribe(&[&topic])?;
    let mut last_checkpoint = Instant::now();
    let mut last_lag = Instant::now() - Duration::from_secs(60);
    let mut last_tick = Instant::now();
    health.set_not_ready("waiting_for_assignment");
    while !stop.load(Ordering::Relaxed) {
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Ok(msg)) => {
                let mut st = ctx.state.lock();
                st.handle(&msg, &ctx.dlq, &ctx.metrics, &stop);
                // Drain what is already fetched without re-taking the lock per message.
                drop(st);
                for _ in 0..1024 {
                    match consumer.poll(Duration::ZERO) {
                        Some(Ok(m)) => ctx.state.lock().handle(&m, &ctx.dlq, &ctx.metrics, &stop),
                        Some(Err(e)) => {
                            transient(&ctx.metrics, &e);
                            break;
                        }
                        None => break,
                    }
                }
            }
            Some(Err(e)) => transient(&ctx.metrics, &e),
        }
        let mut st = ctx.state.lock();
        let heavy = st
            .owned
            .iter()
            .filter(|(_, o)| o.since_checkpoint >= checkpoint_events)
            .map(|(p, _)| *p)
            .collect::<Vec<_>>();
        if !heavy.is_empty() {
            st.checkpoint(&consumer, &ctx.dlq, &ctx.metrics, &heavy, CommitMode::Async);
        }
        if last_checkpoint.elapsed() >= checkpoint_every {
            let all: Vec<i32> = st.owned.keys().copied().collect();
            st.checkpoint(&consumer, &ctx.dlq, &ctx.metrics, &all, CommitMode::Async);
            last_checkpoint = Instant::now();
        }
        if last_tick.elapsed() >= Duration::from_secs(1) {
            // Time passes for open orders even without events.
            let t = st.as_of();
            for o in st.owned.values_mut() {
                o.partition.advance(t);
            }
            last_tick = Instant::now();
        }
        if last_lag.elapsed() >= Duration::from_secs(2) {
            let reachable = st.refresh_lag(&consumer, &ctx.metrics);
            last_lag = Instant::now();
            if !reachable {
                health.set_not_ready("broker_unreachable");
            } else if !st.rebalanced {
                health.set_not_ready("waiting_for_assignment");
            } else if st.owned.values().any(|o| o.lag.is_none_or(|l| l > max_lag)) {
                health.set_not_ready("catching_up");
            } else {
                health.set_ready();
            }
        }
    }
    tracing::info!("stopping: final checkpoint");
    health.set_not_ready("shutting_down");
    {
        let mut st = ctx.state.lock();
        let all: Vec<i32> = st.owned.keys().copied().collect();
        if !st.checkpoint(&consumer, &ctx.dlq, &ctx.metrics, &all, CommitMode::Sync) {
            tracing::error!(
                "final checkpoint incomplete: the next start re-reads from the last good one"
            );
        }
    }
    consumer.unsubscribe();
    drop(consumer);
    tracing::info!("consumer closed");
    Ok(())
}

fn transient(metrics: &KafkaMetrics, e: &KafkaError) {
    metrics
        .transient_errors
        .with_label_values(&["consume"])
        .inc();
    if matches!(
        e.rdkafka_error_code(),
        Some(
            rdkafka::types::RDKafkaErrorCode::AllBrokersDown
                | rdkafka::types::RDKafkaErrorCode::BrokerTransportFailure
        )
    ) {
        metrics.connected.set(0);
    }
    tracing::warn!(error = %e, "consume error (retrying)");
}
