//! The bulletin's 数据分析 in one place: what one order adds to it ([`contribution`]),
//! the per-(centre, month) cells that count it ([`AnalysisCells`]), their sum across
//! partitions ([`AnalysisSum`]) and that sum with its labels named ([`AnalysisFigures`]).
//!
//! The analysis needs per-order facts the counters do not keep: the problem an order is
//! about, whether its latest callback was unsatisfied (and which unit it rated), what
//! the citizen said about `resolved`, whether the order was returned or reopened, and
//! the day its record was taken in. `derive` hands them over as [`Facts`]; nothing else
//! in the engine depends on this file.

use std::collections::hash_map::Entry;
use std::collections::BTreeMap;

use chrono::Datelike;
use parking_lot::Mutex;
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::stored::Record;
use super::Shared;
use crate::event::{Disposition, Millis, Month, Purpose, Satisfaction, TimeZone};
use crate::units::LabelId;

/// What an order is about (the bulletins' "问题"): its record's topic when it has one
/// (the finer tag: 噪音扰民, 物业服务), else its category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Problem {
    Topic(LabelId),
    Category(LabelId),
}

/// The latest valid callback of an order, as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallbackFact {
    pub satisfaction: Satisfaction,
    /// `resolved` as the callback said it: true, false, or not said.
    pub resolved: Option<bool>,
    /// The unit the callback rated (named, or the unit that last completed the order).
    pub unit: Option<LabelId>,
}

/// The facts of one order the analysis reads, as `derive` found them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts {
    /// The order's record (its first `received`) and when it was taken in.
    pub record: Option<(Millis, Record)>,
    pub dispatched: bool,
    /// Some unit returned the order, or it was reopened.
    pub returned_or_reopened: bool,
    pub callback: Option<CallbackFact>,
}

/// What one order adds to the analysis cells of its month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Analysis {
    /// Local day of the month the record was taken in (1–31): records per day.
    pub day: Option<u8>,
    pub problem: Option<Problem>,
    /// The latest valid callback is 不满意.
    pub unsatisfied: bool,
    /// The unit that unsatisfied callback rated (None for a callback that is not
    /// unsatisfied, or that rated no unit, e.g. on a desk answer).
    pub unsatisfied_unit: Option<LabelId>,
    /// The latest valid callback says `resolved: false` (市民表示问题未得到解决).
    pub unresolved: bool,
    /// 未一次办结办件: dispatched, and returned or reopened at least once, whether it is
    /// completed by now or not.
    pub not_first_time: bool,
    /// A valid consultation that was dispatched rather than answered at the desk
    /// (未即时办结).
    pub consultation_not_answered: bool,
}

/// Folds an order's facts into its analysis contribution.
pub fn contribution(f: &Facts, tz: TimeZone) -> Analysis {
    let record = f.record.map(|(_, r)| r);
    let unsatisfied = f
        .callback
        .is_some_and(|c| c.satisfaction == Satisfaction::Unsatisfied);
    Analysis {
        day: f.record.map(|(at, _)| tz.local(at).day() as u8),
        problem: record.map(|r| match r.topic {
            Some(t) => Problem::Topic(t),
            None => Problem::Category(r.category),
        }),
        unsatisfied,
        unsatisfied_unit: if unsatisfied {
            f.callback.and_then(|c| c.unit)
        } else {
            None
        },
        unresolved: f.callback.is_some_and(|c| c.resolved == Some(false)),
        not_first_time: f.dispatched && f.returned_or_reopened,
        consultation_not_answered: record.is_some_and(|r| {
            r.purpose == Purpose::Consultation && r.disposition == Disposition::Dispatch
        }),
    }
}

/// Plain counts of one (centre, month): a partition's cells, or their sum.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalysisSum {
    /// Records by local day of the month (index 0 = the 1st).
    pub records_by_day: [i64; 31],
    pub unsatisfied: Counted,
    /// Unsatisfied callbacks by (problem, the unit they rated).
    pub unsatisfied_by_unit: FxHashMap<(Problem, LabelId), i64>,
    pub not_first_time: Counted,
    pub consultations_not_answered: Counted,
}

/// A set of orders: how many, how many the citizen called unresolved, by problem.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counted {
    pub total: i64,
    pub unresolved: i64,
    pub by_problem: FxHashMap<Problem, i64>,
}

fn bump<K: std::hash::Hash + Eq>(map: &mut FxHashMap<K, i64>, key: K, sign: i64) {
    match map.entry(key) {
        Entry::Occupied(mut e) => {
            *e.get_mut() += sign;
            if *e.get() == 0 {
                // Keys of orders that moved away are not data: keep the maps small.
                e.remove();
            }
        }
        Entry::Vacant(e) => {
            e.insert(sign);
        }
    }
}

impl Counted {
    fn add(&mut self, a: &Analysis, sign: i64) {
        self.total += sign;
        if a.unresolved {
            self.unresolved += sign;
        }
        if let Some(p) = a.problem {
            bump(&mut self.by_problem, p, sign);
        }
    }

    fn merge(&mut self, other: &Counted) {
        self.total += other.total;
        self.unresolved += other.unresolved;
        for (&p, &n) in &other.by_problem {
            *self.by_problem.entry(p).or_default() += n;
        }
    }
}

