//! The pure, synchronous core: decoded events and an explicit as-of time in, counters
//! out. No I/O, no clock, no async.
//!
//! State is sliced into [`Partition`]s, each with one writer (one per Kafka
//! partition, or one for a replay); the views sum the slices through [`Shared`].

pub mod analysis;
mod counters;
mod derive;
mod partition;
mod stored;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use parking_lot::RwLock;

pub use counters::{
    record_index, CentreCells, CentreKey, Counters, Handling, LiveCells, LiveKey, UnitCells,
    UnitKey, HANDLING_BUCKETS_SECS,
};
pub use derive::{derive, Contribution, Ctx, Derived, OverdueRow, Rating, UnitContribution};
pub use partition::{OrderKey, OverdueEntry, Partition, PartitionView};
pub use stored::{
    insert_sorted as insert_sorted_for_tests, Callback, Payload, Record, StoredEvent,
};

use crate::config::EngineConfig;
use crate::event::{EventKind, EventType, Millis};
use crate::units::{Interner, Units};

/// What happened to one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// Its `event_id` was already applied to the order.
    Duplicate,
    /// Its order's month has left the retention window.
    Late,
}

/// Process-wide pipeline counters (monotonic).
#[derive(Default)]
pub struct PipelineStats {
    /// Applied events by [`EventType`].
    pub applied: [AtomicU64; 7],
    pub duplicates: AtomicU64,
    pub late: AtomicU64,
    pub unknown_units: AtomicU64,
    /// Rejected messages by [`crate::event::RejectReason`] position.
    pub rejected: [AtomicU64; 7],
}

impl PipelineStats {
    pub fn reject(&self, reason: crate::event::RejectReason) {
        let i = crate::event::RejectReason::ALL
            .iter()
            .position(|r| *r == reason)
            .unwrap_or(0);
        self.rejected[i].fetch_add(1, Relaxed);
    }

    pub fn applied_total(&self) -> u64 {
        self.applied.iter().map(|a| a.load(Relaxed)).sum()
    }
}

/// What the partitions share with each other and with the views: settings, label
/// interners, pipeline counters and the published partition views.
pub struct Shared {
    pub config: EngineConfig,
    pub units: Units,
    pub categories: Interner,
    pub topics: Interner,
    pub centers: Interner,
    pub stats: PipelineStats,
    pub views: RwLock<BTreeMap<i32, Arc<PartitionView>>>,
    /// Largest event time seen (ms), for `hotline_watermark_timestamp_seconds`.
    pub watermark: AtomicI64,
}

/// Category of records that name none (events.md: absent = 其他).
pub const DEFAULT_CATEGORY: &str = "其他";

impl Shared {
    pub fn new(config: EngineConfig, units: Units) -> Arc<Self> {
        let centers = Interner::new(config.center_label_cap, "other");
        centers.intern(&config.default_center);
        Arc::new(Shared {
            categories: Interner::new(config.category_label_cap, DEFAULT_CATEGORY),
            topics: Interner::new(config.topic_label_cap, "其他"),
            centers,
            units,
            config,
            stats: PipelineStats::default(),
            views: RwLock::new(BTreeMap::new()),
            watermark: AtomicI64::new(Millis::MIN),
        })
    }

    /// Interns an event's label values. Returns the stored form and how many unit
    /// names the registry did not know.
    pub fn store(&self, event_id: String, at: Millis, kind: EventKind) -> (StoredEvent, u64) {
        let mut unknown = 0;
        let mut unit = |name: &str| {
            let r = self.units.resolve(name);
            unknown += u64::from(r.unknown);
            r.id
        };
        let payload = match kind {
            EventKind::Received {
                channel,
                purpose,
                disposition,
                category,
                topic,
                unit: u,
            } => Payload::Received(Record {
                channel,
                purpose,
                disposition,
                category: self
                    .categories
                    .intern(category.as_deref().unwrap_or(DEFAULT_CATEGORY))
                    .0,
                topic: topic.map(|t| self.topics.intern(&t).0),
                unit: u.map(|u| unit(&u)),
            }),
            EventKind::Dispatched { unit: u, due_at } => Payload::Dispatched {
                unit: unit(&u),
                due_at,
            },
            EventKind::Returned { unit: u, reason } => Payload::Returned {
                unit: unit(&u),
                reason: reason.map(String::into_boxed_str),
            },
            EventKind::Extended { unit: u, due_at } => Payload::Extended {
                unit: unit(&u),
                due_at,
            },
            EventKind::Completed { unit: u, result } => Payload::Completed {
                unit: unit(&u),
                result,
            },
            EventKind::Callback {
                contacted,
                satisfaction,
                resolved,
                unit: u,
            } => Payload::Callback(Callback {
                contacted,
                satisfaction,
                resolved,
                unit: u.map(|u| unit(&u)),
            }),
            EventKind::Reopened { unit: u, due_at } => Payload::Reopened {
                unit: unit(&u),
                due_at,
            },
        };
        self.watermark.fetch_max(at, Relaxed);
        (
            StoredEvent {
                at,
                event_id: event_id.into_boxed_str(),
                payload,
            },
            unknown,
        )
    }

    /// The published partition views, for summing.
    pub fn views(&self) -> Vec<Arc<PartitionView>> {
        self.views.read().values().cloned().collect()
    }

    pub fn applied(&self, t: EventType) -> u64 {
        self.stats.applied[t as usize].load(Relaxed)
    }
}

impl Shared {
    /// The decoded form of a stored event (label ids back to names), for checkpoints.
    pub fn unstore(&self, key: &OrderKey, ev: &StoredEvent) -> crate::event::Event {
        use crate::event::Event;
        let unit = |id| self.units.name(id).to_string();
        let kind = match &ev.payload {
            Payload::Received(r) => EventKind::Received {
                channel: r.channel,
                purpose: r.purpose,
                disposition: r.disposition,
                category: Some(self.categories.name(r.category).to_string()),
                topic: r.topic.map(|t| self.topics.name(t).to_string()),
                unit: r.unit.map(unit),
            },
            Payload::Dispatched { unit: u, due_at } => EventKind::Dispatched {
                unit: unit(*u),
                due_at: *due_at,
            },
            Payload::Returned { unit: u, reason } => EventKind::Returned {
                unit: unit(*u),
                reason: reason.as_ref().map(|r| r.to_string()),
            },
            Payload::Extended { unit: u, due_at } => EventKind::Extended {
                unit: unit(*u),
                due_at: *due_at,
            },
            Payload::Completed { unit: u, result } => EventKind::Completed {
                unit: unit(*u),
                result: *result,
            },
            Payload::Callback(c) => EventKind::Callback {
                contacted: c.contacted,
                satisfaction: c.satisfaction,
                resolved: c.resolved,
                unit: c.unit.map(unit),
            },
            Payload::Reopened { unit: u, due_at } => EventKind::Reopened {
                unit: unit(*u),
                due_at: *due_at,
            },
        };
        let center = self.centers.name(key.center);
        Event {
            event_id: ev.event_id.to_string(),
            order_id: key.order_id.to_string(),
            at: ev.at,
            center: (*center != *self.config.default_center).then(|| center.to_string()),
            kind,
        }
    }
}
