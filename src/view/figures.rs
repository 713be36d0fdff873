//! The figures the office reads: counts, ratios, assessment and score per unit, and the
//! centre's, for one month. These are the JSON API's objects and the report's input.

use std::collections::BTreeMap;

use serde::Serialize;

use super::aggregate::{aggregate, CentreSum, Filter, LiveSum, UnitSum};
use crate::config::Assessment;
use crate::engine::{CentreKey, LiveKey, Shared};
use crate::event::{Channel, Disposition, Millis, Month, Purpose, Satisfaction, TimeZone};
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
    fn new(by: [i64; 3], resolved: i64) -> Self {
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

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Count {
    pub key: String,
    pub label: String,
    pub count: i64,
}

/// The centre's month (the API's summary object).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct CentreFigures {
    pub center: String,
    pub month: String,
    pub as_of: Millis,
    /// Days of the month covered up to the as-of time (for the daily average).
    pub days: u32,
    pub records: i64,
    pub valid_records: i64,
    pub daily_average: Option<f64>,
    pub by_channel: Vec<Count>,
    pub by_disposition: Vec<Count>,
    /// Records by channel and disposition (non-zero cells), for the bulletin's overview
    /// that lists transfers by channel and the rest by disposition.
    pub by_channel_disposition: Vec<ChannelDisposition>,
    /// Valid records by purpose.
    pub by_purpose: Vec<Count>,
    /// Valid records by category / topic, largest first.
    pub by_category: Vec<Count>,
    pub by_topic: Vec<Count>,
    pub dispatched: i64,
    pub completed: i64,
    pub overdue: i64,
    pub first_time_resolved: i64,
    pub callbacks: Callbacks,
    pub consultations: i64,
    pub consultations_answered_directly: i64,
    pub completion_ratio: Option<f64>,
    pub satisfaction_ratio: Option<f64>,
    pub resolution_ratio: Option<f64>,
    pub first_time_resolution_ratio: Option<f64>,
    pub instant_resolution_ratio: Option<f64>,
    /// Overdue orders by purpose, with their share of the valid records of that purpose.
    pub overdue_by_purpose: Vec<OverdueShare>,
    pub units_total: usize,
    pub units_assessed: usize,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ChannelDisposition {
    pub channel: String,
    pub disposition: String,
    pub count: i64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct OverdueShare {
    pub purpose: String,
    pub label: String,
    pub records: i64,
    pub overdue: i64,
    pub ratio: Option<f64>,
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

fn counts<T: Copy>(
    all: &[T],
    key: impl Fn(T) -> (&'static str, &'static str),
    n: impl Fn(T) -> i64,
) -> Vec<Count> {
    all.iter()
        .map(|&x| {
            let (k, l) = key(x);
            Count {
                key: k.to_owned(),
                label: l.to_owned(),
                count: n(x),
            }
        })
        .collect()
}

/// Days of `month` up to `as_of` (the whole month once it is over).
pub fn days_covered(month: Month, as_of: Millis, tz: TimeZone) -> u32 {
    let start = month.start(tz);
    let end = month.succ().start(tz);
    if as_of >= end {
        month.days()
    } else if as_of <= start {
        0
    } else {
        ((as_of - start + 86_400_000 - 1) / 86_400_000) as u32
    }
}

pub fn centre_figures(
    shared: &Shared,
    key: CentreKey,
    s: &CentreSum,
    as_of: Millis,
    a: &Assessment,
) -> CentreFigures {
    let records = s.records_where(None, None, None);
    let invalid = s.records_where(None, None, Some(Disposition::Invalid));
    let valid = records - invalid;
    let days = days_covered(key.month, as_of, shared.config.tz);
    let callbacks = Callbacks::new(s.callbacks, s.callbacks_resolved);
    let valid_of = |p: Purpose| {
        s.records_where(None, Some(p), None)
            - s.records_where(None, Some(p), Some(Disposition::Invalid))
    };
    let consultations = valid_of(Purpose::Consultation);
    let direct = s.records_where(
        None,
        Some(Purpose::Consultation),
        Some(Disposition::DirectAnswer),
    );
    let named = |m: &BTreeMap<LabelId, i64>, interner: &crate::units::Interner| {
        let mut v: Vec<Count> = m
            .iter()
            .filter(|(_, &n)| n != 0)
            .map(|(&id, &n)| {
                let name = interner.name(id).to_string();
                Count {
                    key: name.clone(),
                    label: name,
                    count: n,
                }
            })
            .collect();
        v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
        v
    };
    CentreFigures {
        center: shared.centers.name(key.center).to_string(),
        month: key.month.to_string(),
        as_of,
        days,
        records,
        valid_records: valid,
        daily_average: (days > 0).then(|| records as f64 / f64::from(days)),
        by_channel: counts(
            Channel::ALL,
            |c| (c.as_str(), c.zh()),
            |c| s.records_where(Some(c), None, None),
        ),
        by_disposition: counts(
            Disposition::ALL,
            |d| (d.as_str(), d.zh()),
            |d| s.records_where(None, None, Some(d)),
        ),
        by_channel_disposition: Channel::ALL
            .iter()
            .flat_map(|&c| Disposition::ALL.iter().map(move |&d| (c, d)))
            .map(|(c, d)| ChannelDisposition {
                channel: c.as_str().to_owned(),
                disposition: d.as_str().to_owned(),
                count: s.records_where(Some(c), None, Some(d)),
            })
            .filter(|x| x.count != 0)
            .collect(),
        by_purpose: counts(Purpose::ALL, |p| (p.as_str(), p.zh()), valid_of),
        by_category: named(&s.categories, &shared.categories),
        by_topic: named(&s.topics, &shared.topics),
        dispatched: s.dispatched,
        completed: s.completed,
        overdue: s.overdue,
        first_time_resolved: s.first_time_resolved,
        completion_ratio: ratio(s.completed as f64, s.dispatched),
        satisfaction_ratio: callbacks.satisfaction_ratio(a.basically_satisfied_weight),
        resolution_ratio: ratio(callbacks.resolved as f64, callbacks.total),
        first_time_resolution_ratio: ratio(s.first_time_resolved as f64, s.completed),
        instant_resolution_ratio: ratio(direct as f64, consultations),
        callbacks,
        consultations,
        consultations_answered_directly: direct,
        overdue_by_purpose: Purpose::ALL
            .iter()
            .map(|&p| OverdueShare {
                purpose: p.as_str().to_owned(),
                label: p.zh().to_owned(),
                records: valid_of(p),
                overdue: s.overdue_by_purpose[p.index()],
                ratio: ratio(s.overdue_by_purpose[p.index()] as f64, valid_of(p)),
            })
            .collect(),
        units_total: 0,
        units_assessed: 0,
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
