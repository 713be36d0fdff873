//! The centre's figures of a month: records by channel, disposition, purpose and
//! category, dispatched/completed/overdue orders, the centre ratios.

use serde::Serialize;

use super::aggregate::MonthSum;
use super::figures::{ratio, Callbacks};
use crate::config::{Assessment, EngineConfig};
use crate::engine::Dim;
use crate::event::{Channel, Disposition, Millis, Month, Purpose, TimeZone};

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

/// Days of `month` up to `as_of`, begun days included (the whole month once it is
/// over): the local day of the month of the last instant before `as_of`, so a day an
/// hour shorter or longer (a DST change) is still one day.
pub fn days_covered(month: Month, as_of: Millis, tz: TimeZone) -> u32 {
    use chrono::Datelike;
    if as_of >= month.succ().start(tz) {
        month.days()
    } else if as_of <= month.start(tz) {
        0
    } else {
        tz.local(as_of - 1).day()
    }
}

/// Labelled counts, largest first, then by name.
fn named<'a>(counts: impl Iterator<Item = (&'a str, i64)>) -> Vec<Count> {
    let mut v: Vec<Count> = counts
        .map(|(name, n)| Count {
            key: name.to_owned(),
            label: name.to_owned(),
            count: n,
        })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    v
}

pub fn centre_figures(
    s: &MonthSum,
    config: &EngineConfig,
    center: &str,
    month: Month,
    as_of: Millis,
    a: &Assessment,
) -> CentreFigures {
    let records = s.records_where(None, None, None);
    let invalid = s.records_where(None, None, Some(Disposition::Invalid));
    let valid = records - invalid;
    let days = days_covered(month, as_of, config.tz);
    let callbacks = Callbacks::of(&s.centre, s.centre.callbacks_resolved.into());
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
    CentreFigures {
        center: center.to_owned(),
        month: month.to_string(),
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
        by_category: named(s.keyed(Dim::Category)),
        by_topic: named(s.keyed(Dim::Topic)),
        dispatched: i64::from(s.centre.dispatched),
        completed: i64::from(s.centre.completed),
        overdue: i64::from(s.centre.overdue),
        first_time_resolved: i64::from(s.centre.first_time_resolved),
        completion_ratio: ratio(s.centre.completed as f64, s.centre.dispatched),
        satisfaction_ratio: callbacks.satisfaction_ratio(a.basically_satisfied_weight),
        resolution_ratio: ratio(callbacks.resolved as f64, callbacks.total),
        first_time_resolution_ratio: ratio(s.centre.first_time_resolved as f64, s.centre.completed),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::parse_timestamp;

    #[test]
    fn days_covered_counts_local_days_begun() {
        let nov: Month = "2024-11".parse().unwrap();
        let cst = TimeZone::CHINA;
        let at = |s: &str, tz| parse_timestamp(s, tz).unwrap();
        assert_eq!(days_covered(nov, at("2024-11-01 00:00:00", cst), cst), 0);
        assert_eq!(days_covered(nov, at("2024-11-01 00:00:01", cst), cst), 1);
        assert_eq!(days_covered(nov, at("2024-11-02 00:00:00", cst), cst), 1);
        assert_eq!(days_covered(nov, at("2024-11-12 18:00:00", cst), cst), 12);
        assert_eq!(days_covered(nov, at("2024-12-05 00:00:00", cst), cst), 30);
        // March 2025 in Berlin loses an hour on the 30th: the 31st still counts.
        let berlin: TimeZone = "Europe/Berlin".parse().unwrap();
        let mar: Month = "2025-03".parse().unwrap();
        assert_eq!(
            days_covered(mar, at("2025-03-31 00:30:00", berlin), berlin),
            31
        );
        assert_eq!(
            days_covered(mar, at("2025-03-30 23:59:00", berlin), berlin),
            30
        );
    }
}
