//! The changelog side of a commit: what changed goes to the changelog topic, the
//! commit frontier moves over confirmed batches only (a failed batch is written
//! again), the committable offset is written after them as the state's frontier, and
//! the local cache is written from the same state.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use rdkafka::producer::BaseRecord;

use super::Worker;
use crate::engine::ChangeRecord;
use crate::source::kafka::consumer::cache;
use crate::source::kafka::consumer::restore::{epoch_headers, frontier_key, Resume};
use crate::source::kafka::producer::{self, Batch, Delivery, DlqState};

/// A commit's changelog records in flight.
pub(super) struct Pending {
    seq: u64,
    offset: Option<i64>,
    batch: Arc<Batch>,
    keys: Vec<Vec<u8>>,
}

impl Worker {
    /// Hands what changed to the changelog producer.
    pub(super) fn commit(&mut self) {
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

    /// Writes `offset` as the state's frontier: everything before it is durable.
    pub(super) fn write_frontier(&mut self, offset: i64) {
        let batch = Arc::new(Batch::default());
        let key = frontier_key(&self.epoch);
        self.produce_change(&batch, &key, Some(offset.to_string().as_bytes()));
        self.marks.push_back(batch);
        self.resume = Resume::At(offset);
    }

    /// Deletes earlier owners' frontier records (the restore keeps the one it used).
    pub(super) fn delete_frontiers(&mut self, keys: &[Vec<u8>]) {
        if keys.is_empty() {
            return;
        }
        let batch = Arc::new(Batch::default());
        for key in keys {
            self.produce_change(&batch, key, None);
        }
        self.marks.push_back(batch);
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
        if producer::send(&self.s.producer, record, &self.give_up).is_err() {
            batch.failed.store(true, Ordering::Release);
            batch.outstanding.fetch_sub(1, Ordering::AcqRel);
            self.s.metrics.changelog_errors.inc();
        }
    }

    /// Moves the commit frontier over confirmed batches; a failed batch's keys are
    /// written again and the frontier waits for that rewrite. Frontier records need no
    /// rewrite: a later one supersedes a failed one.
    pub(super) fn check_inflight(&mut self) {
        while self.marks.front().is_some_and(|b| b.done()) {
            if let Some(done) = self.marks.pop_front() {
                self.count_own(&done);
            }
        }
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
            self.count_own(&done.batch);
        }
    }

    /// Counts a finished batch's records as this owner's.
    fn count_own(&mut self, batch: &Batch) {
        self.own_records += batch.delivered();
        self.uncounted |= batch.failed();
        if let Some(o) = batch.last_offset() {
            self.changelog_end = self.changelog_end.max(o + 1);
        }
    }

    /// Whether this owner's records fill the changelog from its claim to
    /// `changelog_end`: no other owner (one that replaced this one without it knowing)
    /// wrote in between, so the state is exactly the changelog up to there.
    fn alone(&self) -> bool {
        let Ok(claim) = self.epoch.parse::<i64>() else {
            return false;
        };
        !self.uncounted && self.changelog_end - (claim + 1) == self.own_records as i64
    }

    /// The offset that is safe to commit: the frontier, held back by any dead-letter
    /// copy not yet delivered.
    pub(super) fn committable(&self) -> Option<i64> {
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

    /// Writes the local cache: the state, which is exactly the changelog up to
    /// `changelog_end` (everything this owner wrote is confirmed when this runs) if no
    /// other owner wrote in between.
    pub(super) fn write_cache(&mut self) {
        let Some(dir) = &self.s.state_dir else { return };
        if !self.alone() {
            tracing::warn!(
                partition = self.p,
                "not writing the local cache: other records are interleaved with this owner's in the changelog (another owner claimed the partition while this one held it)"
            );
            return;
        }
        let high = self.changelog_end;
        let mut records = Vec::new();
        self.partition.export(|r| {
            if let Some(v) = r.value {
                records.push((r.key, v));
            }
        });
        let stamp = cache::Stamp::of(&self.s, self.p);
        let state = cache::Cache {
            records,
            offset: high,
            epoch: self.epoch.parse().unwrap_or(-1),
            resume: self.resume,
        };
        match cache::save(dir, &stamp, &state) {
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
