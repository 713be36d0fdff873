//! The centre's figures of a month: records by channel, disposition, purpose and
//! category, dispatched/completed/overdue orders, the centre ratios.

use std::collections::BTreeMap;

use serde::Serialize;

use super::aggregate::{aggregate, CentreSum, Filter};
use super::figures::{ratio, Callbacks};
use crate::config::Assessment;
use crate::engine::analysis::AnalysisFigures;
use crate::engine::{CentreKey, Shared};
use crate::event::{Channel, Disposition, Millis, Month, Purpose, TimeZone};
use crate::units::LabelId;

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

/// The bulletin's analysis figures (数据分析) of a centre's month, or `None` if the month
/// holds no data.
pub fn analysis(shared: &Shared, center: LabelId, month: Month) -> Option<AnalysisFigures> {
    let filter = Filter {
        center: Some(center),
        month: Some(month),
        quantiles: false,
    };
    let agg = aggregate(shared, filter);
    let s = agg.centre.get(&CentreKey { center, month })?;
    Some(s.analysis.figures(shared, month))
}
