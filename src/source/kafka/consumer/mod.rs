//! The consumer: one loop that owns the group membership, and one worker thread per
//! owned partition that owns its state.
//!
//! - `context` — librdkafka's callbacks: they only record (rebalances, lag, errors);
//! - `mod.rs` — the loop: polls, hands each partition's messages to its worker, acts
//!   on rebalances (revoked partitions are finished and committed before they are
//!   released; assigned ones are restored before they are fetched), commits the
//!   offsets the workers report durable, and sets readiness;
//! - `worker` — a partition's state: restore, apply, changelog, dead letters;
//! - `restore`, `cache` — state from the changelog and the optional local cache;
//! - `dead_letter` — a rejected message's copy; `views` — the views topic.

mod cache;
mod context;
mod dead_letter;
mod restore;
mod views;
mod worker;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

pub use context::Ctx;
pub use dead_letter::{ORIGINAL_SIZE_HEADER, REASON_HEADER};
pub use views::read as read_views;

use self::context::Signal;
use self::worker::{FromWorker, Messages, ToWorker, Worker};
use super::metrics::KafkaMetrics;
use super::producer::Producer;
use super::KafkaConfig;
use crate::engine::Shared;
use crate::health::Health;
use crate::source::{wall_clock, AsOf};
use crate::view::Board;

/// What the loop and the workers share (read-only).
pub struct Settings {
    pub kafka: KafkaConfig,
    pub shared: Arc<Shared>,
    pub board: Arc<Board>,
    pub metrics: Arc<KafkaMetrics>,
    pub producer: Producer,
    pub as_of: AsOf,
    pub cluster_id: String,
    pub state_dir: Option<PathBuf>,
    pub views_topic: Option<String>,
    pub restore_timeout: Duration,
    pub shutdown_grace: Duration,
    pub commit_every: Duration,
    pub commit_events: u64,
    pub dlq_max_bytes: usize,
}

/// Messages per hand-over to a worker.
const HAND_OVER: usize = 2048;
/// Batches a worker may have queued before the loop waits for it.
const WORKER_QUEUE: usize = 8;

struct Owned {
    tx: SyncSender<ToWorker>,
    join: Option<JoinHandle<()>>,
    restored: bool,
    committable: Option<i64>,
    committed: Option<i64>,
    held: Option<&'static str>,
    pending: Messages,
    /// Committed offset found out of range at assignment: not ready until caught up.
    out_of_range: bool,
}

/// A rebalance the loop is in the middle of: partitions restoring before assign.
struct Assigning {
    partitions: Vec<i32>,
    cooperative: bool,
}

struct Loop {
    s: Arc<Settings>,
    consumer: BaseConsumer<Ctx>,
    health: Arc<Health>,
    owned: BTreeMap<i32, Owned>,
    from_workers: Receiver<FromWorker>,
    to_loop: Sender<FromWorker>,
    assigning: Option<Assigning>,
    rebalanced: bool,
    last_commit: Instant,
}

/// Runs the consumer until `stop`; then finishes every partition (changelog and
/// dead letters confirmed), commits, and leaves the group.
pub fn run(
    s: Arc<Settings>,
    consumer: BaseConsumer<Ctx>,
    health: Arc<Health>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    consumer.subscribe(&[&s.kafka.topic])?;
    health.set_not_ready("waiting_for_assignment");
    let (to_loop, from_workers) = mpsc::channel();
    let mut l = Loop {
        s,
        consumer,
        health,
        owned: BTreeMap::new(),
        from_workers,
        to_loop,
        assigning: None,
        rebalanced: false,
        last_commit: Instant::now(),
    };
    let mut last_ready = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        l.poll();
        l.take_reports();
        for signal in l.consumer.context().take_signals() {
            l.rebalance(signal);
        }
        l.assign_when_restored();
        if l.last_commit.elapsed() >= Duration::from_millis(500) {
            l.commit(CommitMode::Async);
        }
        if last_ready.elapsed() >= Duration::from_millis(250) {
            l.readiness();
            last_ready = Instant::now();
        }
    }
    tracing::info!("stopping: finishing every partition, final commit");
    l.health.set_not_ready("shutting_down");
    let all: Vec<i32> = l.owned.keys().copied().collect();
    l.finish(&all);
    l.consumer.context().closing();
    l.consumer.unsubscribe();
    // Dropping the consumer closes it: leaves the group (the revocation is answered by
    // the callback now) so that the partitions move at once rather than after the
    // session timeout.
    drop(l);
    tracing::info!("consumer closed");
    Ok(())
}

