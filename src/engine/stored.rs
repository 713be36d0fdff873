//! The compact form in which an order keeps its events: label values interned, times
//! in milliseconds. An order's figures are always re-derived from these.

use crate::event::{
    Channel, CompletionResult, Disposition, EventType, Millis, Purpose, Satisfaction,
};
use crate::units::LabelId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub at: Millis,
    pub event_id: Box<str>,
    pub payload: Payload,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    Received(Record),
    Dispatched {
        unit: LabelId,
        due_at: Millis,
    },
    Returned {
        unit: LabelId,
        reason: Option<Box<str>>,
    },
    Extended {
        unit: LabelId,
        due_at: Millis,
    },
    Completed {
        unit: LabelId,
        result: Option<CompletionResult>,
    },
    Callback(Callback),
    Reopened {
        unit: LabelId,
        due_at: Millis,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    pub channel: Channel,
    pub purpose: Purpose,
    pub disposition: Disposition,
    pub category: LabelId,
    pub topic: Option<LabelId>,
    pub unit: Option<LabelId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Callback {
    pub contacted: bool,
    pub satisfaction: Option<Satisfaction>,
    pub resolved: Option<bool>,
    pub unit: Option<LabelId>,
}

impl Payload {
    pub fn event_type(&self) -> EventType {
        match self {
            Payload::Received(_) => EventType::Received,
            Payload::Dispatched { .. } => EventType::Dispatched,
            Payload::Returned { .. } => EventType::Returned,
            Payload::Extended { .. } => EventType::Extended,
            Payload::Completed { .. } => EventType::Completed,
            Payload::Callback(_) => EventType::Callback,
            Payload::Reopened { .. } => EventType::Reopened,
        }
    }
}

impl StoredEvent {
    /// The contract's processing order: `at`, then type, then `event_id`.
    pub fn sort_key(&self) -> (Millis, EventType, &str) {
        (self.at, self.payload.event_type(), &self.event_id)
    }
}

/// Inserts `ev` into `events` (kept sorted by [`StoredEvent::sort_key`]).
pub fn insert_sorted(events: &mut Vec<StoredEvent>, ev: StoredEvent) -> usize {
    // Orders hold a few events for months: exact capacity beats amortised growth.
    events.reserve_exact(1);
    let pos = events.partition_point(|e| e.sort_key() <= ev.sort_key());
    events.insert(pos, ev);
    pos
}
