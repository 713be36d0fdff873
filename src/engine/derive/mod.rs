//! The assignment rules (metrics.md): folds an order's sorted events into what the
//! order contributes to the per-unit and centre counters at a given as-of time.
//!
//! Everything the engine counts is a function of (the order's set of events, as-of):
//! this is what makes results independent of arrival order and duplicates. The fold
//! is incremental — [`Fold::step`] takes the events in the contract's order and
//! [`Fold::finish`] reads the figures at an as-of time — so an order that grows at its
//! end (the usual case, and a busy order's) costs O(1) per event plus its units.

mod fold;

use smallvec::SmallVec;

use super::counts::{CentreCounts, LiveCounts, UnitCounts};
use super::labels::LabelId;
use crate::event::{Channel, Disposition, Millis, Month, Purpose, Satisfaction, TimeZone};

pub use self::fold::Fold;

/// A callback's rating as given (`resolved` absent, true or false).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rating {
    pub satisfaction: Satisfaction,
    pub resolved: Option<bool>,
}

/// The record (受理) facts of an order: its first `received`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    pub channel: Channel,
    pub purpose: Purpose,
    pub disposition: Disposition,
    pub category: Option<LabelId>,
    pub topic: Option<LabelId>,
    pub unit: Option<LabelId>,
    /// Local day of the month (1–31) it was taken in.
    pub day: u8,
}

/// What one order adds to the centre's counts of its month.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CentreContribution {
    pub counts: CentreCounts,
    pub record: Option<Record>,
    /// The unit the latest valid callback rated (the centre counts it once per order).
    pub rated_unit: Option<LabelId>,
}

/// What one order adds to one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UnitContribution {
    pub unit: LabelId,
    pub counts: UnitCounts,
    pub handling_ms: Option<i64>,
    pub live: LiveCounts,
}

/// What one order adds to the counters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Contribution {
    pub month: Option<Month>,
    pub centre: CentreContribution,
    pub units: SmallVec<[UnitContribution; 2]>,
}

/// A row of the overdue list (超期工单一览表), label ids not yet resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueRow {
    /// Every unit the order passed through, in order of first assignment.
    pub units: Vec<LabelId>,
    /// The deadline that was missed (应回复时间).
    pub due_at: Option<Millis>,
    /// When the order was finally answered (实际回复日期), if it was.
    pub replied_at: Option<Millis>,
    /// Return reasons, in order.
    pub reasons: Vec<LabelId>,
    pub returns: u32,
    pub purpose: Option<Purpose>,
}

/// An order's figures at one as-of time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Derived {
    pub contribution: Contribution,
    /// The next as-of time at which the contribution changes without a new event
    /// (an open assignment becoming due-soon or overdue).
    pub next_change: Option<Millis>,
    pub overdue_row: Option<OverdueRow>,
}

/// What the fold needs to read figures at an as-of time.
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    pub tz: TimeZone,
    pub as_of: Millis,
    pub due_soon_window_ms: i64,
}
