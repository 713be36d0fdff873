//! A partition worker: the one owner of one input partition's state. It restores the
//! state, decodes and applies the partition's messages, dead-letters bad ones, writes
//! what changed to the changelog at each commit point, and tells the consumer loop which
//! input offset is safe to commit — never past a change or a dead letter that is not
//! durable yet. That offset is also written to the changelog, as the state's frontier
//! (see [`super::restore`]): the next owner reads the input from there.

mod changes;
mod letters;
mod messages;

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use smallvec::SmallVec;

use self::changes::Pending;
use self::letters::PendingLetter;
pub use self::messages::Messages;
use super::restore::{self, Restored, Resume};
use super::views::ViewsOut;
use super::Settings;
use crate::engine::{Partition, WARM_BATCH};
use crate::event::{decode, DecodeCtx, Millis, RejectReason};
use crate::source::kafka::producer::{Batch, DlqState, GiveUp};
use crate::source::wall_clock;

pub enum ToWorker {
    Messages(Messages),
    /// Commit everything, confirm, and stop (revocation or shutdown).
    Finish,
}

pub enum FromWorker {
    /// Restored: fetch from where `resume` says.
    Restored { partition: i32, resume: Resume },
    /// Everything before `offset` is durable: the loop may commit it.
    Committable { partition: i32, offset: i64 },
    /// A write that must not be skipped is failing: hold the partition (pause, not
    /// ready) while it is retried.
    Held {
        partition: i32,
        reason: Option<&'static str>,
    },
    /// The worker stopped; `offset` is the final committable offset.
    Final { partition: i32, offset: Option<i64> },
}

const PUBLISH_EVERY: Duration = Duration::from_millis(200);
const TICK_EVERY: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

pub struct Worker {
    p: i32,
    s: Arc<Settings>,
    partition: Partition,
    epoch: String,
    /// The changelog offset after the last record this owner knows is durable (for the
    /// local cache).
    changelog_end: i64,
    /// This owner's records confirmed after its claim: when they fill the changelog up
    /// to `changelog_end`, no other owner wrote in between and the local cache may be
    /// written.
    own_records: u64,
    /// A write's fate is unknown (a failed delivery may still have landed): the count
    /// above proves nothing any more, and no local cache is written.
    uncounted: bool,
    /// Frontier records (and deletions of old ones) in flight.
    marks: VecDeque<Arc<Batch>>,
    /// Where a restore of this owner's state resumes: the last frontier written.
    resume: Resume,
    next_offset: Option<i64>,
    since_commit: u64,
    last_commit: Instant,
    seq: u64,
    /// Batches with a lower sequence cannot advance the commit frontier: they were
    /// drained before a failed batch's rewrite.
    barrier: u64,
    frontier: Option<i64>,
    reported: Option<i64>,
    inflight: VecDeque<Pending>,
    letters: VecDeque<PendingLetter>,
    changelog_failing: bool,
    held: Option<&'static str>,
    last_publish: Instant,
    last_tick: Instant,
    views: Option<ViewsOut>,
    out: Sender<FromWorker>,
    give_up: GiveUp,
}

impl Worker {
    pub fn spawn(
        p: i32,
        s: Arc<Settings>,
        rx: Receiver<ToWorker>,
        out: Sender<FromWorker>,
        give_up: GiveUp,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name(format!("partition-{p}"))
            .spawn(move || {
                let partition = Partition::new(p, s.shared.clone());
                let views = s
                    .views_topic
                    .as_ref()
                    .map(|t| ViewsOut::new(t.clone(), p, give_up.clone()));
                let w = Worker {
                    p,
                    partition,
                    epoch: String::new(),
                    changelog_end: 0,
                    own_records: 0,
                    uncounted: false,
                    marks: VecDeque::new(),
                    resume: Resume::default(),
                    next_offset: None,
                    since_commit: 0,
                    last_commit: Instant::now(),
                    seq: 0,
                    barrier: 0,
                    frontier: None,
                    reported: None,
                    inflight: VecDeque::new(),
                    letters: VecDeque::new(),
                    changelog_failing: false,
                    held: None,
                    last_publish: Instant::now(),
                    last_tick: Instant::now(),
                    views,
                    out,
                    give_up,
                    s,
                };
                w.run(rx)
            })
    }

    fn as_of(&self) -> Millis {
        self.as_of_at(wall_clock())
    }

    /// The as-of time with the wall clock read at `now`.
    fn as_of_at(&self, now: Millis) -> Millis {
        self.s.as_of.of(&self.s.shared, now)
    }

