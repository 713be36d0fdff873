//! The pure, synchronous core: decoded events and an explicit as-of time in, counters
//! out. No I/O, no clock, no async.
//!
//! State is sliced into [`Partition`]s, each with one writer (one per Kafka partition,
//! or one per replay shard). A partition publishes immutable [`PartitionSnapshot`]s;
//! the views sum them. What partitions share is read-only ([`Shared`]) or monotonic
//! counters ([`PipelineStats`]).
//!
//! - `counts` — the indicator tables (one definition per count);
//! - `derive` — the assignment rules, folding an order's events;
//! - `orders`, `labels`, `tombstones` — the compact state; `timers` — when orders
//!   next change by themselves;
//! - `cells` — a partition's counters; `snapshot` — what it publishes;
//! - `partition` — applying events, time, retention, the changelog.

mod cells;
mod counts;
mod derive;
mod labels;
mod orders;
mod partition;
mod snapshot;
mod timers;
mod tombstones;

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

pub use cells::{record_index, sparse_key, sparse_value, Dim, Handling, RECORD_CELLS};
pub use counts::{
    CentreCounts, Count, Exposed, LiveCounts, Ratings, UnitCounts, HANDLING_BUCKETS_SECS,
};
pub use derive::{Contribution, Ctx, Derived, Fold, Rating, Record};
pub use labels::LabelId;
pub use partition::{ChangeRecord, Partition, RestoreError, TOMBSTONE_PREFIX, WARM_BATCH};
pub use snapshot::{
    KeyedCount, LiveView, MonthKey, MonthView, OverdueView, PartitionSnapshot, UnitView,
};
pub use tombstones::key as tombstone_key;

use crate::config::EngineConfig;
use crate::event::{EventType, Millis, RejectReason};
use crate::units::UnitRegistry;

/// Category of records that name none (events.md: absent = 其他).
pub const DEFAULT_CATEGORY: &str = "其他";

/// What happened to one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// Its `event_id` was already applied to the order.
    Duplicate,
    /// Its order's month has left the retention window (or the order was evicted).
    Late,
}

/// What every partition reads and never changes, and the process-wide counters.
pub struct Shared {
    pub config: EngineConfig,
    pub registry: Option<UnitRegistry>,
    pub stats: PipelineStats,
    /// Largest event time seen (ms), for `hotline_watermark_timestamp_seconds`.
    pub watermark: AtomicI64,
}

impl Shared {
    pub fn new(config: EngineConfig, registry: Option<UnitRegistry>) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Shared {
            config,
            registry,
            stats: PipelineStats::default(),
            watermark: AtomicI64::new(Millis::MIN),
        })
    }

    /// Notes an event time in the watermark (the decoder already refused the future).
    pub fn observe(&self, at: Millis) {
        self.watermark.fetch_max(at, Relaxed);
    }

    pub fn watermark(&self) -> Option<Millis> {
        Some(self.watermark.load(Relaxed)).filter(|&w| w != Millis::MIN)
    }
}

/// Process-wide pipeline counters (monotonic): what this process consumed.
#[derive(Default)]
pub struct PipelineStats {
    /// Applied events by [`EventType`].
    pub applied: [AtomicU64; EventType::ALL.len()],
    pub duplicates: AtomicU64,
    pub late: AtomicU64,
    pub unknown_units: AtomicU64,
    /// Rejected messages by [`RejectReason::index`].
    pub rejected: [AtomicU64; RejectReason::ALL.len()],
}

impl PipelineStats {
    pub fn reject(&self, reason: RejectReason) {
        self.rejected[reason.index()].fetch_add(1, Relaxed);
    }

    pub fn late(&self) -> u64 {
        self.late.load(Relaxed)
    }
}

/// A partition's counts not yet added to the shared [`PipelineStats`] (one add per
/// batch instead of one contended atomic per event).
#[derive(Debug, Default)]
pub(crate) struct LocalStats {
    applied: [u64; EventType::ALL.len()],
    duplicates: u64,
    late: u64,
    pub unknown_units: u64,
}

impl LocalStats {
    pub fn count(&mut self, outcome: Outcome, t: EventType) {
        match outcome {
            Outcome::Applied => self.applied[t as usize] += 1,
            Outcome::Duplicate => self.duplicates += 1,
            Outcome::Late => self.late += 1,
        }
    }

    pub fn pending(&self) -> u64 {
        self.applied.iter().sum::<u64>() + self.duplicates + self.late
    }

    pub fn flush_into(&mut self, shared: &PipelineStats) {
        for (i, n) in self.applied.iter().enumerate() {
            if *n > 0 {
                shared.applied[i].fetch_add(*n, Relaxed);
            }
        }
        for (cell, n) in [
            (&shared.duplicates, self.duplicates),
            (&shared.late, self.late),
            (&shared.unknown_units, self.unknown_units),
        ] {
            if n > 0 {
                cell.fetch_add(n, Relaxed);
            }
        }
        *self = LocalStats::default();
    }
}
