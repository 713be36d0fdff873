//! A partition worker: the one owner of one input partition's state. It restores the
//! state, decodes and applies the partition's messages, dead-letters bad ones, writes
//! what changed to the changelog at each commit point, and tells the consumer loop which
//! input offset is safe to commit — never past a change or a dead letter that is not
//! durable yet.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::producer::BaseRecord;
use rdkafka::types::RDKafkaErrorCode;

use super::dead_letter::{Letter, TRUNCATED_BYTES};
use super::restore::{self, epoch_headers, Restored};
use super::views::ViewsOut;
use super::{cache, Settings};
use crate::engine::{ChangeRecord, Partition};
use crate::event::{decode, DecodeCtx, Millis, RejectReason};
use crate::source::kafka::producer::{self, Batch, DeadLetterState, Delivery, DlqState};
use crate::source::wall_clock;

/// Consumed messages handed to a worker: payloads and keys in one buffer.
#[derive(Default)]
pub struct Messages {
    pub data: Vec<u8>,
    pub items: Vec<Item>,
}

pub struct Item {
    pub offset: i64,
    pub key: Option<(u32, u32)>,
    pub payload: (u32, u32),
}

impl Messages {
    pub fn push(&mut self, offset: i64, key: Option<&[u8]>, payload: &[u8]) {
        let mut span = |b: &[u8]| {
            let start = self.data.len() as u32;
            self.data.extend_from_slice(b);
            (start, self.data.len() as u32)
        };
        let key = key.map(&mut span);
        let payload = span(payload);
        self.items.push(Item {
            offset,
            key,
            payload,
        });
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn slice(&self, (a, b): (u32, u32)) -> &[u8] {
        &self.data[a as usize..b as usize]
    }
}

pub enum ToWorker {
    Messages(Messages),
    /// Commit everything, confirm, and stop (revocation or shutdown).
    Finish,
}

pub enum FromWorker {
    Restored {
        partition: i32,
    },
    /// Everything before `offset` is durable: the loop may commit it.
    Committable {
        partition: i32,
        offset: i64,
    },
    /// A write that must not be skipped is failing: hold the partition (pause, not
    /// ready) while it is retried.
    Held {
        partition: i32,
        reason: Option<&'static str>,
    },
    /// The worker stopped; `offset` is the final committable offset.
    Final {
        partition: i32,
        offset: Option<i64>,
    },
}

/// A commit's changelog records in flight.
struct Pending {
    seq: u64,
    offset: Option<i64>,
    batch: Arc<Batch>,
    keys: Vec<Vec<u8>>,
}

/// A dead-letter copy until its delivery is confirmed.
struct PendingLetter {
    letter: Letter,
    state: Arc<DeadLetterState>,
    retry_at: Option<Instant>,
    backoff: Duration,
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
}

impl Worker {
    pub fn spawn(
        p: i32,
        s: Arc<Settings>,
        rx: Receiver<ToWorker>,
        out: Sender<FromWorker>,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name(format!("partition-{p}"))
            .spawn(move || {
                let partition = Partition::new(p, s.shared.clone());
                let views = s.views_topic.as_ref().map(|t| ViewsOut::new(t.clone(), p));
                let w = Worker {
                    p,
                    partition,
                    epoch: String::new(),
                    changelog_end: 0,
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
                    s,
                };
                w.run(rx)
            })
    }

