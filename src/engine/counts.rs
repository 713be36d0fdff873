//! The indicator tables: every count the engine keeps per unit and per centre, defined
//! once. One order's contribution, a partition's cell, a published view and a sum over
//! partitions are all the same struct, so adding an indicator is one line here; the
//! metric families are generated from the same lines.

use serde::{Deserialize, Serialize};

use crate::event::Satisfaction;

/// How a count is exposed to Prometheus: its family (empty: not exposed as such), and
/// the label value that tells it apart inside a labelled family (`result="satisfied"`).
#[derive(Debug, Clone, Copy)]
pub struct Exposed {
    pub family: &'static str,
    pub help: &'static str,
    pub label: Option<(&'static str, &'static str)>,
}

/// One count: an order's contribution (0 or 1, a few late extensions) or a cell's sum.
/// 32 bits: a month's orders of one centre are far fewer than 2^31, and an order's
/// figures are half the size to build, move and compare than with 64.
pub type Count = i32;

macro_rules! counts {
    ($(#[$m:meta])* $name:ident {
        $($(#[$fm:meta])* $field:ident => $family:literal $(, $lname:literal = $lvalue:literal)? ; $help:literal)*
    }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name {
            $($(#[$fm])* #[serde(default, skip_serializing_if = "is_zero")] pub $field: Count,)*
        }

        impl $name {
            /// Each field with how it is exposed, in declaration order.
            pub const FIELDS: &'static [(Exposed, fn(&$name) -> i64)] = &[
                $((
                    Exposed {
                        family: $family,
                        help: $help,
                        label: counts!(@label $($lname, $lvalue)?),
                    },
                    |c: &$name| i64::from(c.$field),
                ),)*
            ];

            /// `self += sign × other`, field by field.
            pub fn add(&mut self, other: &Self, sign: Count) {
                $(self.$field += sign * other.$field;)*
            }

            /// `self - other`.
            pub fn minus(&self, other: &Self) -> Self {
                let mut d = *self;
                d.add(other, -1);
                d
            }

            pub fn is_zero(&self) -> bool {
                true $(&& self.$field == 0)*
            }
        }
    };
    (@label $lname:literal, $lvalue:literal) => { Some(($lname, $lvalue)) };
    (@label) => { None };
}

fn is_zero(v: &Count) -> bool {
    *v == 0
}

counts! {
    /// Per unit and cohort month (metrics.md, "Assignments and the per-unit counts").
    UnitCounts {
        assigned => "hotline_unit_orders_assigned";
            "Orders assigned to the unit and not returned by it (工单量), by cohort month."
        completed => "hotline_unit_orders_completed";
            "Assigned orders the unit completed (办结量)."
        completed_on_time => "hotline_unit_orders_completed_on_time";
            "Orders completed at or before the effective deadline (按时办结)."
        overdue => "hotline_unit_orders_overdue";
            "Assignments that missed their effective deadline (超期工单)."
        returned => "hotline_unit_orders_returned";
            "Orders the unit returned (退回), once per order."
        reopened => "hotline_unit_orders_reopened";
            "Orders reopened at the unit (重办)."
        first_time_resolved => "hotline_unit_orders_first_time_resolved";
            "Completed orders never returned nor reopened (一次办结)."
        late_extensions => "hotline_unit_late_extensions";
            "Extensions requested after the deadline they would extend (not applied)."
        satisfied => "hotline_unit_callbacks", "result" = "satisfied";
            "Valid callbacks rating the unit (回访), latest per order, by result."
        basically_satisfied => "hotline_unit_callbacks", "result" = "basically_satisfied";
            "Valid callbacks rating the unit (回访), latest per order, by result."
        unsatisfied => "hotline_unit_callbacks", "result" = "unsatisfied";
            "Valid callbacks rating the unit (回访), latest per order, by result."
        callbacks_resolved => "hotline_unit_callbacks_resolved";
            "Valid callbacks where the citizen says the problem is solved (解决)."
        consultations => "hotline_unit_consultations";
            "Valid consultations naming the unit (咨询)."
        consultations_answered_directly => "hotline_unit_consultations_answered_directly";
            "Consultations naming the unit answered at the desk (即时办结)."
    }
}

counts! {
    /// Per centre and cohort month, per order (the keyed counts — records by channel,
    /// categories, analysis — are beside it in the cells).
    CentreCounts {
        dispatched => "hotline_orders_dispatched";
            "Orders dispatched to a unit (转派工单)."
        completed => "hotline_orders_completed";
            "Dispatched orders whose every held assignment is completed (已办结)."
        first_time_resolved => "hotline_orders_first_time_resolved";
            "Completed orders never returned nor reopened (一次办结)."
        overdue => "";
            "Orders with an overdue assignment (exposed by purpose)."
        satisfied => "hotline_callbacks", "result" = "satisfied";
            "Orders with a valid callback, by the latest result (回访)."
        basically_satisfied => "hotline_callbacks", "result" = "basically_satisfied";
            "Orders with a valid callback, by the latest result (回访)."
        unsatisfied => "hotline_callbacks", "result" = "unsatisfied";
            "Orders with a valid callback, by the latest result (回访)."
        callbacks_resolved => "";
            "Orders whose latest valid callback says the problem is solved (解决)."
        /// Of the unsatisfied, those whose callback says the problem is not solved
        /// (`resolved: false`; the bulletin's 问题未得到解决).
        unsatisfied_unresolved => "";
            "Unsatisfied orders whose callback says resolved: false."
        /// 未一次办结办件: dispatched orders returned or reopened at least once,
        /// completed or not (docs/report.md).
        not_first_time => "";
            "Dispatched orders returned or reopened at least once."
        not_first_time_unresolved => "";
            "Of those, orders whose latest valid callback says resolved: false."
        /// Valid consultations dispatched instead of answered at the desk (未即时办结).
        consultations_not_answered => "";
            "Valid consultations dispatched instead of answered at the desk."
        consultations_not_answered_unresolved => "";
            "Of those, orders whose latest valid callback says resolved: false."
    }
}

counts! {
    /// Per unit, now (not per month): open orders and their deadlines.
    LiveCounts {
        open => "hotline_unit_orders_open";
            "Orders open at the unit now."
        open_overdue => "hotline_unit_orders_open_overdue";
            "Open orders past their deadline now."
        due_soon => "hotline_unit_orders_due_soon";
            "Open orders whose deadline is within the warning window."
    }
}

/// The three callback counts of a rating, for either table.
pub trait Ratings {
    fn rating_mut(&mut self, s: Satisfaction) -> &mut Count;
    fn rating(&self, s: Satisfaction) -> Count;
    fn resolved_mut(&mut self) -> &mut Count;
    /// Valid callbacks: every result.
    fn callbacks(&self) -> Count {
        Satisfaction::ALL.iter().map(|&s| self.rating(s)).sum()
    }
}

macro_rules! ratings {
    ($t:ty) => {
        impl Ratings for $t {
            fn rating_mut(&mut self, s: Satisfaction) -> &mut Count {
                match s {
                    Satisfaction::Satisfied => &mut self.satisfied,
                    Satisfaction::BasicallySatisfied => &mut self.basically_satisfied,
                    Satisfaction::Unsatisfied => &mut self.unsatisfied,
                }
            }
            fn resolved_mut(&mut self) -> &mut Count {
                &mut self.callbacks_resolved
            }
            fn rating(&self, s: Satisfaction) -> Count {
                match s {
                    Satisfaction::Satisfied => self.satisfied,
                    Satisfaction::BasicallySatisfied => self.basically_satisfied,
                    Satisfaction::Unsatisfied => self.unsatisfied,
                }
            }
        }
    };
}
ratings!(UnitCounts);
ratings!(CentreCounts);

/// Upper bounds (seconds) of the handling-time histogram: the usual deadlines.
pub const HANDLING_BUCKETS_SECS: [u64; 12] = [
    3600,
    2 * 3600,
    4 * 3600,
    8 * 3600,
    86_400,
    2 * 86_400,
    3 * 86_400,
    5 * 86_400,
    7 * 86_400,
    10 * 86_400,
    15 * 86_400,
    30 * 86_400,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_drives_arithmetic_and_exposure() {
        let mut a = UnitCounts {
            assigned: 2,
            unsatisfied: 1,
            ..Default::default()
        };
        let b = UnitCounts {
            assigned: 1,
            completed: 1,
            ..Default::default()
        };
        a.add(&b, -1);
        assert_eq!((a.assigned, a.completed, a.unsatisfied), (1, -1, 1));
        assert!(a.minus(&a).is_zero());
        let labelled: Vec<_> = UnitCounts::FIELDS
            .iter()
            .filter(|(e, _)| e.family == "hotline_unit_callbacks")
            .map(|(e, get)| (e.label, get(&a)))
            .collect();
        assert_eq!(labelled.len(), 3);
        assert_eq!(labelled[2], (Some(("result", "unsatisfied")), 1));
        assert_eq!(a.callbacks(), 1);
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(json, r#"{"assigned":1,"completed":1}"#);
        assert_eq!(serde_json::from_str::<UnitCounts>(&json).unwrap(), b);
    }
}
