//! One record's life, from 受理 to its last 回访: which events happen to it and when,
//! drawn from a profile.
//!
//! Every event of an order is planned at the moment it is received, so the stream can
//! hand them to a time-ordered heap. Each step is timed from the step it follows, so no
//! event of an order is ever earlier than its `received`.
//!
//! Timing, the same for every profile (rates are the profile's): dispatch 5–60 min after
//! receipt, due 3–10 working days later at 18:00 (3–7 for reopens and extensions); on-time
//! replies at u² of the allowed time; late ones 1 h–1 d (50%), 1–5 d (40%) or 5–14 d
//! after the deadline; returns within 2 days, re-dispatch 10 min–4 h later; callbacks 1–3
//! days after completion. Replies, returns and callbacks fall in office hours. Of
//! contacted callbacks 95% carry `resolved` (true for 95% of satisfied, 75% of basically
//! satisfied, 60% of unsatisfied ones).
//!
//! What is planned is the contract's own [`EventKind`], its label values the static
//! words of the profile tables.

use std::ops::RangeInclusive;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::clock::{due_after, office, DAY, HOUR, MIN, SEC};
use super::profile::{Pick, Spec, UnitSpec, REASONS};
use crate::event::{Channel, CompletionResult, Disposition, EventKind, Purpose, Satisfaction};

/// A planned event: the contract's event kind, with the profile tables' words as its
/// label values.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub at: i64,
    pub kind: EventKind<&'static str>,
}

fn received(
    channel: Channel,
    purpose: Purpose,
    disposition: Disposition,
    category: Option<&'static str>,
    topic: Option<&'static str>,
    unit: Option<&'static str>,
) -> EventKind<&'static str> {
    EventKind::Received {
        channel,
        purpose,
        disposition,
        category,
        topic,
        unit,
    }
}

/// Draws order lives. Owns the random stream for order content, so that delivery
/// effects (disorder, duplicates) never change which events exist.
#[derive(Debug)]
pub(crate) struct Planner {
    spec: &'static Spec,
    offset_ms: i64,
    pub(crate) rng: ChaCha8Rng,
    channels: Pick,
    purposes: Pick,
    categories: Pick,
    topics: Pick,
    units: Pick,
    out: Vec<Planned>,
}

impl Planner {
    pub(crate) fn new(spec: &'static Spec, offset_ms: i64, rng: ChaCha8Rng) -> Self {
        let topic_rest = 1.0 - spec.topics.iter().map(|t| t.1).sum::<f64>();
        Planner {
            spec,
            offset_ms,
            rng,
            channels: Pick::new(spec.channels.iter().map(|c| c.1)),
            purposes: Pick::new(spec.purposes.iter().map(|p| p.weight)),
            categories: Pick::new(spec.categories.iter().map(|c| c.1)),
            // The last index stands for "no topic".
            topics: Pick::new(spec.topics.iter().map(|t| t.1).chain([topic_rest])),
            units: Pick::new(spec.units.iter().map(|u| f64::from(u.weight))),
            out: Vec::new(),
        }
    }

