//! Sums the counters of every published partition into plain numbers.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;

use hdrhistogram::Histogram;

use crate::engine::analysis::AnalysisSum;
use crate::engine::{record_index, CentreKey, LiveKey, Shared, UnitKey, HANDLING_BUCKETS_SECS};
use crate::event::{Channel, Disposition, Month, Purpose};
use crate::units::LabelId;

#[derive(Debug, Clone, Default)]
pub struct UnitSum {
    pub assigned: i64,
    pub completed: i64,
    pub completed_on_time: i64,
    pub overdue: i64,
    pub returned: i64,
    pub reopened: i64,
    pub first_time_resolved: i64,
    pub late_extensions: i64,
    pub callbacks: [i64; 3],
    pub callbacks_resolved: i64,
    pub consultations: i64,
    pub consultations_answered_directly: i64,
    pub handling_buckets: [i64; 12],
    pub handling_count: i64,
    pub handling_sum_ms: i64,
    pub handling_hdr: Option<Histogram<u64>>,
}

impl UnitSum {
    /// True when nothing is counted: a key left behind by an order that moved to
    /// another month (or unit) is not data.
    pub fn is_zero(&self) -> bool {
        self.assigned == 0
            && self.completed == 0
            && self.completed_on_time == 0
            && self.overdue == 0
            && self.returned == 0
            && self.reopened == 0
            && self.first_time_resolved == 0
            && self.late_extensions == 0
            && self.callbacks == [0; 3]
            && self.callbacks_resolved == 0
            && self.consultations == 0
            && self.consultations_answered_directly == 0
            && self.handling_count == 0
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveSum {
    pub open: i64,
    pub open_overdue: i64,
    pub due_soon: i64,
}

#[derive(Debug, Clone)]
pub struct CentreSum {
    pub records: Vec<i64>,
    pub categories: BTreeMap<LabelId, i64>,
    pub topics: BTreeMap<LabelId, i64>,
    pub dispatched: i64,
    pub completed: i64,
    pub first_time_resolved: i64,
    pub overdue: i64,
    pub overdue_by_purpose: [i64; 6],
    pub callbacks: [i64; 3],
    pub callbacks_resolved: i64,
    pub analysis: AnalysisSum,
}

impl Default for CentreSum {
    fn default() -> Self {
        CentreSum {
            records: vec![0; Channel::ALL.len() * Purpose::ALL.len() * Disposition::ALL.len()],
            categories: BTreeMap::new(),
            topics: BTreeMap::new(),
            dispatched: 0,
            completed: 0,
            first_time_resolved: 0,
            overdue: 0,
            overdue_by_purpose: [0; 6],
            callbacks: [0; 3],
            callbacks_resolved: 0,
            analysis: AnalysisSum::default(),
        }
    }
}

impl CentreSum {
    pub fn is_zero(&self) -> bool {
        self.records.iter().all(|&n| n == 0)
            && self.dispatched == 0
            && self.completed == 0
            && self.first_time_resolved == 0
            && self.overdue == 0
            && self.callbacks == [0; 3]
            && self.callbacks_resolved == 0
    }

    pub fn record(&self, c: Channel, p: Purpose, d: Disposition) -> i64 {
        self.records[record_index(c, p, d)]
    }

    /// Sum of records matching the filters (None = any).
    pub fn records_where(
        &self,
        c: Option<Channel>,
        p: Option<Purpose>,
        d: Option<Disposition>,
    ) -> i64 {
        let mut n = 0;
        for &ch in Channel::ALL {
            for &pu in Purpose::ALL {
                for &di in Disposition::ALL {
                    if c.is_none_or(|x| x == ch)
                        && p.is_none_or(|x| x == pu)
                        && d.is_none_or(|x| x == di)
                    {
                        n += self.record(ch, pu, di);
                    }
                }
            }
        }
        n
    }
}

/// Which slice of the state to sum.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter {
    pub center: Option<LabelId>,
    pub month: Option<Month>,
    /// Merge HDR histograms (needed for quantiles only).
    pub quantiles: bool,
}

#[derive(Debug, Default)]
pub struct Aggregate {
    pub units: BTreeMap<UnitKey, UnitSum>,
    pub live: BTreeMap<LiveKey, LiveSum>,
    pub centre: BTreeMap<CentreKey, CentreSum>,
}

pub fn aggregate(shared: &Shared, filter: Filter) -> Aggregate {
    let mut agg = Aggregate::default();
    let keep = |center: LabelId, month: Option<Month>| {
        filter.center.is_none_or(|c| c == center)
            && (month.is_none() || filter.month.is_none_or(|m| Some(m) == month))
    };
    for view in shared.views() {
        for e in view.counters.units.iter() {
            let k = *e.key();
            if !keep(k.center, Some(k.month)) {
                continue;
            }
            let c = e.value();
            let s = agg.units.entry(k).or_default();
            s.assigned += c.assigned.load(Relaxed);
            s.completed += c.completed.load(Relaxed);
            s.completed_on_time += c.completed_on_time.load(Relaxed);
            s.overdue += c.overdue.load(Relaxed);
            s.returned += c.returned.load(Relaxed);
            s.reopened += c.reopened.load(Relaxed);
            s.first_time_resolved += c.first_time_resolved.load(Relaxed);
            s.late_extensions += c.late_extensions.load(Relaxed);
            for i in 0..3 {
                s.callbacks[i] += c.callbacks[i].load(Relaxed);
            }
            s.callbacks_resolved += c.callbacks_resolved.load(Relaxed);
            s.consultations += c.consultations.load(Relaxed);
            s.consultations_answered_directly += c.consultations_answered_directly.load(Relaxed);
            for i in 0..HANDLING_BUCKETS_SECS.len() {
                s.handling_buckets[i] += c.handling.buckets[i].load(Relaxed);
            }
            s.handling_count += c.handling.count.load(Relaxed);
            s.handling_sum_ms += c.handling.sum_ms.load(Relaxed);
            if filter.quantiles {
                let h = c.handling.histogram();
                match &mut s.handling_hdr {
                    Some(acc) => {
                        let _ = acc.add(&h);
                    }
                    None => s.handling_hdr = Some(h),
                }
            }
        }
        for e in view.counters.live.iter() {
            let k = *e.key();
            if !keep(k.center, None) {
                continue;
            }
            let c = e.value();
            let s = agg.live.entry(k).or_default();
            s.open += c.open.load(Relaxed);
            s.open_overdue += c.open_overdue.load(Relaxed);
            s.due_soon += c.due_soon.load(Relaxed);
        }
        for e in view.counters.centre.iter() {
            let k = *e.key();
            if !keep(k.center, Some(k.month)) {
                continue;
            }
            let c = e.value();
            let s = agg.centre.entry(k).or_default();
            for (i, r) in c.records.iter().enumerate() {
                s.records[i] += r.load(Relaxed);
            }
            for x in c.categories.iter() {
                *s.categories.entry(*x.key()).or_default() += x.value().load(Relaxed);
            }
            for x in c.topics.iter() {
                *s.topics.entry(*x.key()).or_default() += x.value().load(Relaxed);
            }
            s.dispatched += c.dispatched.load(Relaxed);
            s.completed += c.completed.load(Relaxed);
            s.first_time_resolved += c.first_time_resolved.load(Relaxed);
            s.overdue += c.overdue.load(Relaxed);
            for i in 0..6 {
                s.overdue_by_purpose[i] += c.overdue_by_purpose[i].load(Relaxed);
            }
            for i in 0..3 {
                s.callbacks[i] += c.callbacks[i].load(Relaxed);
            }
            s.callbacks_resolved += c.callbacks_resolved.load(Relaxed);
            c.analysis.add_to(&mut s.analysis);
        }
    }
    agg.units.retain(|_, s| !s.is_zero());
    agg.centre.retain(|_, s| !s.is_zero());
    agg
}
