//! The figures the office reads: counts, ratios, assessment and score per unit, and the
//! centre's, for one month. These are the JSON API's objects and the report's input.

use serde::Serialize;

use super::aggregate::{Aggregate, MonthSum, UnitSum};
use super::centre::{centre_figures, CentreFigures};
use crate::config::{Assessment, EngineConfig};
use crate::engine::{LiveCounts, Ratings, UnitCounts};
use crate::event::{Millis, Month, Satisfaction};

/// `num / den`, absent when the denominator is 0.
pub fn ratio(num: f64, den: impl Into<i64>) -> Option<f64> {
    let den: i64 = den.into();
    (den > 0).then(|| num / den as f64)
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Callbacks {
    pub satisfied: i64,
    pub basically_satisfied: i64,
    pub unsatisfied: i64,
    pub total: i64,
    pub resolved: i64,
}

impl Callbacks {
    /// The callback counts of either table.
    pub(super) fn of<C: Ratings>(c: &C, resolved: i64) -> Self {
        Callbacks {
            satisfied: i64::from(c.rating(Satisfaction::Satisfied)),
            basically_satisfied: i64::from(c.rating(Satisfaction::BasicallySatisfied)),
            unsatisfied: i64::from(c.rating(Satisfaction::Unsatisfied)),
            total: i64::from(c.callbacks()),
            resolved,
        }
    }

    pub fn satisfaction_ratio(&self, w: f64) -> Option<f64> {
        ratio(
            self.satisfied as f64 + w * self.basically_satisfied as f64,
            self.total,
        )
    }
}

/// A unit ratio: its key in [`Ratios`], its metric family, and how it is computed
/// from the unit's counts (with the 基本满意 weight). One definition each.
pub struct RatioDef {
    pub family: &'static str,
    pub help: &'static str,
    pub of: fn(&UnitCounts, f64) -> Option<f64>,
}

/// The ratios of metrics.md, in the order of [`Ratios`]' fields.
pub const UNIT_RATIOS: [RatioDef; 7] = [
    RatioDef {
        family: "hotline_unit_completion_ratio",
        help: "completed / assigned (办结率).",
        of: |c, _| ratio(c.completed as f64, c.assigned),
    },
    RatioDef {
        family: "hotline_unit_on_time_ratio",
        help: "completed_on_time / completed (按时办结率).",
        of: |c, _| ratio(c.completed_on_time as f64, c.completed),
    },
    RatioDef {
        family: "hotline_unit_satisfaction_ratio",
        help: "(satisfied + w x basically_satisfied) / valid callbacks (回访满意率).",
        of: |c, w| {
            ratio(
                c.satisfied as f64 + w * c.basically_satisfied as f64,
                c.callbacks(),
            )
        },
    },
    RatioDef {
        family: "hotline_unit_resolution_ratio",
        help: "callbacks_resolved / valid callbacks (解决率).",
        of: |c, _| ratio(c.callbacks_resolved as f64, c.callbacks()),
    },
    RatioDef {
        family: "hotline_unit_first_time_resolution_ratio",
        help: "first_time_resolved / completed (一次办结率).",
        of: |c, _| ratio(c.first_time_resolved as f64, c.completed),
    },
    RatioDef {
        family: "hotline_unit_return_ratio",
        help: "returned / (assigned + returned) (回退率).",
        of: |c, _| ratio(c.returned as f64, c.assigned + c.returned),
    },
    RatioDef {
        family: "hotline_unit_instant_resolution_ratio",
        help: "consultations answered directly / consultations (即时办结率).",
        of: |c, _| ratio(c.consultations_answered_directly as f64, c.consultations),
    },
];

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Ratios {
    pub completion: Option<f64>,
    pub on_time: Option<f64>,
    pub satisfaction: Option<f64>,
    pub resolution: Option<f64>,
    pub first_time_resolution: Option<f64>,
    #[serde(rename = "return")]
    pub return_: Option<f64>,
    pub instant_resolution: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct HandlingTime {
    pub count: i64,
    pub mean_seconds: Option<f64>,
    pub p50_seconds: Option<u64>,
    pub p90_seconds: Option<u64>,
    pub p99_seconds: Option<u64>,
}

/// One unit's month (the API's per-unit object).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UnitFigures {
    pub unit: String,
    pub assigned: i64,
    pub completed: i64,
    pub completed_on_time: i64,
    pub overdue: i64,
    pub returned: i64,
    pub reopened: i64,
    pub first_time_resolved: i64,
    pub late_extensions: i64,
    pub callbacks: Callbacks,
    pub consultations: i64,
    pub consultations_answered_directly: i64,
    pub handling_time: HandlingTime,
    pub ratios: Ratios,
    /// Assessed (纳入考核): at least `min_assigned` assigned orders in the month.
    pub assessed: bool,
    /// Composite score 0–100 (this project's weights, see README).
    pub score: Option<f64>,
    /// Live, not per month: open orders now, of which past their deadline / due soon.
    pub open: i64,
    pub open_overdue: i64,
    pub due_soon: i64,
}

impl Ratios {
    pub fn of(c: &UnitCounts, w: f64) -> Self {
        let [completion, on_time, satisfaction, resolution, first_time_resolution, return_, instant_resolution] =
            UNIT_RATIOS.each_ref().map(|r| (r.of)(c, w));
        Ratios {
            completion,
            on_time,
            satisfaction,
            resolution,
            first_time_resolution,
            return_,
            instant_resolution,
        }
    }
}

/// The composite score 0–100 of a unit's ratios: Σ wᵢ·ratioᵢ / Σ wᵢ over the ratios it
/// has (the weights are this project's own, configurable).
pub fn score(r: &Ratios, a: &Assessment) -> Option<f64> {
    let w = &a.score_weights;
    let (num, den) = [
        (w.completion, r.completion),
        (w.on_time, r.on_time),
        (w.satisfaction, r.satisfaction),
        (w.first_time_resolution, r.first_time_resolution),
        (w.instant_resolution, r.instant_resolution),
    ]
    .iter()
    .filter_map(|&(w, r)| r.map(|r| (w * r, w)))
    .fold((0.0, 0.0), |(n, d), (x, w)| (n + x, d + w));
    (den > 0.0).then(|| 100.0 * num / den)
}

pub fn unit_figures(name: String, s: &UnitSum, live: LiveCounts, a: &Assessment) -> UnitFigures {
    let c = &s.counts;
    let ratios = Ratios::of(c, a.basically_satisfied_weight);
    let h = &s.handling;
    UnitFigures {
        unit: name,
        assigned: i64::from(c.assigned),
        completed: i64::from(c.completed),
        completed_on_time: i64::from(c.completed_on_time),
        overdue: i64::from(c.overdue),
        returned: i64::from(c.returned),
        reopened: i64::from(c.reopened),
        first_time_resolved: i64::from(c.first_time_resolved),
        late_extensions: i64::from(c.late_extensions),
        callbacks: Callbacks::of(c, c.callbacks_resolved.into()),
        consultations: i64::from(c.consultations),
        consultations_answered_directly: i64::from(c.consultations_answered_directly),
        handling_time: HandlingTime {
            count: h.count,
            mean_seconds: ratio(h.sum_ms as f64 / 1000.0, h.count),
            p50_seconds: h.quantile(0.5),
            p90_seconds: h.quantile(0.9),
            p99_seconds: h.quantile(0.99),
        },
        score: score(&ratios, a),
        ratios,
        assessed: i64::from(c.assigned) >= a.min_assigned as i64,
        open: i64::from(live.open),
        open_overdue: i64::from(live.open_overdue),
        due_soon: i64::from(live.due_soon),
    }
}

/// Everything about one centre's month.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MonthFigures {
    pub summary: CentreFigures,
    /// Units in name order.
    pub units: Vec<UnitFigures>,
}

