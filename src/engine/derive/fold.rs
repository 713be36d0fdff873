//! The fold itself: an order's events in the contract's order, one step each, and
//! the figures read at an as-of time.

use smallvec::SmallVec;

use super::{
    CentreContribution, Contribution, Ctx, Derived, OverdueRow, Rating, Record, UnitContribution,
};
use crate::engine::counts::{CentreCounts, Count, LiveCounts, Ratings, UnitCounts};
use crate::engine::labels::LabelId;
use crate::event::packed::Packed;
use crate::event::{month_of, Disposition, EventKind, Millis, Month, Purpose, TimeZone};

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
    /// The latest valid callback rating the unit: (its position in the order, rating).
    callback: Option<(u32, Rating)>,
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

    fn rate(&mut self, seq: u32, rating: Rating) {
        if self.callback.is_none_or(|(s, _)| s < seq) {
            self.callback = Some((seq, rating));
        }
    }
}

/// The state of the fold after some prefix of an order's sorted events.
#[derive(Debug, Clone, Default)]
pub struct Fold {
    seq: u32,
    first_at: Option<Millis>,
    record: Option<(Month, Record)>,
    asgs: SmallVec<[Assignment; 2]>,
    dispatched: bool,
    any_return: bool,
    any_reopen: bool,
    first_missed_due: Option<Millis>,
    /// The last completion that completed an assignment: (at, unit).
    last_completion: Option<(Millis, LabelId)>,
    /// The latest unnamed callback seen before any completion: it rates the unit of
    /// the first completion after it (clock skew between systems).
    pending: Option<(u32, Rating)>,
    centre_callback: Option<(Rating, Option<LabelId>)>,
    reasons: Vec<LabelId>,
    returns: u32,
}

impl Fold {
    fn slot(&mut self, unit: LabelId) -> &mut Assignment {
        match self.asgs.iter().position(|a| a.unit == unit) {
            Some(i) => &mut self.asgs[i],
            None => {
                self.asgs.push(Assignment::new(unit));
                let last = self.asgs.len() - 1;
                &mut self.asgs[last]
            }
        }
    }

