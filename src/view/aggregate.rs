//! Sums partition snapshots into plain numbers: per centre and month, per unit, and the
//! live counts. Summing integers makes the result independent of how orders were
//! spread over partitions, instances and threads.

use std::collections::BTreeMap;

use crate::engine::{
    record_index, CentreCounts, Dim, Handling, LiveCounts, MonthKey, MonthView, OverdueView,
    PartitionSnapshot, UnitCounts, RECORD_CELLS,
};
use crate::event::{Channel, Disposition, Month, Purpose};

/// One unit's month, summed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitSum {
    pub counts: UnitCounts,
    pub handling: Handling,
}

/// One centre's month, summed.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthSum {
    pub centre: CentreCounts,
    pub records: Vec<i64>,
    pub daily: Vec<i64>,
    pub overdue_by_purpose: [i64; Purpose::ALL.len()],
    /// (dimension, label, second label) → count.
    pub keyed: BTreeMap<(Dim, String, Option<String>), i64>,
    pub units: BTreeMap<String, UnitSum>,
    /// Sorted by deadline, then order id.
    pub overdue: Vec<OverdueView>,
}

impl Default for MonthSum {
    fn default() -> Self {
        MonthSum {
            centre: CentreCounts::default(),
            records: vec![0; RECORD_CELLS],
            daily: vec![0; 31],
            overdue_by_purpose: [0; 6],
            keyed: BTreeMap::new(),
            units: BTreeMap::new(),
            overdue: Vec::new(),
        }
    }
}

impl MonthSum {
    fn add(&mut self, v: &MonthView) {
        self.centre.add(&v.centre, 1);
        for (acc, n) in self.records.iter_mut().zip(&v.records) {
            *acc += n;
        }
        for (acc, n) in self.daily.iter_mut().zip(&v.daily) {
            *acc += n;
        }
        for (acc, n) in self
            .overdue_by_purpose
            .iter_mut()
            .zip(&v.overdue_by_purpose)
        {
            *acc += n;
        }
        for k in &v.keyed {
            *self
                .keyed
                .entry((k.dim, k.key.clone(), k.key2.clone()))
                .or_default() += k.n;
        }
        for (name, u) in &v.units {
            let s = self.units.entry(name.clone()).or_default();
            s.counts.add(&u.counts, 1);
            s.handling.merge(&u.handling);
        }
        self.overdue.extend(v.overdue.iter().cloned());
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

    /// The keyed counts of one dimension with a single label: label → count.
    pub fn keyed(&self, dim: Dim) -> impl Iterator<Item = (&str, i64)> {
        self.keyed
            .iter()
            .filter(move |((d, _, k2), n)| *d == dim && k2.is_none() && **n != 0)
            .map(|((_, k, _), n)| (k.as_str(), *n))
    }

    /// The keyed counts of one two-label dimension: (label, second label) → count.
    pub fn keyed2(&self, dim: Dim) -> impl Iterator<Item = (&str, &str, i64)> {
        self.keyed
            .iter()
            .filter(move |((d, _, k2), n)| *d == dim && k2.is_some() && **n != 0)
            .map(|((_, k, k2), n)| (k.as_str(), k2.as_deref().unwrap_or_default(), *n))
    }
}

/// Which slice of the state to sum.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub center: Option<String>,
    pub month: Option<Month>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Aggregate {
    pub months: BTreeMap<MonthKey, MonthSum>,
    /// (centre, unit) → live counts.
    pub live: BTreeMap<(String, String), LiveCounts>,
}

impl Aggregate {
    pub fn month(&self, center: &str, month: Month) -> Option<&MonthSum> {
        self.months.get(&(center.to_owned(), month))
    }
}

/// Sums the snapshots' slices selected by `filter`.
pub fn aggregate(snapshots: &[std::sync::Arc<PartitionSnapshot>], filter: &Filter) -> Aggregate {
    let mut agg = Aggregate::default();
    let centre_ok = |c: &str| filter.center.as_deref().is_none_or(|f| f == c);
    for snap in snapshots {
        for ((center, month), view) in &snap.months {
            if centre_ok(center) && filter.month.is_none_or(|m| m == *month) {
                agg.months
                    .entry((center.clone(), *month))
                    .or_default()
                    .add(view);
            }
        }
        for l in snap.live.iter() {
            if centre_ok(&l.center) {
                agg.live
                    .entry((l.center.clone(), l.unit.clone()))
                    .or_default()
                    .add(&l.counts, 1);
            }
        }
    }
    for m in agg.months.values_mut() {
        m.overdue
            .sort_by(|a, b| (a.due_at, &a.order_id).cmp(&(b.due_at, &b.order_id)));
        m.units
            .retain(|_, u| !(u.counts.is_zero() && u.handling.is_zero()));
    }
    agg.live.retain(|_, l| !l.is_zero());
    agg
}