/// The figures of `month` for `center` in `agg`, or `None` if the month holds no data.
pub fn month_figures(
    agg: &Aggregate,
    config: &EngineConfig,
    center: &str,
    month: Month,
    as_of: Millis,
    a: &Assessment,
) -> Option<MonthFigures> {
    let sum = agg.month(center, month)?;
    Some(figures_of(agg, sum, config, center, month, as_of, a))
}

fn figures_of(
    agg: &Aggregate,
    sum: &MonthSum,
    config: &EngineConfig,
    center: &str,
    month: Month,
    as_of: Millis,
    a: &Assessment,
) -> MonthFigures {
    let mut summary = centre_figures(sum, config, center, month, as_of, a);
    let units: Vec<UnitFigures> = sum
        .units
        .iter()
        .map(|(name, s)| {
            let live = agg
                .live
                .get(&(center.to_owned(), name.clone()))
                .copied()
                .unwrap_or_default();
            unit_figures(name.clone(), s, live, a)
        })
        .collect();
    summary.units_total = units.len();
    summary.units_assessed = units.iter().filter(|u| u.assessed).count();
    MonthFigures { summary, units }
}

/// Retained (centre, month) pairs that hold data, newest month first.
pub fn months(agg: &Aggregate) -> Vec<(String, Month)> {
    let mut v: Vec<(String, Month)> = agg.months.keys().cloned().collect();
    v.sort_by(|a, b| (b.1, &b.0).cmp(&(a.1, &a.0)));
    v
}
