//! The consumer: one loop that owns the group membership, and one worker thread per
//! owned partition that owns its state.
//!
//! - `context` — librdkafka's callbacks: they only record (rebalances, lag, errors);
//! - `mod.rs` — the loop: polls, hands each partition's messages to its worker,
//!   commits the offsets the workers report durable, and sets readiness;
//! - `commit` — offsets stored once durable, committed by librdkafka, counted once
//!   the broker answers (`offsets` is a partition's bookkeeping);
//! - `assign` — rebalances: assigned partitions are restored before they are
//!   fetched, revoked ones finished and committed before they are released;
//! - `worker` — a partition's state: restore, apply, changelog, dead letters;
//! - `restore`, `cache` — state from the changelog and the optional local cache;
//! - `dead_letter` — a rejected message's copy; `views` — the views topic.

mod assign;
mod cache;
mod commit;
mod context;
mod dead_letter;
mod offsets;
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
use rdkafka::TopicPartitionList;

pub use context::Ctx;
pub use dead_letter::{ORIGINAL_SIZE_HEADER, REASON_HEADER};
pub use views::read as read_views;

use self::offsets::Offsets;
use self::restore::Resume;
use self::worker::{FromWorker, Messages, ToWorker};
use super::metrics::KafkaMetrics;
use super::producer::{GiveUp, Producer};
use super::KafkaConfig;
use crate::engine::Shared;
use crate::health::Health;
use crate::source::AsOf;
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
    pub commit_every: Duration,
    pub commit_events: u64,
    pub dlq_max_bytes: usize,
}

impl Settings {
    /// A partition worker's share of the shutdown grace (`--shutdown-grace-secs`, which
    /// the whole shutdown keeps to): it waits up to half of it for its last writes.
    pub fn worker_grace(&self) -> Duration {
        self.kafka.shutdown_grace / 2
    }

    /// The loop's share: it waits up to three quarters of the grace for its workers;
    /// the rest is for the final commit, leaving the group and [`Settings::flush_grace`].
    pub fn finish_grace(&self) -> Duration {
        self.kafka.shutdown_grace * 3 / 4
    }

    /// The producer's last flush (views) after the consumer closed.
    pub fn flush_grace(&self) -> Duration {
        self.kafka.shutdown_grace / 8
    }
}

/// Messages per hand-over to a worker.
const HAND_OVER: usize = 2048;
/// Batches a worker may have queued before the loop waits for it.
const WORKER_QUEUE: usize = 8;

struct Owned {
    tx: SyncSender<ToWorker>,
    join: Option<JoinHandle<()>>,
    /// Tells the worker to stop waiting for room in the producer's queue.
    give_up: GiveUp,
    restored: bool,
    /// Where the restored state says to fetch from.
    resume: Resume,
    offsets: Offsets,
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
    /// The changelog topic was made sure of once the input's partition count was known
    /// ([`restore::ensure_changelog`]; best effort, as at start-up).
    changelog_ensured: bool,
    last_commit: Instant,
    /// The service is stopping (workers give up waiting on a full producer queue).
    stop: Arc<AtomicBool>,
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
    let changelog_ensured = restore::ensure_changelog(&s, &consumer);
    if !changelog_ensured {
        tracing::warn!(topic = %s.kafka.topic, "input topic not found yet: the changelog topic is created when it is");
    }
    let mut l = Loop {
        s,
        consumer,
        health,
        owned: BTreeMap::new(),
        from_workers,
        to_loop,
        assigning: None,
        rebalanced: false,
        changelog_ensured,
        last_commit: Instant::now(),
        stop: stop.clone(),
    };
    let mut last_ready = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        l.poll();
        l.take_reports();
        l.take_commit_answers();
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
            if let Some(p) = l.dead_worker() {
                // A bug, not bad input: stop, commit what is durable, and let the
                // process exit so that it is restarted (the state is in the changelog).
                l.health.set_not_ready("worker_failed");
                let all: Vec<i32> = l.owned.keys().copied().filter(|&o| o != p).collect();
                l.finish(&all);
                l.consumer.context().closing();
                l.consumer.unsubscribe();
                anyhow::bail!("the worker of partition {p} stopped unexpectedly (see the log)");
            }
        }
    }
    tracing::info!("stopping: finishing every partition, final commit");
    l.health.set_not_ready("shutting_down");
    let all: Vec<i32> = l.owned.keys().copied().collect();
    l.finish(&all);
    // Leaving the group revokes what is assigned; the callback answers it itself now.
    l.consumer.context().closing();
    l.consumer.unsubscribe();
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
                            o.offsets.handed = Some(m.offset() + 1);
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
            FromWorker::Restored { partition, resume } => {
                if let Some(o) = self.owned.get_mut(&partition) {
                    o.restored = true;
                    o.resume = resume;
                }
            }
            FromWorker::Committable { partition, offset } => {
                if let Some(o) = self.owned.get_mut(&partition) {
                    o.offsets.committable = Some(offset);
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
                    o.offsets.committable = Some(off);
                }
            }
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
        let deadline = Instant::now() + self.s.finish_grace();
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
        for p in &waiting {
            if let Some(o) = self.owned.get(p) {
                // Its last writes were not queued in time (the brokers are away):
                // not committed past, re-read by the next owner.
                tracing::error!(partition = p, "partition worker not finished within the shutdown grace: giving up its unqueued writes");
                o.give_up.abandon();
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

    /// A partition whose worker thread ended without being told to (it panicked).
    fn dead_worker(&self) -> Option<i32> {
        self.owned
            .iter()
            .find(|(_, o)| o.join.as_ref().is_some_and(JoinHandle::is_finished))
            .map(|(p, _)| *p)
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