impl Loop {
    /// Takes what is fetched and hands it to the partitions' workers.
    fn poll(&mut self) {
        let mut n = 0;
        let mut timeout = Duration::from_millis(100);
        while n < HAND_OVER * 4 {
            match self.consumer.poll(timeout) {
                Some(Ok(m)) => {
                    n += 1;
                    timeout = Duration::ZERO;
                    match self.owned.get_mut(&m.partition()) {
                        Some(o) => {
                            o.pending
                                .push(m.offset(), m.key(), m.payload().unwrap_or_default());
                            if o.pending.len() >= HAND_OVER {
                                let batch = std::mem::take(&mut o.pending);
                                let _ = o.tx.send(ToWorker::Messages(batch));
                            }
                        }
                        // Not applied, not committed: read again by the owner.
                        None => tracing::debug!(
                            partition = m.partition(),
                            "message for a partition not owned"
                        ),
                    }
                }
                Some(Err(e)) => {
                    transient(&self.s.metrics, &e);
                    break;
                }
                None => break,
            }
        }
        for o in self.owned.values_mut() {
            if !o.pending.is_empty() {
                let batch = std::mem::take(&mut o.pending);
                let _ = o.tx.send(ToWorker::Messages(batch));
            }
        }
    }

    fn take_reports(&mut self) {
        while let Ok(msg) = self.from_workers.try_recv() {
            self.take(msg);
        }
    }

    fn take(&mut self, msg: FromWorker) {
        match msg {
            FromWorker::Restored { partition } => {
                if let Some(o) = self.owned.get_mut(&partition) {
                    o.restored = true;
                }
            }
            FromWorker::Committable { partition, offset } => {
                if let Some(o) = self.owned.get_mut(&partition) {
                    o.committable = Some(offset);
                }
            }
            FromWorker::Held { partition, reason } => {
                if let Some(o) = self.owned.get_mut(&partition) {
                    o.held = reason;
                    let mut tpl = TopicPartitionList::new();
                    tpl.add_partition(&self.s.kafka.topic, partition);
                    // Stop fetching while a write that must not be skipped is retried.
                    let r = match reason {
                        Some(_) => self.consumer.pause(&tpl),
                        None => self.consumer.resume(&tpl),
                    };
                    if let Err(e) = r {
                        tracing::debug!(partition, error = %e, "pause/resume");
                    }
                }
            }
            FromWorker::Final { partition, offset } => {
                if let (Some(o), Some(off)) = (self.owned.get_mut(&partition), offset) {
                    o.committable = Some(off);
                }
            }
        }
    }

    fn rebalance(&mut self, signal: Signal) {
        match signal {
            Signal::Assign {
                partitions,
                cooperative,
            } => {
                self.rebalanced = true;
                for &p in &partitions {
                    if !self.owned.contains_key(&p) {
                        self.start(p);
                    }
                }
                tracing::info!(?partitions, "partitions assigned: restoring");
                self.assigning = Some(Assigning {
                    partitions,
                    cooperative,
                });
            }
            Signal::Revoke {
                partitions,
                cooperative,
            } => {
                self.finish(&partitions);
                let r = if cooperative {
                    let mut tpl = TopicPartitionList::new();
                    for p in &partitions {
                        tpl.add_partition(&self.s.kafka.topic, *p);
                    }
                    self.consumer.incremental_unassign(&tpl)
                } else {
                    self.consumer.unassign()
                };
                if let Err(e) = r {
                    tracing::error!(error = %e, "unassign failed");
                }
                tracing::info!(revoked = ?partitions, "partitions revoked");
            }
            Signal::Error => {
                let all: Vec<i32> = self.owned.keys().copied().collect();
                self.finish(&all);
                let _ = self.consumer.unassign();
            }
        }
        self.s.metrics.partitions_owned.set(self.owned.len() as i64);
    }

    fn start(&mut self, p: i32) {
        let (tx, rx) = mpsc::sync_channel(WORKER_QUEUE);
        match Worker::spawn(p, self.s.clone(), rx, self.to_loop.clone()) {
            Ok(join) => {
                self.owned.insert(
                    p,
                    Owned {
                        tx,
                        join: Some(join),
                        restored: false,
                        committable: None,
                        committed: None,
                        held: None,
                        pending: Messages::default(),
                        out_of_range: false,
                    },
                );
            }
            Err(e) => tracing::error!(partition = p, error = %e, "cannot start a partition worker"),
        }
    }

    /// Once every partition being assigned is restored: start fetching each at its
    /// committed offset, saying so when that offset is out of the topic's range.
    fn assign_when_restored(&mut self) {
        let Some(a) = &self.assigning else { return };
        if !a
            .partitions
            .iter()
            .all(|p| self.owned.get(p).is_none_or(|o| o.restored))
        {
            return;
        }
        let Some(a) = self.assigning.take() else {
            return;
        };
        let topic = self.s.kafka.topic.clone();
        let mut tpl = TopicPartitionList::new();
        for p in &a.partitions {
            tpl.add_partition(&topic, *p);
        }
        let committed = self
            .consumer
            .committed_offsets(tpl.clone(), Duration::from_secs(10))
            .unwrap_or(tpl);
        let mut start = TopicPartitionList::new();
        for e in committed.elements_for_topic(&topic) {
            let p = e.partition();
            let offset = match e.offset() {
                Offset::Offset(o) => {
                    match self
                        .consumer
                        .fetch_watermarks(&topic, p, Duration::from_secs(5))
                    {
                        Ok((low, high)) if o < low || o > high => {
                            self.s.metrics.offset_out_of_range.inc();
                            tracing::error!(partition = p, committed = o, low, high, "committed offset out of range: messages between were lost to the topic's retention (or the topic was recreated); reading from the earliest offset");
                            if let Some(owned) = self.owned.get_mut(&p) {
                                owned.out_of_range = true;
                            }
                            Offset::Beginning
                        }
                        _ => Offset::Offset(o),
                    }
                }
                _ => Offset::Beginning,
            };
            if let Some(o) = self.owned.get_mut(&p) {
                if let Offset::Offset(x) = offset {
                    o.committed = Some(x);
                }
            }
            let _ = start.add_partition_offset(&topic, p, offset);
        }
        let r = if a.cooperative {
            self.consumer.incremental_assign(&start)
        } else {
            self.consumer.assign(&start)
        };
        match r {
            Ok(()) => {
                tracing::info!(partitions = ?a.partitions, "partitions restored and assigned")
            }
            Err(e) => tracing::error!(error = %e, "assign failed"),
        }
    }

