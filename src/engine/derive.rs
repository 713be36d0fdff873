//! The assignment rules (metrics.md): folds an order's sorted events into what the
//! order contributes to the per-unit and centre counters at a given as-of time.
//!
//! Everything the engine counts is a function of (the order's set of events, as-of):
//! this is what makes results independent of arrival order and duplicates.

use smallvec::SmallVec;

use super::analysis::{self, Analysis, CallbackFact, Facts};
use super::stored::{Payload, Record, StoredEvent};
use crate::event::{month_of, Disposition, Millis, Month, Purpose, Satisfaction, TimeZone};
use crate::units::LabelId;

/// What one order adds to the counters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Contribution {
    pub month: Option<Month>,
    pub record: Option<Record>,
    /// Centre: the order was dispatched to a unit.
    pub dispatched: bool,
    /// Centre: dispatched, and every assignment still held is completed.
    pub completed: bool,
    /// Centre: some assignment is overdue.
    pub overdue: bool,
    pub first_time: bool,
    /// Centre: the order's latest valid callback.
    pub callback: Option<Rating>,
    pub units: SmallVec<[UnitContribution; 2]>,
    /// Centre: what the order adds to the bulletin's analysis (see `analysis.rs`).
    pub analysis: Analysis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rating {
    pub satisfaction: Satisfaction,
    pub resolved: bool,
}

/// What one order adds to one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UnitContribution {
    pub unit: LabelId,
    pub assigned: bool,
    pub completed: bool,
    pub on_time: bool,
    pub overdue: bool,
    pub returned: bool,
    pub reopened: bool,
    pub first_time: bool,
    pub late_extensions: u16,
    pub callback: Option<Rating>,
    /// `Some(direct)`: a valid consultation naming this unit.
    pub consultation: Option<bool>,
    pub handling_ms: Option<i64>,
    pub open: bool,
    pub open_overdue: bool,
    pub due_soon: bool,
}

/// A row of the overdue list (超期工单一览表), unit ids not yet resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueRow {
    /// Every unit the order passed through, in order of first assignment.
    pub units: Vec<LabelId>,
    /// The deadline that was missed (应回复时间).
    pub due_at: Option<Millis>,
    /// When the order was finally answered (实际回复日期), if it was.
    pub replied_at: Option<Millis>,
    /// Return reasons, in order.
    pub reasons: Vec<Box<str>>,
    pub returns: u32,
    pub purpose: Option<Purpose>,
}

/// Result of folding an order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Derived {
    pub contribution: Contribution,
    /// The next as-of time at which the contribution changes without a new event
    /// (an open assignment becoming due-soon or overdue).
    pub next_change: Option<Millis>,
    pub overdue_row: Option<OverdueRow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Known only from a callback or consultation naming the unit.
    None,
    Open,
    Completed,
    Returned,
}

#[derive(Debug, Clone)]
struct Assignment {
    unit: LabelId,
    state: State,
    due: Option<Millis>,
    opened_at: Option<Millis>,
    completed_at: Option<Millis>,
    on_time: bool,
    missed: bool,
    returns: u32,
    reopened: bool,
    late_extensions: u16,
    callback: Option<(Millis, Rating)>,
    consultation: Option<bool>,
}

impl Assignment {
    fn new(unit: LabelId) -> Self {
        Assignment {
            unit,
            state: State::None,
            due: None,
            opened_at: None,
            completed_at: None,
            on_time: false,
            missed: false,
            returns: 0,
            reopened: false,
            late_extensions: 0,
            callback: None,
            consultation: None,
        }
    }

    fn open(&mut self, at: Millis, due: Millis) {
        self.state = State::Open;
        self.due = Some(due);
        self.opened_at = Some(at);
        self.completed_at = None;
    }

    fn late(&self, at: Millis) -> bool {
        self.due.is_some_and(|due| at > due)
    }
}

pub struct Ctx {
    pub tz: TimeZone,
    pub as_of: Millis,
    pub due_soon_window_ms: i64,
}

fn slot(asgs: &mut SmallVec<[Assignment; 2]>, unit: LabelId) -> &mut Assignment {
    match asgs.iter().position(|a| a.unit == unit) {
        Some(i) => &mut asgs[i],
        None => {
            asgs.push(Assignment::new(unit));
            asgs.last_mut().expect("just pushed")
        }
    }
}

/// A valid callback: when, the unit it names, its rating, `resolved` as given.
type ValidCallback = (Millis, Option<LabelId>, Rating, Option<bool>);

