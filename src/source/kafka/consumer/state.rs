//! The owned partitions' state: restore from checkpoints, apply decoded batches, save
//! checkpoints with the offsets they cover, measure lag.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};

use super::context::{Ctx, DlqContext};
use crate::engine::{Partition, Shared};
use crate::event::Event;
use crate::source::kafka::checkpoint;
use crate::source::kafka::metrics::KafkaMetrics;
use crate::source::kafka::KafkaConfig;
use crate::source::{wall_clock, AsOf, Watermark};

/// One consumed message, decoded on the polling thread.
pub struct Item {
    pub partition: i32,
    pub offset: i64,
    pub bytes: usize,
    /// `None`: rejected (already counted and dead-lettered).
    pub event: Option<Event>,
}

pub struct Owned {
    pub partition: Partition,
    /// Offset of the next message to read; `None` until the first message.
    pub next_offset: Option<i64>,
    /// Offset covered by the last checkpoint.
    pub checkpointed: Option<i64>,
    pub since_checkpoint: u64,
    pub lag: Option<i64>,
}

impl Owned {
    pub fn new(partition: Partition, checkpointed: Option<i64>) -> Self {
        Owned {
            partition,
            next_offset: None,
            checkpointed,
            since_checkpoint: 0,
            lag: None,
        }
    }
}

pub struct State {
    pub shared: Arc<Shared>,
    pub config: KafkaConfig,
    pub as_of: AsOf,
    pub owned: BTreeMap<i32, Owned>,
    pub watermark: Watermark,
    /// A partition assignment has been received (readiness).
    pub rebalanced: bool,
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

    pub fn as_of(&self) -> i64 {
        self.as_of.at(self.watermark.get(), wall_clock())
    }

    /// The partition's checkpoint and the offset to resume from, or an empty partition
    /// read from the earliest retained offset.
    pub fn restore(&mut self, p: i32, metrics: &KafkaMetrics) -> (Partition, Offset) {
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

    /// Applies a batch in order; offsets move past rejected messages too.
    pub fn apply_batch(&mut self, batch: Vec<Item>, metrics: &KafkaMetrics) {
        let now = wall_clock();
        // Per-partition message and byte counts, added to the metrics once per batch.
        let mut counts: Vec<(i32, u64, u64)> = Vec::new();
        for item in batch {
            let Some(owned) = self.owned.get_mut(&item.partition) else {
                tracing::warn!(
                    partition = item.partition,
                    "message for a partition this instance does not own"
                );
                continue;
            };
            if let Some(ev) = item.event {
                self.watermark.observe(ev.at, now);
                owned
                    .partition
                    .apply(ev, self.as_of.at(self.watermark.get(), now));
            }
            owned.next_offset = Some(item.offset + 1);
            owned.since_checkpoint += 1;
            match counts.iter_mut().find(|c| c.0 == item.partition) {
                Some(c) => {
                    c.1 += 1;
                    c.2 += item.bytes as u64;
                }
                None => counts.push((item.partition, 1, item.bytes as u64)),
            }
        }
        for (p, n, bytes) in counts {
            let p = p.to_string();
            metrics
                .messages
                .with_label_values(&[&self.config.topic, &p])
                .inc_by(n);
            metrics
                .bytes
                .with_label_values(&[&self.config.topic, &p])
                .inc_by(bytes);
        }
    }

    /// Saves the given partitions (those with new input) and commits their offsets.
    /// Dead-letter copies are flushed first: an offset is never saved past a bad
    /// message whose copy is not durable.
    pub fn checkpoint(
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
    pub fn refresh_lag(&mut self, consumer: &BaseConsumer<Ctx>, metrics: &KafkaMetrics) -> bool {
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
