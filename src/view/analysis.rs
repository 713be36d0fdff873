//! The bulletin's 数据分析 of a centre's month, from its summed counts: for unsatisfied
//! callbacks, orders not resolved the first time (未一次办结) and consultations not
//! answered at the desk (未即时办结) — how many, how many the citizen called
//! unresolved, and the problems (the record's topic, else its category) with, for
//! unsatisfied callbacks, the units they rated. Definitions: docs/report.md.

use std::collections::BTreeMap;

use serde::Serialize;

use super::aggregate::MonthSum;
use super::figures::ratio;
use crate::engine::Dim;
use crate::event::Month;

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

fn set(s: &MonthSum, total: i64, unresolved: i64, dim: Dim, units: Option<Dim>) -> ProblemFigures {
    let mut by: BTreeMap<&str, (i64, Vec<UnitCount>)> = BTreeMap::new();
    for (problem, n) in s.keyed(dim) {
        by.entry(problem).or_default().0 += n;
    }
    for (problem, unit, n) in units.into_iter().flat_map(|d| s.keyed2(d)) {
        by.entry(problem).or_default().1.push(UnitCount {
            unit: unit.to_owned(),
            count: n,
        });
    }
    let mut problems: Vec<ProblemCount> = by
        .into_iter()
        .map(|(problem, (count, mut units))| {
            largest_first(&mut units, |u| u.count, |u| &u.unit);
            ProblemCount {
                problem: problem.to_owned(),
                count,
                units,
            }
        })
        .collect();
    largest_first(&mut problems, |p| p.count, |p| &p.problem);
    ProblemFigures {
        total,
        unresolved,
        unresolved_ratio: ratio(unresolved as f64, total),
        problems,
    }
}

/// The analysis of a summed centre month.
pub fn analysis(s: &MonthSum, month: Month) -> AnalysisFigures {
    let c = &s.centre;
    let days = (month.days() as usize).min(s.daily.len());
    AnalysisFigures {
        records_by_day: s.daily[..days].to_vec(),
        unsatisfied: set(
            s,
            c.unsatisfied.into(),
            c.unsatisfied_unresolved.into(),
            Dim::UnsatisfiedProblem,
            Some(Dim::UnsatisfiedProblemUnit),
        ),
        not_first_time: set(
            s,
            c.not_first_time.into(),
            c.not_first_time_unresolved.into(),
            Dim::NotFirstTimeProblem,
            None,
        ),
        consultations_not_answered: set(
            s,
            c.consultations_not_answered.into(),
            c.consultations_not_answered_unresolved.into(),
            Dim::NotAnsweredProblem,
            None,
        ),
    }
}