    fn run(mut self, rx: Receiver<ToWorker>) {
        let Some(restored) = self.restore(&rx) else {
            let _ = self.out.send(FromWorker::Final {
                partition: self.p,
                offset: None,
            });
            return;
        };
        self.epoch = restored.epoch.to_string();
        self.changelog_end = restored.epoch + 1;
        self.resume = restored.resume;
        self.delete_frontiers(&restored.old_frontiers);
        self.partition.track_changes();
        self.partition.advance(self.as_of());
        self.publish(true);
        let _ = self.out.send(FromWorker::Restored {
            partition: self.p,
            resume: restored.resume,
        });
        loop {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(ToWorker::Messages(m)) => self.apply(m),
                Ok(ToWorker::Finish) | Err(RecvTimeoutError::Disconnected) => {
                    self.finish();
                    return;
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            self.housekeeping();
        }
    }

    /// Restores and claims the partition, retrying with backoff; `None` if told to
    /// stop first.
    fn restore(&mut self, rx: &Receiver<ToWorker>) -> Option<Restored> {
        let mut backoff = Duration::from_millis(500);
        loop {
            if self.s.as_of == crate::source::AsOf::Now {
                // Months already out of retention are evicted as they are restored.
                self.partition.advance(wall_clock());
            }
            match restore::restore(&self.s, &mut self.partition, &self.give_up) {
                Ok(r) => {
                    if let Some(at) = self.partition.max_at() {
                        self.s.shared.observe(at);
                    }
                    tracing::info!(
                        partition = self.p,
                        orders = r.orders,
                        changelog_records = r.records,
                        cache = r.cache,
                        epoch = r.epoch,
                        ms = r.millis,
                        "partition restored"
                    );
                    return Some(r);
                }
                Err(e) => {
                    tracing::error!(partition = self.p, error = %e, "restore failed (retrying)");
                    self.partition = Partition::new(self.p, self.s.shared.clone());
                    let deadline = Instant::now() + backoff;
                    while Instant::now() < deadline {
                        match rx.recv_timeout(Duration::from_millis(100)) {
                            Ok(ToWorker::Finish) | Err(RecvTimeoutError::Disconnected) => {
                                return None
                            }
                            _ => {}
                        }
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// Applies a hand-over of messages. The wall clock is read once for all of them
    /// (a few milliseconds of work): it is the as-of of `--as-of now` and the base of
    /// the future guard.
    fn apply(&mut self, m: Messages) {
        let now = wall_clock();
        let config = &self.s.shared.config;
        let ctx = DecodeCtx::new(config.tz, now, config.future_horizon_ms);
        let mut bytes = 0u64;
        for batch in m.items.chunks(WARM_BATCH) {
            // Decoded a batch at a time, so that its orders are looked up together.
            let decoded: SmallVec<[_; WARM_BATCH]> = batch
                .iter()
                .map(|i| decode(m.slice(i.payload), &ctx))
                .collect();
            self.partition.warm(
                decoded
                    .iter()
                    .filter_map(|d| d.as_ref().ok().map(|ev| ev.order_key())),
            );
            for (item, decoded) in batch.iter().zip(decoded) {
                let payload = m.slice(item.payload);
                let key = item.key.map(|k| m.slice(k));
                bytes += payload.len() as u64;
                let reject = match decoded {
                    Ok(ev) if key != Some(ev.order_id.as_bytes()) => {
                        Some((RejectReason::KeyMismatch, Some("key")))
                    }
                    Ok(ev) => {
                        self.s.shared.observe(ev.at);
                        let as_of = self.as_of_at(now);
                        self.partition.apply(&ev, as_of);
                        None
                    }
                    Err(r) => Some((r.reason, r.field)),
                };
                if let Some((reason, field)) = reject {
                    self.reject(reason, field, item.offset, key, payload);
                }
                self.next_offset = Some(item.offset + 1);
                self.since_commit += 1;
            }
        }
        let (topic, p) = (&self.s.kafka.topic, self.p.to_string());
        self.s
            .metrics
            .messages
            .with_label_values(&[topic, &p])
            .inc_by(m.len() as u64);
        self.s
            .metrics
            .bytes
            .with_label_values(&[topic, &p])
            .inc_by(bytes);
    }

    fn housekeeping(&mut self) {
        if self.last_tick.elapsed() >= TICK_EVERY {
            // Time passes for open orders even without events.
            let t = self.as_of();
            self.partition.advance(t);
            self.last_tick = Instant::now();
        }
        self.check_letters();
        let due = self.last_commit.elapsed() >= self.s.commit_every
            || self.since_commit >= self.s.commit_events;
        if due {
            self.commit();
        }
        self.check_inflight();
        self.report();
        if self.last_publish.elapsed() >= PUBLISH_EVERY {
            self.publish(false);
        }
    }

    fn hold(&mut self, reason: Option<&'static str>) {
        if reason != self.held {
            self.held = reason;
            let _ = self.out.send(FromWorker::Held {
                partition: self.p,
                reason,
            });
        }
    }

    /// Tells the loop the offset it may commit, and writes it to the changelog as the
    /// state's frontier, when it moved.
    fn report(&mut self) {
        let Some(c) = self.committable() else { return };
        if Some(c) > self.reported {
            self.reported = Some(c);
            let _ = self.out.send(FromWorker::Committable {
                partition: self.p,
                offset: c,
            });
        }
        if Some(c) > self.resume.at() {
            self.write_frontier(c);
        }
    }

    fn publish(&mut self, force: bool) {
        self.last_publish = Instant::now();
        let snapshot = self.partition.snapshot();
        if let Some(v) = self.views.as_mut() {
            v.publish(&self.s, &snapshot, &self.epoch, force);
        }
        self.s.board.publish(self.p, snapshot, wall_clock());
    }

    /// The last commit: everything written and confirmed (within the grace), the final
    /// offset reported, the local cache written when all of it is durable.
    fn finish(mut self) {
        self.commit();
        let deadline = Instant::now() + self.s.worker_grace();
        loop {
            self.check_letters();
            self.check_inflight();
            self.report();
            let pending = !self.inflight.is_empty()
                || !self.marks.is_empty()
                || self
                    .letters
                    .iter()
                    .any(|l| l.state.get() != DlqState::Delivered || l.retry_at.is_some());
            if !pending || Instant::now() >= deadline {
                break;
            }
            if self.changelog_failing && self.inflight.is_empty() {
                // Rewrite what failed, once more, before giving up.
                self.commit();
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let clean = self.inflight.is_empty()
            && self.marks.is_empty()
            && self.letters.is_empty()
            && !self.changelog_failing;
        if !clean {
            tracing::error!(
                partition = self.p,
                "final commit incomplete: the next owner re-reads from the last durable offset"
            );
        }
        self.publish(true);
        let offset = self.committable();
        let _ = self.out.send(FromWorker::Final {
            partition: self.p,
            offset,
        });
        if clean {
            self.write_cache();
        }
    }
}
