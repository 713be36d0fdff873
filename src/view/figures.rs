//! The figures the office reads: counts, ratios, assessment and score per unit, and the
//! centre's, for one month. These are the JSON API's objects and the report's input.

use serde::Serialize;

use super::aggregate::{aggregate, CentreSum, Filter, LiveSum, UnitSum};
use super::centre::{centre_figures, CentreFigures};
use crate::config::Assessment;
use crate::engine::{CentreKey, LiveKey, Shared};
use crate::event::{Millis, Month, Satisfaction};
use crate::units::LabelId;

/// `num / den`, absent when the denominator is 0.
pub fn ratio(num: f64, den: i64) -> Option<f64> {
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
    pub(super) fn new(by: [i64; 3], resolved: i64) -> Self {
        Callbacks {
            satisfied: by[Satisfaction::Satisfied.index()],
            basically_satisfied: by[Satisfaction::BasicallySatisfied.index()],
            unsatisfied: by[Satisfaction::Unsatisfied.index()],
            total: by.iter().sum(),
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

pub fn unit_figures(name: String, s: &UnitSum, live: LiveSum, a: &Assessment) -> UnitFigures {
    let callbacks = Callbacks::new(s.callbacks, s.callbacks_resolved);
    let ratios = Ratios {
        completion: ratio(s.completed as f64, s.assigned),
        on_time: ratio(s.completed_on_time as f64, s.completed),
        satisfaction: callbacks.satisfaction_ratio(a.basically_satisfied_weight),
        resolution: ratio(callbacks.resolved as f64, callbacks.total),
        first_time_resolution: ratio(s.first_time_resolved as f64, s.completed),
        return_: ratio(s.returned as f64, s.assigned + s.returned),
        instant_resolution: ratio(s.consultations_answered_directly as f64, s.consultations),
    };
    let w = &a.score_weights;
    let parts = [
        (w.completion, ratios.completion),
        (w.on_time, ratios.on_time),
        (w.satisfaction, ratios.satisfaction),
        (w.first_time_resolution, ratios.first_time_resolution),
        (w.instant_resolution, ratios.instant_resolution),
    ];
    let (num, den) = parts
        .iter()
        .filter_map(|&(w, r)| r.map(|r| (w * r, w)))
        .fold((0.0, 0.0), |(n, d), (x, w)| (n + x, d + w));
    let q = |p: f64| {
        s.handling_hdr
            .as_ref()
            .filter(|h| !h.is_empty())
            .map(|h| h.value_at_quantile(p))
    };
    UnitFigures {
        unit: name,
        assigned: s.assigned,
        completed: s.completed,
        completed_on_time: s.completed_on_time,
        overdue: s.overdue,
        returned: s.returned,
        reopened: s.reopened,
        first_time_resolved: s.first_time_resolved,
        late_extensions: s.late_extensions,
        callbacks,
        consultations: s.consultations,
        consultations_answered_directly: s.consultations_answered_directly,
        handling_time: HandlingTime {
            count: s.handling_count,
            mean_seconds: ratio(s.handling_sum_ms as f64 / 1000.0, s.handling_count),
            p50_seconds: q(0.5),
            p90_seconds: q(0.9),
            p99_seconds: q(0.99),
        },
        ratios,
        assessed: s.assigned >= a.min_assigned as i64,
        score: (den > 0.0).then(|| 100.0 * num / den),
        open: live.open,
        open_overdue: live.open_overdue,
        due_soon: live.due_soon,
    }
}

/// Everything about one centre's month.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MonthFigures {
    pub summary: CentreFigures,
    /// Units in name order.
    pub units: Vec<UnitFigures>,
}

/// The figures of `month` for `center`, or `None` if the month holds no data.
pub fn month_figures(
    shared: &Shared,
    center: LabelId,
    month: Month,
    as_of: Millis,
    a: &Assessment,
) -> Option<MonthFigures> {
    let agg = aggregate(
        shared,
        Filter {
            center: Some(center),
            month: Some(month),
            quantiles: true,
        },
    );
    let key = CentreKey { center, month };
    let centre = agg.centre.get(&key);
    if centre.is_none() && agg.units.is_empty() {
        return None;
    }
    let default = CentreSum::default();
    let mut summary = centre_figures(shared, key, centre.unwrap_or(&default), as_of, a);
    let mut units: Vec<UnitFigures> = agg
        .units
        .iter()
        .map(|(k, s)| {
            let live = agg
                .live
                .get(&LiveKey {
                    center,
                    unit: k.unit,
                })
                .copied()
                .unwrap_or_default();
            unit_figures(shared.units.name(k.unit).to_string(), s, live, a)
        })
        .collect();
    units.sort_by(|a, b| a.unit.cmp(&b.unit));
    summary.units_total = units.len();
    summary.units_assessed = units.iter().filter(|u| u.assessed).count();
    Some(MonthFigures { summary, units })
}

/// Retained (centre, month) pairs that hold data, newest month first.
pub fn months(shared: &Shared) -> Vec<(String, Month)> {
    let agg = aggregate(shared, Filter::default());
    let set: std::collections::BTreeSet<(Month, LabelId)> = agg
        .centre
        .keys()
        .map(|k| (k.month, k.center))
        .chain(agg.units.keys().map(|k| (k.month, k.center)))
        .collect();
    set.into_iter()
        .rev()
        .map(|(m, c)| (shared.centers.name(c).to_string(), m))
        .collect()
}