impl AnalysisSum {
    fn add(&mut self, a: &Analysis, sign: i64) {
        if let Some(d) = a.day.filter(|d| (1..=31).contains(d)) {
            self.records_by_day[usize::from(d) - 1] += sign;
        }
        if a.unsatisfied {
            self.unsatisfied.add(a, sign);
            if let (Some(p), Some(u)) = (a.problem, a.unsatisfied_unit) {
                bump(&mut self.unsatisfied_by_unit, (p, u), sign);
            }
        }
        if a.not_first_time {
            self.not_first_time.add(a, sign);
        }
        if a.consultation_not_answered {
            self.consultations_not_answered.add(a, sign);
        }
    }

    /// Adds another partition's counts.
    pub fn merge(&mut self, other: &AnalysisSum) {
        for (d, n) in self.records_by_day.iter_mut().zip(other.records_by_day) {
            *d += n;
        }
        self.unsatisfied.merge(&other.unsatisfied);
        for (&k, &n) in &other.unsatisfied_by_unit {
            *self.unsatisfied_by_unit.entry(k).or_default() += n;
        }
        self.not_first_time.merge(&other.not_first_time);
        self.consultations_not_answered
            .merge(&other.consultations_not_answered);
    }
}

/// The analysis cells of one (centre, month) in one partition. The writer changes
/// them only when an order's analysis changes (about twice per order), so a lock
/// around plain maps is cheaper than atomics per key.
#[derive(Default)]
pub struct AnalysisCells(Mutex<AnalysisSum>);

impl AnalysisCells {
    /// Moves the counts from an order's old contribution to its new one.
    pub fn update(&self, old: &Analysis, new: &Analysis) {
        if old == new {
            return;
        }
        let mut sum = self.0.lock();
        sum.add(old, -1);
        sum.add(new, 1);
    }

    /// Adds these cells to a sum (the read side).
    pub fn add_to(&self, sum: &mut AnalysisSum) {
        sum.merge(&self.0.lock());
    }
}

/// A problem with its count, and for unsatisfied callbacks the units they rated.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ProblemCount {
    pub problem: String,
    pub count: i64,
    /// Units by count, largest first (unsatisfied callbacks only; empty otherwise).
    pub units: Vec<UnitCount>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct UnitCount {
    pub unit: String,
    pub count: i64,
}

/// One analysed set of orders with its labels named.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ProblemFigures {
    pub total: i64,
    /// Of which the latest valid callback says `resolved: false`.
    pub unresolved: i64,
    /// unresolved / total.
    pub unresolved_ratio: Option<f64>,
    /// Every problem, largest first, ties by name.
    pub problems: Vec<ProblemCount>,
}

/// The analysis of a centre's month, labels named (the API's analysis object).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct AnalysisFigures {
    /// Records taken in on each day of the month (index 0 = the 1st).
    pub records_by_day: Vec<i64>,
    /// Orders whose latest valid callback is 不满意.
    pub unsatisfied: ProblemFigures,
    /// 未一次办结办件: dispatched orders returned or reopened at least once.
    pub not_first_time: ProblemFigures,
    /// Valid consultations dispatched instead of answered at the desk (未即时办结).
    pub consultations_not_answered: ProblemFigures,
}

fn largest_first<T>(v: &mut [T], count: impl Fn(&T) -> i64, name: impl Fn(&T) -> &str) {
    v.sort_by(|a, b| count(b).cmp(&count(a)).then_with(|| name(a).cmp(name(b))));
}

impl AnalysisSum {
    /// Names the labels (a topic and a category spelled alike are one problem).
    pub fn figures(&self, shared: &Shared, month: Month) -> AnalysisFigures {
        let name = |p: Problem| -> String {
            match p {
                Problem::Topic(t) => shared.topics.name(t).to_string(),
                Problem::Category(c) => shared.categories.name(c).to_string(),
            }
        };
        let named = |c: &Counted, units: Option<&FxHashMap<(Problem, LabelId), i64>>| {
            let mut by: BTreeMap<String, (i64, BTreeMap<String, i64>)> = BTreeMap::new();
            for (&p, &n) in c.by_problem.iter().filter(|(_, &n)| n != 0) {
                by.entry(name(p)).or_default().0 += n;
            }
            for (&(p, u), &n) in units.into_iter().flatten().filter(|(_, &n)| n != 0) {
                let entry = by.entry(name(p)).or_default();
                *entry.1.entry(shared.units.name(u).to_string()).or_default() += n;
            }
            let mut problems: Vec<ProblemCount> = by
                .into_iter()
                .map(|(problem, (count, units))| {
                    let mut units: Vec<UnitCount> = units
                        .into_iter()
                        .map(|(unit, count)| UnitCount { unit, count })
                        .collect();
                    largest_first(&mut units, |u| u.count, |u| &u.unit);
                    ProblemCount {
                        problem,
                        count,
                        units,
                    }
                })
                .collect();
            largest_first(&mut problems, |p| p.count, |p| &p.problem);
            ProblemFigures {
                total: c.total,
                unresolved: c.unresolved,
                unresolved_ratio: crate::view::ratio(c.unresolved as f64, c.total),
                problems,
            }
        };
        let days = (month.days() as usize).min(31);
        AnalysisFigures {
            records_by_day: self.records_by_day[..days].to_vec(),
            unsatisfied: named(&self.unsatisfied, Some(&self.unsatisfied_by_unit)),
            not_first_time: named(&self.not_first_time, None),
            consultations_not_answered: named(&self.consultations_not_answered, None),
        }
    }
}

#[cfg(test)]
#[path = "analysis_tests.rs"]
mod tests;