    fn as_of(&self) -> Millis {
        self.s.as_of.at(
            self.s.shared.watermark().unwrap_or(Millis::MIN),
            wall_clock(),
        )
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
        self.partition.track_changes();
        self.partition.advance(self.as_of());
        self.publish(true);
        let _ = self.out.send(FromWorker::Restored { partition: self.p });
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
            match restore::restore(&self.s, &mut self.partition) {
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

    fn apply(&mut self, m: Messages) {
        let now = wall_clock();
        let config = &self.s.shared.config;
        let ctx = DecodeCtx::new(config.tz, now, config.future_horizon_ms);
        let mut bytes = 0u64;
        for item in &m.items {
            let payload = m.slice(item.payload);
            let key = item.key.map(|k| m.slice(k));
            bytes += payload.len() as u64;
            let reject = match decode(payload, &ctx) {
                Ok(ev) if key != Some(ev.order_id.as_bytes()) => {
                    Some((RejectReason::KeyMismatch, Some("key")))
                }
                Ok(ev) => {
                    self.s.shared.observe(ev.at);
                    let as_of = self.as_of();
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

    fn reject(
        &mut self,
        reason: RejectReason,
        field: Option<&'static str>,
        offset: i64,
        key: Option<&[u8]>,
        payload: &[u8],
    ) {
        self.s.shared.stats.reject(reason);
        crate::rate_limited!(
            warn,
            partition = self.p,
            offset,
            reason = reason.code(),
            field,
            "rejected message (dead-lettered)"
        );
        let letter = Letter::new(
            reason,
            key,
            payload,
            &self.s.kafka.topic,
            self.p,
            offset,
            self.s.dlq_max_bytes,
        );
        if letter.truncated() {
            self.s.metrics.dead_letter_truncated.inc();
        }
        let state = DeadLetterState::new(reason);
        let mut pending = PendingLetter {
            letter,
            state,
            retry_at: None,
            backoff: Duration::from_millis(200),
        };
        self.send_letter(&mut pending);
        self.letters.push_back(pending);
        self.s.metrics.dead_letter_pending.inc();
    }

    fn send_letter(&self, l: &mut PendingLetter) {
        l.state.retry();
        let numbers = l.letter.numbers();
        let record = l.letter.record(
            &self.s.kafka.dlq_topic,
            &numbers,
            Box::new(Delivery::DeadLetter(l.state.clone())),
        );
        if let Err((e, _)) = producer::send(&self.s.producer, record, || false) {
            // Refused before it was queued: handled like a failed delivery.
            tracing::debug!(partition = self.p, error = %e, "dead-letter copy not queued");
            l.retry_at = Some(Instant::now() + l.backoff);
            if matches!(
                e.rdkafka_error_code(),
                Some(RDKafkaErrorCode::MessageSizeTooLarge)
            ) {
                l.letter.truncate(TRUNCATED_BYTES);
                self.s.metrics.dead_letter_truncated.inc();
                l.retry_at = Some(Instant::now());
            }
        }
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

    /// Retries failed dead-letter copies (cut to size when the topic refused their
    /// size); forgets delivered ones.
    fn check_letters(&mut self) {
        let now = Instant::now();
        let mut failing = false;
        let mut letters = std::mem::take(&mut self.letters);
        for l in letters.iter_mut() {
            if let (DlqState::Failed(code), None) = (l.state.get(), l.retry_at) {
                if code == RDKafkaErrorCode::MessageSizeTooLarge && !l.letter.truncated() {
                    l.letter.truncate(TRUNCATED_BYTES);
                    self.s.metrics.dead_letter_truncated.inc();
                    l.retry_at = Some(now);
                } else {
                    crate::rate_limited!(error, partition = self.p, offset = l.letter.offset, error = %code, "dead-letter copy failed: the partition holds until it is delivered");
                    l.retry_at = Some(now + l.backoff);
                    l.backoff = (l.backoff * 2).min(MAX_BACKOFF);
                }
            }
            if l.retry_at.is_some_and(|t| t <= now) {
                l.retry_at = None;
                self.send_letter(l);
            }
            failing |= l.retry_at.is_some() || matches!(l.state.get(), DlqState::Failed(_));
        }
        let before = letters.len();
        letters.retain(|l| l.retry_at.is_some() || l.state.get() != DlqState::Delivered);
        self.s
            .metrics
            .dead_letter_pending
            .sub((before - letters.len()) as i64);
        self.letters = letters;
        self.hold(if failing {
            Some("dead_letter_failing")
        } else if self.changelog_failing {
            Some("changelog_failing")
        } else {
            None
        });
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

    /// Hands what changed to the changelog producer.
    fn commit(&mut self) {
        self.last_commit = Instant::now();
        if self.partition.changes_pending() == 0
            && self.inflight.is_empty()
            && self.next_offset == self.frontier
        {
            self.since_commit = 0;
            return;
        }
        let started = Instant::now();
        let batch = Arc::new(Batch::default());
        let mut keys = Vec::new();
        let mut records = Vec::new();
        self.partition.drain_changes(|r| records.push(r));
        for ChangeRecord { key, value } in records {
            self.produce_change(&batch, &key, value.as_deref());
            keys.push(key);
        }
        self.s
            .metrics
            .commit_pause
            .observe(started.elapsed().as_secs_f64());
        self.inflight.push_back(Pending {
            seq: self.seq,
            offset: self.next_offset,
            batch,
            keys,
        });
        self.seq += 1;
        self.since_commit = 0;
    }

    fn produce_change(&self, batch: &Arc<Batch>, key: &[u8], value: Option<&[u8]>) {
        batch.outstanding.fetch_add(1, Ordering::AcqRel);
        let mut record = BaseRecord::with_opaque_to(
            &self.s.kafka.changelog_topic,
            Box::new(Delivery::Changelog(batch.clone())),
        )
        .partition(self.p)
        .key(key)
        .headers(epoch_headers(&self.epoch));
        if let Some(v) = value {
            record = record.payload(v);
        }
        self.s.metrics.changelog_records.inc();
        self.s
            .metrics
            .changelog_bytes
            .inc_by((key.len() + value.map_or(0, <[u8]>::len)) as u64);
        if producer::send(&self.s.producer, record, || false).is_err() {
            batch.failed.store(true, Ordering::Release);
            batch.outstanding.fetch_sub(1, Ordering::AcqRel);
            self.s.metrics.changelog_errors.inc();
        }
    }

    /// Moves the commit frontier over confirmed batches; a failed batch's keys are
    /// written again and the frontier waits for that rewrite.
    fn check_inflight(&mut self) {
        while let Some(front) = self.inflight.front() {
            if !front.batch.done() {
                break;
            }
            let Some(done) = self.inflight.pop_front() else {
                break;
            };
            if done.batch.failed() {
                tracing::error!(
                    partition = self.p,
                    records = done.keys.len(),
                    "changelog write failed: writing those orders again; commits wait"
                );
                self.partition.redirty(&done.keys);
                self.barrier = self.seq;
                self.changelog_failing = true;
            } else if done.seq >= self.barrier {
                self.frontier = done.offset.or(self.frontier);
                self.changelog_failing = false;
            }
            if let Some(o) = done.batch.last_offset() {
                self.changelog_end = self.changelog_end.max(o + 1);
            }
        }
    }

    /// The offset that is safe to commit: the frontier, held back by any dead-letter
    /// copy not yet delivered.
    fn committable(&self) -> Option<i64> {
        let dlq_floor = self
            .letters
            .iter()
            .filter(|l| l.retry_at.is_some() || l.state.get() != DlqState::Delivered)
            .map(|l| l.letter.offset)
            .min();
        match (self.frontier, dlq_floor) {
            (Some(f), Some(d)) => Some(f.min(d)),
            (f, _) => f,
        }
    }

    fn report(&mut self) {
        let c = self.committable();
        if c.is_some() && c > self.reported {
            self.reported = c;
            let _ = self.out.send(FromWorker::Committable {
                partition: self.p,
                offset: c.unwrap_or_default(),
            });
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
        let deadline = Instant::now() + self.s.shutdown_grace;
        loop {
            self.check_letters();
            self.check_inflight();
            let pending = !self.inflight.is_empty()
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
        let clean = self.inflight.is_empty() && self.letters.is_empty() && !self.changelog_failing;
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
        if let Some(v) = self.views.as_mut() {
            v.flush(&self.s);
        }
    }

    /// Writes the local cache: the state, which is exactly the changelog up to
    /// `changelog_end` (everything this owner wrote is confirmed when this runs).
    fn write_cache(&mut self) {
        let Some(dir) = &self.s.state_dir else { return };
        let high = self.changelog_end;
        let mut records = Vec::new();
        self.partition.export(|r| {
            if let Some(v) = r.value {
                records.push((r.key, v));
            }
        });
        let stamp = cache::Stamp::of(&self.s, self.p);
        let epoch = self.epoch.parse().unwrap_or(-1);
        match cache::save(dir, &stamp, high, epoch, &records) {
            Ok(()) => {
                self.s.metrics.cache.with_label_values(&["written"]).inc();
                tracing::debug!(partition = self.p, offset = high, "local cache written");
            }
            Err(e) => {
                tracing::warn!(partition = self.p, error = %e, "cannot write the local cache")
            }
        }
    }
}
