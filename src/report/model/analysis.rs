//! 数据分析 (the Haikou bulletin's section 二): for each of the three rates, the orders
//! that missed it, their main problems and, for unsatisfied callbacks, the units that
//! handled them, and the share the citizens called unresolved.

use crate::engine::DEFAULT_CATEGORY;
use crate::view::{AnalysisFigures, ProblemFigures};

/// How many problems each analysis names (as the Haikou bulletin does: two for
/// unsatisfied callbacks and for 未一次办结, three for 未即时办结).
const UNSATISFIED_PROBLEMS: usize = 2;
const NOT_FIRST_TIME_PROBLEMS: usize = 2;
const NOT_ANSWERED_PROBLEMS: usize = 3;
/// How many handling units a problem names ("处理单位：A、B、C等").
const HANDLING_UNITS: usize = 3;

/// A main problem with its count and, for unsatisfied callbacks, its handling units.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub label: String,
    pub count: i64,
    pub units: Vec<String>,
    /// More units handled it than are named.
    pub more_units: bool,
}

/// One analysed set of orders.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Finding {
    pub total: i64,
    pub unresolved: i64,
    pub unresolved_share: Option<f64>,
    pub main: Vec<Problem>,
    /// More problems exist than are named ("…等").
    pub more: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Analysis {
    /// (一) 回访不满意办件.
    pub unsatisfied: Finding,
    /// (二) 未一次办结办件.
    pub not_first_time: Finding,
    /// (三) 未即时办结的咨询件.
    pub not_answered: Finding,
}

impl Finding {
    /// The `n` largest problems. The catch-all 其他 (no category given, or past the
    /// label caps) says nothing about what went wrong, so it is never a main problem;
    /// it still counts in the total.
    fn new(f: &ProblemFigures, n: usize) -> Finding {
        let named: Vec<_> = f
            .problems
            .iter()
            .filter(|p| p.problem != DEFAULT_CATEGORY && p.count > 0)
            .collect();
        Finding {
            total: f.total,
            unresolved: f.unresolved,
            unresolved_share: f.unresolved_ratio,
            main: named
                .iter()
                .take(n)
                .map(|p| Problem {
                    label: p.problem.clone(),
                    count: p.count,
                    units: p
                        .units
                        .iter()
                        .take(HANDLING_UNITS)
                        .map(|u| u.unit.clone())
                        .collect(),
                    more_units: p.units.len() > HANDLING_UNITS,
                })
                .collect(),
            more: named.len() > n,
        }
    }
}

impl Analysis {
    pub fn new(f: &AnalysisFigures) -> Analysis {
        Analysis {
            unsatisfied: Finding::new(&f.unsatisfied, UNSATISFIED_PROBLEMS),
            not_first_time: Finding::new(&f.not_first_time, NOT_FIRST_TIME_PROBLEMS),
            not_answered: Finding::new(&f.consultations_not_answered, NOT_ANSWERED_PROBLEMS),
        }
    }
}