    /// Finishes the given partitions' workers, commits what they confirmed, and drops
    /// them.
    fn finish(&mut self, partitions: &[i32]) {
        for p in partitions {
            if let Some(o) = self.owned.get_mut(p) {
                if !o.pending.is_empty() {
                    let batch = std::mem::take(&mut o.pending);
                    let _ = o.tx.send(ToWorker::Messages(batch));
                }
                let _ = o.tx.send(ToWorker::Finish);
            }
        }
        let deadline = Instant::now() + self.s.shutdown_grace + Duration::from_secs(5);
        let mut waiting: Vec<i32> = partitions
            .iter()
            .copied()
            .filter(|p| self.owned.contains_key(p))
            .collect();
        while !waiting.is_empty() && Instant::now() < deadline {
            match self.from_workers.recv_timeout(Duration::from_millis(100)) {
                Ok(msg) => {
                    if let FromWorker::Final { partition, .. } = &msg {
                        waiting.retain(|p| p != partition);
                    }
                    self.take(msg);
                }
                Err(_) => {
                    // Keep serving the group (heartbeats run on librdkafka's thread).
                }
            }
        }
        self.commit(CommitMode::Sync);
        for p in partitions {
            if let Some(mut o) = self.owned.remove(p) {
                if let Some(j) = o.join.take() {
                    let _ = j.join();
                }
            }
            self.s.board.withdraw(*p);
            self.consumer.context().forget_lag(*p);
        }
    }

    /// Commits the offsets the workers reported durable.
    fn commit(&mut self, mode: CommitMode) {
        self.last_commit = Instant::now();
        let topic = &self.s.kafka.topic;
        let mut tpl = TopicPartitionList::new();
        for (p, o) in &self.owned {
            if let Some(c) = o.committable {
                if o.committed.is_none_or(|d| c > d) {
                    let _ = tpl.add_partition_offset(topic, *p, Offset::Offset(c));
                }
            }
        }
        if tpl.count() == 0 {
            return;
        }
        match self.consumer.commit(&tpl, mode) {
            Ok(()) => {
                for e in tpl.elements() {
                    if let (Some(o), Offset::Offset(c)) =
                        (self.owned.get_mut(&e.partition()), e.offset())
                    {
                        o.committed = Some(c);
                    }
                }
                self.s
                    .metrics
                    .commit_last_success
                    .set(wall_clock() as f64 / 1000.0);
            }
            Err(e) => {
                self.s
                    .metrics
                    .transient_errors
                    .with_label_values(&["commit"])
                    .inc();
                tracing::warn!(error = %e, "offset commit failed (retried; the changelog holds the state)");
            }
        }
    }

    fn readiness(&mut self) {
        let lag = self.consumer.context().lag();
        let max_lag = self.s.kafka.ready_max_lag;
        let connected = self.s.metrics.connected.get() != 0;
        for (p, o) in self.owned.iter_mut() {
            if o.out_of_range && lag.get(p).is_some_and(|&l| l <= max_lag) {
                o.out_of_range = false;
            }
        }
        let reason = if !connected {
            Some("broker_unreachable")
        } else if !self.rebalanced {
            Some("waiting_for_assignment")
        } else if self.owned.values().any(|o| !o.restored) || self.assigning.is_some() {
            Some("restoring")
        } else if let Some(h) = self.owned.values().find_map(|o| o.held) {
            Some(h)
        } else if self.owned.values().any(|o| o.out_of_range) {
            Some("offset_out_of_range")
        } else if self
            .owned
            .keys()
            .any(|p| lag.get(p).is_none_or(|&l| l > max_lag))
        {
            Some("catching_up")
        } else {
            None
        };
        match reason {
            Some(r) => self.health.set_not_ready(r),
            None => self.health.set_ready(),
        }
    }
}

fn transient(metrics: &KafkaMetrics, e: &KafkaError) {
    metrics
        .transient_errors
        .with_label_values(&["consume"])
        .inc();
    if matches!(
        e.rdkafka_error_code(),
        Some(RDKafkaErrorCode::AllBrokersDown | RDKafkaErrorCode::BrokerTransportFailure)
    ) {
        metrics.connected.set(0);
    }
    tracing::debug!(error = %e, "consume error (retrying)");
}
