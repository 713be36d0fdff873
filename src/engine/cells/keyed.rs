//! The centre's keyed counts: which labelled counts (category, topic, the analysis'
//! problems) an order contributes to.

use serde::{Deserialize, Serialize};

use crate::engine::derive::{Contribution, Record};
use crate::engine::labels::LabelId;
use crate::event::Disposition;

/// "No second key" in a keyed count.
pub const NO_LABEL: LabelId = LabelId::MAX;

/// The dimensions of the centre's keyed counts: one or two labels each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    /// Valid records by appeal category (诉求分类).
    Category,
    /// Valid records by hot topic.
    Topic,
    /// Orders whose latest callback is unsatisfied, by problem (topic, else category).
    UnsatisfiedProblem,
    /// The same by (problem, the unit rated).
    UnsatisfiedProblemUnit,
    /// 未一次办结办件 by problem.
    NotFirstTimeProblem,
    /// Valid consultations not answered at the desk, by problem.
    NotAnsweredProblem,
}

/// One keyed count: (dimension, label, second label or [`NO_LABEL`]).
pub type Key = (Dim, LabelId, LabelId);
/// The problem an order is about in the analysis: its topic, else its category.
pub fn problem(r: &Record) -> Option<LabelId> {
    r.topic.or(r.category)
}

/// An order's keyed counts, each handed to `each`. (Handed out, not returned as a
/// small vector: moving the vector out reloaded its fields, just stored one by one,
/// as wider words, which the CPU cannot forward from the stores: a stall per load.)
pub fn keyed(c: &Contribution, default_category: LabelId, mut each: impl FnMut(Key)) {
    if let Some(r) = &c.centre.record {
        if r.disposition != Disposition::Invalid {
            each((
                Dim::Category,
                r.category.unwrap_or(default_category),
                NO_LABEL,
            ));
            if let Some(t) = r.topic {
                each((Dim::Topic, t, NO_LABEL));
            }
        }
        let p = problem(r).unwrap_or(default_category);
        if c.centre.counts.unsatisfied != 0 {
            each((Dim::UnsatisfiedProblem, p, NO_LABEL));
            if let Some(u) = c.centre.rated_unit {
                each((Dim::UnsatisfiedProblemUnit, p, u));
            }
        }
        if c.centre.counts.not_first_time != 0 {
            each((Dim::NotFirstTimeProblem, p, NO_LABEL));
        }
        if c.centre.counts.consultations_not_answered != 0 {
            each((Dim::NotAnsweredProblem, p, NO_LABEL));
        }
    }
}