    /// The fold of a whole order (its events sorted).
    pub fn of<'a>(events: impl IntoIterator<Item = Packed<'a, LabelId>>, tz: TimeZone) -> Self {
        let mut fold = Fold::default();
        for ev in events {
            fold.step(&ev, tz);
        }
        fold
    }

    /// Takes the next event in the contract's order.
    pub fn step(&mut self, ev: &Packed<'_, LabelId>, tz: TimeZone) {
        let at = ev.at;
        let seq = self.seq;
        self.seq += 1;
        self.first_at.get_or_insert(at);
        match &ev.kind {
            EventKind::Received {
                channel,
                purpose,
                disposition,
                category,
                topic,
                unit,
            } => {
                if self.record.is_none() {
                    let date = tz.local_date(at);
                    self.record = Some((
                        Month::of_date(date),
                        Record {
                            channel: *channel,
                            purpose: *purpose,
                            disposition: *disposition,
                            category: *category,
                            topic: *topic,
                            unit: *unit,
                            day: date.2 as u8,
                        },
                    ));
                }
            }
            EventKind::Dispatched { unit, due_at } => {
                self.dispatched = true;
                let a = self.slot(*unit);
                if a.state == State::Open {
                    // Dispatched again while held: the latest dispatch sets the deadline.
                    a.due = Some(*due_at);
                } else {
                    a.open(at, *due_at);
                }
            }
            EventKind::Returned { unit, reason } => {
                let a = self.slot(*unit);
                let missed = a.state == State::Open && a.late(at);
                let due = a.due;
                a.state = State::Returned;
                a.returns += 1;
                if missed {
                    a.missed = true;
                    self.first_missed_due.get_or_insert(due.unwrap_or(at));
                }
                self.any_return = true;
                self.returns += 1;
                if let Some(r) = reason {
                    self.reasons.push(*r);
                }
            }
            EventKind::Extended { unit, due_at } => {
                let a = self.slot(*unit);
                match a.due {
                    Some(due) if at <= due => a.due = Some(*due_at),
                    Some(_) => a.late_extensions += 1,
                    // Nothing to extend: no dispatch seen (yet).
                    None => {}
                }
            }
            EventKind::Completed { unit, .. } => {
                let a = self.slot(*unit);
                if a.state != State::Completed {
                    let late = a.late(at);
                    let due = a.due;
                    if late {
                        a.missed = true;
                    }
                    a.on_time = !late;
                    a.state = State::Completed;
                    a.completed_at = Some(at);
                    if late {
                        self.first_missed_due.get_or_insert(due.unwrap_or(at));
                    }
                    if self.last_completion.is_none() {
                        if let Some((s, rating)) = self.pending.take() {
                            self.slot(*unit).rate(s, rating);
                        }
                    }
                    self.last_completion = Some((at, *unit));
                }
            }
            EventKind::Callback {
                contacted,
                satisfaction,
                resolved,
                unit,
            } => {
                if let (true, Some(s)) = (*contacted, *satisfaction) {
                    let rating = Rating {
                        satisfaction: s,
                        resolved: *resolved,
                    };
                    // The unit it names, else the unit that most recently completed
                    // the order before it, else the first to complete after it.
                    let target = unit.or(self.last_completion.map(|(_, u)| u));
                    match target {
                        Some(u) => self.slot(u).rate(seq, rating),
                        None => self.pending = Some((seq, rating)),
                    }
                    self.centre_callback = Some((rating, target));
                }
            }
            EventKind::Reopened { unit, due_at } => {
                let a = self.slot(*unit);
                a.open(at, *due_at);
                a.reopened = true;
                self.any_reopen = true;
            }
        }
    }

    /// The order's figures at `ctx.as_of`.
    pub fn finish(&self, ctx: &Ctx) -> Derived {
        let record = self.record.map(|(_, r)| r);
        let month = self
            .record
            .map(|(month, _)| month)
            .or_else(|| self.first_at.map(|at| month_of(at, ctx.tz)));
        let consultation = record.and_then(|r| match (r.purpose, r.unit) {
            (Purpose::Consultation, Some(unit)) if r.disposition != Disposition::Invalid => {
                Some((unit, r.disposition == Disposition::DirectAnswer))
            }
            _ => None,
        });

        let first_time_order = !self.any_return && !self.any_reopen;
        let as_of = ctx.as_of;
        let window = ctx.due_soon_window_ms;
        let mut next_change: Option<Millis> = None;
        let mut units: SmallVec<[UnitContribution; 2]> = SmallVec::new();
        let mut centre_overdue = false;
        let mut open_due: Option<Millis> = None;
        let (mut held, mut held_completed) = (0, 0);
        for a in &self.asgs {
            let open = a.state == State::Open;
            let open_overdue = open && a.due.is_some_and(|d| as_of > d);
            // Saturating: a restore derives before any as-of is known (`Millis::MIN`).
            let due_soon = open
                && a.due
                    .is_some_and(|d| d >= as_of && d.saturating_sub(as_of) <= window);
            if let (true, Some(d)) = (open, a.due) {
                let t = if as_of < d - window {
                    Some(d - window)
                } else if as_of <= d {
                    Some(d + 1)
                } else {
                    None
                };
                if let Some(t) = t {
                    next_change = Some(next_change.map_or(t, |n| n.min(t)));
                }
                if open_overdue {
                    open_due.get_or_insert(d);
                }
            }
            let overdue = a.missed || open_overdue;
            centre_overdue |= overdue;
            let completed = a.state == State::Completed;
            if matches!(a.state, State::Open | State::Completed) {
                held += 1;
                held_completed += i32::from(completed);
            }
            let mut counts = UnitCounts {
                assigned: Count::from(matches!(a.state, State::Open | State::Completed)),
                completed: Count::from(completed),
                completed_on_time: Count::from(completed && a.on_time),
                overdue: Count::from(overdue),
                returned: Count::from(a.returns > 0),
                reopened: Count::from(a.reopened),
                first_time_resolved: Count::from(completed && first_time_order),
                late_extensions: Count::from(a.late_extensions),
                ..UnitCounts::default()
            };
            rate(&mut counts, a.callback.map(|(_, r)| r));
            units.push(UnitContribution {
                unit: a.unit,
                counts,
                handling_ms: match (completed, a.opened_at, a.completed_at) {
                    (true, Some(o), Some(c)) => Some(c - o),
                    _ => None,
                },
                live: LiveCounts {
                    open: Count::from(open),
                    open_overdue: Count::from(open_overdue),
                    due_soon: Count::from(due_soon),
                },
            });
        }
        if let Some((unit, direct)) = consultation {
            let i = match units.iter().position(|u| u.unit == unit) {
                Some(i) => i,
                None => {
                    units.push(UnitContribution {
                        unit,
                        ..UnitContribution::default()
                    });
                    units.len() - 1
                }
            };
            units[i].counts.consultations = 1;
            units[i].counts.consultations_answered_directly = Count::from(direct);
        }
        let completed = self.dispatched && held > 0 && held == held_completed;
        let mut counts = CentreCounts {
            dispatched: Count::from(self.dispatched),
            completed: Count::from(completed),
            first_time_resolved: Count::from(completed && first_time_order),
            overdue: Count::from(centre_overdue),
            ..CentreCounts::default()
        };
        let rating = self.centre_callback.map(|(r, _)| r);
        rate(&mut counts, rating);
        // The analysis sets (数据分析): which of them the order is in, and whether its
        // citizen said the problem is not solved.
        let unresolved = Count::from(rating.is_some_and(|r| r.resolved == Some(false)));
        if counts.unsatisfied == 1 {
            counts.unsatisfied_unresolved = unresolved;
        }
        if self.dispatched && !first_time_order {
            counts.not_first_time = 1;
            counts.not_first_time_unresolved = unresolved;
        }
        if record.is_some_and(|r| {
            r.purpose == Purpose::Consultation && r.disposition == Disposition::Dispatch
        }) {
            counts.consultations_not_answered = 1;
            counts.consultations_not_answered_unresolved = unresolved;
        }

        let overdue_row = centre_overdue.then(|| OverdueRow {
            units: self
                .asgs
                .iter()
                .filter(|a| a.state != State::None)
                .map(|a| a.unit)
                .collect(),
            due_at: self.first_missed_due.or(open_due),
            replied_at: if completed {
                self.last_completion.map(|(at, _)| at)
            } else {
                None
            },
            reasons: self.reasons.clone(),
            returns: self.returns,
            purpose: record.map(|r| r.purpose),
        });

        Derived {
            contribution: Contribution {
                month,
                centre: CentreContribution {
                    counts,
                    record,
                    rated_unit: self.centre_callback.and_then(|(_, u)| u),
                },
                units,
            },
            next_change,
            overdue_row,
        }
    }
}

/// Counts one rating (the order's, at the unit or the centre).
fn rate<C: Ratings>(counts: &mut C, rating: Option<Rating>) {
    if let Some(r) = rating {
        *counts.rating_mut(r.satisfaction) = 1;
        *counts.resolved_mut() = Count::from(r.resolved == Some(true));
    }
}