/// Folds `events` (sorted by the contract's order) into the order's contribution.
pub fn derive(events: &[StoredEvent], ctx: &Ctx) -> Derived {
    let mut asgs: SmallVec<[Assignment; 2]> = SmallVec::new();
    let mut record: Option<(Millis, Record)> = None;
    let mut dispatched = false;
    let mut any_return = false;
    let mut any_reopen = false;
    let mut first_missed_due: Option<Millis> = None;
    let mut completions: SmallVec<[(Millis, LabelId); 2]> = SmallVec::new();
    let mut callbacks: SmallVec<[ValidCallback; 2]> = SmallVec::new();
    let mut reasons: Vec<Box<str>> = Vec::new();
    let mut returns = 0u32;

    for ev in events {
        let at = ev.at;
        match &ev.payload {
            Payload::Received(r) => {
                if record.is_none() {
                    record = Some((at, *r));
                }
            }
            Payload::Dispatched { unit, due_at } => {
                dispatched = true;
                let a = slot(&mut asgs, *unit);
                if a.state == State::Open {
                    // Dispatched again while held: the latest dispatch sets the deadline.
                    a.due = Some(*due_at);
                } else {
                    a.open(at, *due_at);
                }
            }
            Payload::Returned { unit, reason } => {
                let a = slot(&mut asgs, *unit);
                if a.state == State::Open && a.late(at) {
                    a.missed = true;
                    first_missed_due.get_or_insert(a.due.unwrap_or(at));
                }
                a.state = State::Returned;
                a.returns += 1;
                any_return = true;
                returns += 1;
                if let Some(r) = reason {
                    reasons.push(r.clone());
                }
            }
            Payload::Extended { unit, due_at } => {
                let a = slot(&mut asgs, *unit);
                match a.due {
                    Some(due) if at <= due => a.due = Some(*due_at),
                    Some(_) => a.late_extensions += 1,
                    // Nothing to extend: no dispatch seen (yet).
                    None => {}
                }
            }
            Payload::Completed { unit, .. } => {
                let a = slot(&mut asgs, *unit);
                if a.state != State::Completed {
                    let late = a.late(at);
                    if late {
                        a.missed = true;
                        first_missed_due.get_or_insert(a.due.unwrap_or(at));
                    }
                    a.on_time = !late;
                    a.state = State::Completed;
                    a.completed_at = Some(at);
                    completions.push((at, *unit));
                }
            }
            Payload::Callback(cb) => {
                if let (true, Some(s)) = (cb.contacted, cb.satisfaction) {
                    let rating = Rating {
                        satisfaction: s,
                        resolved: cb.resolved == Some(true),
                    };
                    callbacks.push((at, cb.unit, rating, cb.resolved));
                }
            }
            Payload::Reopened { unit, due_at } => {
                let a = slot(&mut asgs, *unit);
                a.open(at, *due_at);
                a.reopened = true;
                any_reopen = true;
            }
        }
    }

    // Callbacks rate the unit they name, else the unit that most recently completed
    // the order before the callback (or, with clock skew between systems, the first
    // completion after it). The latest valid callback per unit counts.
    let mut centre_callback = None;
    let mut last_callback = None;
    for &(at, unit, rating, resolved) in &callbacks {
        centre_callback = Some(rating);
        let target = unit.or_else(|| {
            completions
                .iter()
                .rev()
                .find(|(c, _)| *c <= at)
                .or_else(|| completions.iter().find(|(c, _)| *c > at))
                .map(|&(_, u)| u)
        });
        if let Some(u) = target {
            slot(&mut asgs, u).callback = Some((at, rating));
        }
        last_callback = Some(CallbackFact {
            satisfaction: rating.satisfaction,
            resolved,
            unit: target,
        });
    }

    let facts = Facts {
        record,
        dispatched,
        returned_or_reopened: any_return || any_reopen,
        callback: last_callback,
    };
    let record = record.map(|(_, r)| r);
    if let Some(r) = record {
        if let (Purpose::Consultation, Some(unit)) = (r.purpose, r.unit) {
            if r.disposition != Disposition::Invalid {
                slot(&mut asgs, unit).consultation =
                    Some(r.disposition == Disposition::DirectAnswer);
            }
        }
    }

    let month = events
        .iter()
        .find(|e| matches!(e.payload, Payload::Received(_)))
        .or(events.first())
        .map(|e| month_of(e.at, ctx.tz));

    let first_time_order = !any_return && !any_reopen;
    let as_of = ctx.as_of;
    let window = ctx.due_soon_window_ms;
    let mut next_change: Option<Millis> = None;
    let mut units = SmallVec::new();
    let mut centre_overdue = false;
    let mut open_due: Option<Millis> = None;
    for a in &asgs {
        let open = a.state == State::Open;
        let open_overdue = open && a.due.is_some_and(|d| as_of > d);
        let due_soon = open && a.due.is_some_and(|d| d >= as_of && d - as_of <= window);
        if open {
            if let Some(d) = a.due {
                let t = if as_of < d - window {
                    d - window
                } else if as_of <= d {
                    d + 1
                } else {
                    Millis::MAX
                };
                if t != Millis::MAX {
                    next_change = Some(next_change.map_or(t, |n| n.min(t)));
                }
                if open_overdue {
                    open_due.get_or_insert(d);
                }
            }
        }
        let overdue = a.missed || open_overdue;
        centre_overdue |= overdue;
        let completed = a.state == State::Completed;
        units.push(UnitContribution {
            unit: a.unit,
            assigned: matches!(a.state, State::Open | State::Completed),
            completed,
            on_time: completed && a.on_time,
            overdue,
            returned: a.returns > 0,
            reopened: a.reopened,
            first_time: completed && first_time_order,
            late_extensions: a.late_extensions,
            callback: a.callback.map(|(_, r)| r),
            consultation: a.consultation,
            handling_ms: match (completed, a.opened_at, a.completed_at) {
                (true, Some(o), Some(c)) => Some(c - o),
                _ => None,
            },
            open,
            open_overdue,
            due_soon,
        });
    }
    let held = || {
        asgs.iter()
            .filter(|a| matches!(a.state, State::Open | State::Completed))
    };
    let completed =
        dispatched && held().next().is_some() && held().all(|a| a.state == State::Completed);

    let overdue_row = centre_overdue.then(|| OverdueRow {
        units: asgs
            .iter()
            .filter(|a| a.state != State::None)
            .map(|a| a.unit)
            .collect(),
        due_at: first_missed_due.or(open_due),
        replied_at: if completed {
            completions.last().map(|&(at, _)| at)
        } else {
            None
        },
        reasons,
        returns,
        purpose: record.map(|r| r.purpose),
    });

    Derived {
        contribution: Contribution {
            month,
            record,
            dispatched,
            completed,
            overdue: centre_overdue,
            first_time: completed && first_time_order,
            callback: centre_callback,
            units,
            analysis: analysis::contribution(&facts, ctx.tz),
        },
        next_change,
        overdue_row,
    }
}