    /// The events of the record received at `received`, in time order (the sort is
    /// stable, so equal times keep their causal order), so that event numbers follow
    /// time even where two joint units' chains interleave.
    pub(crate) fn plan(&mut self, received: i64) -> std::vec::Drain<'_, Planned> {
        self.out.clear();
        self.record(received);
        self.out.sort_by_key(|p| p.at);
        self.out.drain(..)
    }

    fn record(&mut self, r: i64) {
        let s = self.spec;
        let channel = s.channels[self.channels.sample(&mut self.rng)].0;
        let transfer = matches!(channel, Channel::GovWebsite | Channel::Provincial);
        if !transfer && self.rng.random_bool(s.invalid) {
            let invalid = received(
                channel,
                Purpose::Other,
                Disposition::Invalid,
                None,
                None,
                None,
            );
            self.push(r, invalid);
            return;
        }
        let purpose = &s.purposes[self.purposes.sample(&mut self.rng)];
        let u = self.units.sample(&mut self.rng);
        let consultation = purpose.purpose == Purpose::Consultation;
        let p_direct = match s.units[u].direct {
            Some(p) if consultation => p,
            _ => purpose.direct,
        };
        let direct = !transfer && self.rng.random_bool(p_direct);
        let category = if consultation && self.rng.random_bool(s.consult_category) {
            "政务咨询"
        } else {
            s.categories[self.categories.sample(&mut self.rng)].0
        };
        // Absent means 其他 on the wire; leave it out half the time to exercise that.
        let category = (category != "其他" || self.rng.random_bool(0.5)).then_some(category);
        let topic = s.topics.get(self.topics.sample(&mut self.rng)).map(|t| t.0);
        let unit = consultation.then(|| self.spell(u));
        let disposition = if direct {
            Disposition::DirectAnswer
        } else {
            Disposition::Dispatch
        };
        self.push(
            r,
            received(channel, purpose.purpose, disposition, category, topic, unit),
        );
        if !direct {
            self.work_order(r, u);
        } else if self.rng.random_bool(s.direct_callback) {
            let at = self.later(r, DAY, 3 * DAY);
            self.callback(None, at);
        }
    }

    fn work_order(&mut self, r: i64, first: usize) {
        let s = self.spec;
        let start = self.after(r, 5 * MIN, 60 * MIN);
        let first_due = self.due(start, 3..=10);
        self.dispatch(first, start, first_due);
        let joint = self.rng.random_bool(s.joint).then(|| {
            let other = self.other_unit(&[first]);
            let at = self.after(start, MIN, 30 * MIN);
            self.dispatch(other, at, first_due);
            (other, at)
        });
        let (mut holder, mut start, mut due) = (first, start, first_due);
        if self
            .rng
            .random_bool(s.units[first].returns.unwrap_or(s.returns))
        {
            // Never the joint partner: it already holds the order.
            let partner = joint.map_or(first, |j| j.0);
            let next = self.other_unit(&[first, partner]);
            let back = self.give_back(first, start, due, None);
            (start, due) = self.redispatch(next, back);
            holder = next;
            if self.rng.random_bool(s.ping_pong) {
                let back = self.give_back(next, start, due, Some("部门相互推诿"));
                (start, due) = self.redispatch(first, back);
                holder = first;
            }
        }
        let done = self.handle(holder, start, due, true);
        let joint_done = joint.and_then(|(other, at)| {
            let done = self.handle(other, at, first_due, false)?;
            Some((other, done))
        });
        let Some(done) = done else { return };
        let (rater, last) = match joint_done {
            Some((other, t)) if t > done => (other, t),
            _ => (holder, done),
        };
        if self.rng.random_bool(s.callback) {
            let at = self.later(last, DAY, 3 * DAY);
            if self.callback(Some(rater), at) == Some(Satisfaction::Unsatisfied)
                && self.rng.random_bool(s.reopen)
            {
                let at = self.later(at, 30 * MIN, DAY);
                let due = self.due(at, 3..=7);
                let unit = self.spell(rater);
                self.push(at, EventKind::Reopened { unit, due_at: due });
                if let Some(done) = self.handle(rater, at, due, false) {
                    if self.rng.random_bool(s.callback) {
                        let at = self.later(done, DAY, 3 * DAY);
                        self.callback(Some(rater), at);
                    }
                }
            }
        }
    }

    /// The unit sends the order back; returns when. A few returns come after the
    /// deadline, which makes the assignment overdue (the Golmud list's 到期之后退回).
    fn give_back(&mut self, u: usize, start: i64, due: i64, reason: Option<&'static str>) -> i64 {
        let late = self.rng.random_bool(self.spec.late_return);
        let at = if late {
            self.later(due, HOUR, 2 * DAY)
        } else {
            let room = (due - start - HOUR).clamp(30 * MIN + SEC, 2 * DAY);
            self.later(start, 30 * MIN, room)
        };
        let reason = match reason {
            Some(r) => Some(r),
            None if late => Some("工单到期之后退回"),
            None if self.rng.random_bool(0.9) => {
                Some(REASONS[self.rng.random_range(0..REASONS.len())])
            }
            None => None,
        };
        let unit = self.spell(u);
        self.push(at, EventKind::Returned { unit, reason });
        at
    }

    fn redispatch(&mut self, u: usize, back: i64) -> (i64, i64) {
        let at = self.later(back, 10 * MIN, 4 * HOUR);
        let due = self.due(at, 3..=10);
        self.dispatch(u, at, due);
        (at, due)
    }

    /// The unit works the assignment from `start`; returns when it completed, or `None`
    /// when it never does.
    fn handle(&mut self, u: usize, start: i64, due: i64, may_stay_open: bool) -> Option<i64> {
        let s = self.spec;
        if may_stay_open && self.rng.random_bool(s.open) {
            return None;
        }
        let (mut start, mut due) = (start, due);
        let roll: f64 = self.rng.random();
        if roll < s.late_extend {
            // Asked for after the deadline: the new due_at does not count, so the
            // assignment is overdue however soon it completes.
            let at = self.later(due, HOUR, 2 * DAY);
            let unit = self.spell(u);
            let new_due = self.due(at, 3..=7);
            self.push(
                at,
                EventKind::Extended {
                    unit,
                    due_at: new_due,
                },
            );
            let done = self.later(at, HOUR, 3 * DAY);
            self.complete(u, done);
            return Some(done);
        }
        if roll < s.late_extend + s.extend {
            let at = self.within(start, due, 0.3, 0.9);
            let unit = self.spell(u);
            due = self.due(due, 3..=7);
            self.push(at, EventKind::Extended { unit, due_at: due });
            start = at;
        }
        let done = if self.rng.random_bool(s.units[u].late.unwrap_or(s.late)) {
            let r: f64 = self.rng.random();
            let (lo, hi) = match r {
                r if r < 0.5 => (HOUR, DAY),
                r if r < 0.9 => (DAY, 5 * DAY),
                _ => (5 * DAY, 14 * DAY),
            };
            self.later(due, lo, hi)
        } else {
            // Most replies come early in the allowed time: u² puts the median at a
            // quarter of it.
            let f = self.rng.random::<f64>().powi(2);
            let at = start + 10 * MIN + ((due - start - 10 * MIN) as f64 * f) as i64;
            office(at - at.rem_euclid(SEC), self.offset_ms).min(due)
        };
        self.complete(u, done);
        Some(done)
    }

    fn complete(&mut self, u: usize, at: i64) {
        let unit = self.spell(u);
        let result = if self.rng.random_bool(0.97) {
            Some(if self.rng.random_bool(self.spec.resolved_result) {
                CompletionResult::Resolved
            } else {
                CompletionResult::Explained
            })
        } else {
            None
        };
        self.push(at, EventKind::Completed { unit, result });
    }

    /// A callback rating `rated` (a work order's last completing unit) or a direct
    /// answer (`None`); returns the satisfaction if the citizen was reached.
    fn callback(&mut self, rated: Option<usize>, at: i64) -> Option<Satisfaction> {
        let s = self.spec;
        if self.rng.random_bool(s.unreached) {
            let kind = EventKind::Callback {
                contacted: false,
                satisfaction: None,
                resolved: None,
                unit: None,
            };
            self.push(at, kind);
            return None;
        }
        let unhappy = rated.and_then(|u| s.units[u].unhappy).unwrap_or(s.unhappy);
        let r: f64 = self.rng.random();
        let (satisfaction, p_resolved) = if r < unhappy {
            // Haikou: 39.43% of unsatisfied callbacks say the problem is unsolved.
            (Satisfaction::Unsatisfied, 0.6)
        } else if r < unhappy + s.basic {
            (Satisfaction::BasicallySatisfied, 0.75)
        } else {
            (Satisfaction::Satisfied, 0.95)
        };
        let resolved = self.rng.random_bool(p_resolved);
        let resolved = self.rng.random_bool(0.95).then_some(resolved);
        // Once a 20% share planned with an explicit `contacted: true`, which writes the
        // same line as the default; still drawn, so that every stream stays the same.
        let _explicit_contacted = self.rng.random_bool(0.2);
        let unit = match rated {
            Some(u) if self.rng.random_bool(s.name_unit) => Some(self.spell(u)),
            _ => None,
        };
        let kind = EventKind::Callback {
            contacted: true,
            satisfaction: Some(satisfaction),
            resolved,
            unit,
        };
        self.push(at, kind);
        Some(satisfaction)
    }

    fn dispatch(&mut self, u: usize, at: i64, due: i64) {
        let unit = self.spell(u);
        self.push(at, EventKind::Dispatched { unit, due_at: due });
    }

    fn push(&mut self, at: i64, kind: EventKind<&'static str>) {
        self.out.push(Planned { at, kind });
    }

    fn spell(&mut self, u: usize) -> &'static str {
        let unit: &UnitSpec = &self.spec.units[u];
        match unit.alias {
            Some(alias) if self.rng.random_bool(self.spec.alias_share) => alias,
            _ => unit.name,
        }
    }

    fn other_unit(&mut self, not: &[usize]) -> usize {
        for _ in 0..16 {
            let u = self.units.sample(&mut self.rng);
            if !not.contains(&u) {
                return u;
            }
        }
        // Only reached with a tiny or lopsided table; any unit not excluded will do.
        let n = self.spec.units.len();
        (1..n)
            .map(|k| (not[0] + k) % n)
            .find(|u| !not.contains(u))
            .unwrap_or(not[0])
    }

    fn due(&mut self, from: i64, working_days: RangeInclusive<u32>) -> i64 {
        let n = self.rng.random_range(working_days);
        due_after(from, n, self.offset_ms)
    }

    /// A whole second in `[from + lo, from + hi]`, not earlier than `from + lo`.
    fn after(&mut self, from: i64, lo: i64, hi: i64) -> i64 {
        from + self.rng.random_range(lo / SEC..=hi / SEC) * SEC
    }

    /// Like `after`, then moved into office hours: people reply and call back by day.
    fn later(&mut self, from: i64, lo: i64, hi: i64) -> i64 {
        let at = self.after(from, lo, hi);
        office(at, self.offset_ms)
    }

    /// A moment a fraction of the way from `start` to `due`, in office hours (still
    /// before `due`, which is always 18:00).
    fn within(&mut self, start: i64, due: i64, lo: f64, hi: f64) -> i64 {
        let f = self.rng.random_range(lo..hi);
        let at = start + ((due - start) as f64 * f) as i64;
        office(at - at.rem_euclid(SEC), self.offset_ms).max(start + SEC)
    }
}
