//! Per-partition counters, written by the partition's single writer with atomics and
//! read concurrently by the views (scrapes, API, report) without stopping the writer.

use std::sync::atomic::{AtomicI64, Ordering::Relaxed};
use std::sync::Arc;

use dashmap::DashMap;
use hdrhistogram::Histogram;
use parking_lot::Mutex;
use rustc_hash::FxBuildHasher;

use super::analysis::AnalysisCells;
use super::derive::{Contribution, Rating, UnitContribution};
use crate::event::{Channel, Disposition, Month, Purpose, Satisfaction};
use crate::units::LabelId;

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

const RECORD_CELLS: usize = 8 * 6 * 3;

pub fn record_index(c: Channel, p: Purpose, d: Disposition) -> usize {
    (c.index() * 6 + p.index()) * 3 + d.index()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitKey {
    pub center: LabelId,
    pub month: Month,
    pub unit: LabelId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CentreKey {
    pub center: LabelId,
    pub month: Month,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LiveKey {
    pub center: LabelId,
    pub unit: LabelId,
}

fn add(cell: &AtomicI64, v: i64) {
    if v != 0 {
        cell.fetch_add(v, Relaxed);
    }
}

/// Handling time of completed assignments: fixed buckets for Prometheus and an HDR
/// histogram for quantiles. HDR histograms cannot forget a value, so values that a
/// late event takes back are recorded in `removed` and subtracted when read.
pub struct Handling {
    pub buckets: [AtomicI64; 12],
    pub count: AtomicI64,
    pub sum_ms: AtomicI64,
    hdr: Mutex<HdrPair>,
}

struct HdrPair {
    added: Histogram<u64>,
    removed: Histogram<u64>,
}

fn new_hdr() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 400 * 86_400, 2).expect("static bounds are valid")
}

impl Default for Handling {
    fn default() -> Self {
        Handling {
            buckets: Default::default(),
            count: AtomicI64::new(0),
            sum_ms: AtomicI64::new(0),
            hdr: Mutex::new(HdrPair {
                added: new_hdr(),
                removed: new_hdr(),
            }),
        }
    }
}

impl Handling {
    fn record(&self, ms: i64, sign: i64) {
        let ms = ms.max(0);
        let secs = (ms / 1000) as u64;
        if let Some(i) = HANDLING_BUCKETS_SECS.iter().position(|&b| secs <= b) {
            add(&self.buckets[i], sign);
        }
        add(&self.count, sign);
        add(&self.sum_ms, sign * ms);
        let mut hdr = self.hdr.lock();
        if sign > 0 {
            hdr.added.saturating_record(secs);
        } else {
            hdr.removed.saturating_record(secs);
        }
    }

    /// A copy of the HDR histogram of the values currently recorded.
    pub fn histogram(&self) -> Histogram<u64> {
        let hdr = self.hdr.lock();
        let mut h = hdr.added.clone();
        if !hdr.removed.is_empty() {
            // Every removed value was added before, so this cannot underflow.
            let _ = h.subtract(&hdr.removed);
        }
        h
    }
}

#[derive(Default)]
pub struct UnitCells {
    pub assigned: AtomicI64,
    pub completed: AtomicI64,
    pub completed_on_time: AtomicI64,
    pub overdue: AtomicI64,
    pub returned: AtomicI64,
    pub reopened: AtomicI64,
    pub first_time_resolved: AtomicI64,
    pub late_extensions: AtomicI64,
    /// By [`Satisfaction::index`].
    pub callbacks: [AtomicI64; 3],
    pub callbacks_resolved: AtomicI64,
    pub consultations: AtomicI64,
    pub consultations_answered_directly: AtomicI64,
    pub handling: Handling,
}

#[derive(Default)]
pub struct LiveCells {
    pub open: AtomicI64,
    pub open_overdue: AtomicI64,
    pub due_soon: AtomicI64,
}

pub struct CentreCells {
    /// By [`record_index`].
    pub records: [AtomicI64; RECORD_CELLS],
    /// Valid records (disposition ≠ invalid) by category / topic.
    pub categories: DashMap<LabelId, AtomicI64, FxBuildHasher>,
    pub topics: DashMap<LabelId, AtomicI64, FxBuildHasher>,
    pub dispatched: AtomicI64,
    pub completed: AtomicI64,
    pub first_time_resolved: AtomicI64,
    pub overdue: AtomicI64,
    /// Overdue orders by the purpose of their record ([`Purpose::index`]).
    pub overdue_by_purpose: [AtomicI64; 6],
    pub callbacks: [AtomicI64; 3],
    pub callbacks_resolved: AtomicI64,
    /// The bulletin's analysis (数据分析), kept apart in `analysis.rs`.
    pub analysis: AnalysisCells,
}

impl Default for CentreCells {
    fn default() -> Self {
        CentreCells {
            records: std::array::from_fn(|_| AtomicI64::new(0)),
            categories: DashMap::default(),
            topics: DashMap::default(),
            dispatched: AtomicI64::new(0),
            completed: AtomicI64::new(0),
            first_time_resolved: AtomicI64::new(0),
            overdue: AtomicI64::new(0),
            overdue_by_purpose: Default::default(),
            callbacks: Default::default(),
            callbacks_resolved: AtomicI64::new(0),
            analysis: AnalysisCells::default(),
        }
    }
}

/// All counters of one partition.
#[derive(Default)]
pub struct Counters {
    pub units: DashMap<UnitKey, Arc<UnitCells>, FxBuildHasher>,
    pub live: DashMap<LiveKey, Arc<LiveCells>, FxBuildHasher>,
    pub centre: DashMap<CentreKey, Arc<CentreCells>, FxBuildHasher>,
}

fn cell<K: std::hash::Hash + Eq + Copy, V: Default>(
    map: &DashMap<K, Arc<V>, FxBuildHasher>,
    key: K,
) -> Arc<V> {
    if let Some(v) = map.get(&key) {
        return v.clone();
    }
    map.entry(key).or_default().clone()
}

fn b(v: bool) -> i64 {
    i64::from(v)
}

fn rating_cells(r: Option<Rating>) -> [i64; 4] {
    let mut v = [0; 4];
    if let Some(r) = r {
        v[r.satisfaction.index()] = 1;
        v[3] = b(r.resolved);
    }
    v
}

impl Counters {
    /// Moves the counters from `old` to `new` (either may be empty), touching only
    /// what changed.
    pub fn update(&self, center: LabelId, old: &Contribution, new: &Contribution) {
        if old.month != new.month {
            self.apply_whole(center, old, -1);
            self.apply_whole(center, new, 1);
            return;
        }
        let Some(month) = new.month else { return };
        self.centre_diff(CentreKey { center, month }, old, new);
        for n in &new.units {
            let o = old.units.iter().find(|o| o.unit == n.unit);
            self.unit_diff(center, month, o, Some(n));
        }
        for o in &old.units {
            if !new.units.iter().any(|n| n.unit == o.unit) {
                self.unit_diff(center, month, Some(o), None);
            }
        }
    }

    fn apply_whole(&self, center: LabelId, c: &Contribution, sign: i64) {
        let Some(month) = c.month else { return };
        let empty = Contribution::default();
        let (old, new) = if sign > 0 { (&empty, c) } else { (c, &empty) };
        self.centre_diff(CentreKey { center, month }, old, new);
        for u in &c.units {
            if sign > 0 {
                self.unit_diff(center, month, None, Some(u));
            } else {
                self.unit_diff(center, month, Some(u), None);
            }
        }
    }

    fn centre_diff(&self, key: CentreKey, old: &Contribution, new: &Contribution) {
        if old == new {
            return;
        }
        let cells = cell(&self.centre, key);
        if old.record != new.record {
            for (r, sign) in [(old.record, -1), (new.record, 1)] {
                let Some(r) = r else { continue };
                add(
                    &cells.records[record_index(r.channel, r.purpose, r.disposition)],
                    sign,
                );
                if r.disposition != Disposition::Invalid {
                    add(&cells.categories.entry(r.category).or_default(), sign);
                    if let Some(t) = r.topic {
                        add(&cells.topics.entry(t).or_default(), sign);
                    }
                }
            }
        }
        add(&cells.dispatched, b(new.dispatched) - b(old.dispatched));
        add(&cells.completed, b(new.completed) - b(old.completed));
        add(
            &cells.first_time_resolved,
            b(new.first_time) - b(old.first_time),
        );
        add(&cells.overdue, b(new.overdue) - b(old.overdue));
        let purpose = |c: &Contribution| c.record.map(|r| r.purpose).unwrap_or(Purpose::Other);
        if old.overdue {
            add(&cells.overdue_by_purpose[purpose(old).index()], -1);
        }
        if new.overdue {
            add(&cells.overdue_by_purpose[purpose(new).index()], 1);
        }
        let (ro, rn) = (rating_cells(old.callback), rating_cells(new.callback));
        for i in 0..3 {
            add(&cells.callbacks[i], rn[i] - ro[i]);
        }
        add(&cells.callbacks_resolved, rn[3] - ro[3]);
        cells.analysis.update(&old.analysis, &new.analysis);
    }

    fn unit_diff(
        &self,
        center: LabelId,
        month: Month,
        old: Option<&UnitContribution>,
        new: Option<&UnitContribution>,
    ) {
        let zero = UnitContribution::default();
        let (o, n) = (old.unwrap_or(&zero), new.unwrap_or(&zero));
        let unit = new.or(old).map_or(0, |u| u.unit);
        let counted = |u: &UnitContribution| UnitContribution {
            open: false,
            open_overdue: false,
            due_soon: false,
            ..*u
        };
        if counted(o) != counted(n) {
            let cells = cell(
                &self.units,
                UnitKey {
                    center,
                    month,
                    unit,
                },
            );
            add(&cells.assigned, b(n.assigned) - b(o.assigned));
            add(&cells.completed, b(n.completed) - b(o.completed));
            add(&cells.completed_on_time, b(n.on_time) - b(o.on_time));
            add(&cells.overdue, b(n.overdue) - b(o.overdue));
            add(&cells.returned, b(n.returned) - b(o.returned));
            add(&cells.reopened, b(n.reopened) - b(o.reopened));
            add(
                &cells.first_time_resolved,
                b(n.first_time) - b(o.first_time),
            );
            add(
                &cells.late_extensions,
                i64::from(n.late_extensions) - i64::from(o.late_extensions),
            );
            let (ro, rn) = (rating_cells(o.callback), rating_cells(n.callback));
            for i in 0..3 {
                add(&cells.callbacks[i], rn[i] - ro[i]);
            }
            add(&cells.callbacks_resolved, rn[3] - ro[3]);
            let consult = |c: Option<bool>| (b(c.is_some()), b(c == Some(true)));
            let (co, cn) = (consult(o.consultation), consult(n.consultation));
            add(&cells.consultations, cn.0 - co.0);
            add(&cells.consultations_answered_directly, cn.1 - co.1);
            if o.handling_ms != n.handling_ms {
                if let Some(ms) = o.handling_ms {
                    cells.handling.record(ms, -1);
                }
                if let Some(ms) = n.handling_ms {
                    cells.handling.record(ms, 1);
                }
            }
        }
        if (o.open, o.open_overdue, o.due_soon) != (n.open, n.open_overdue, n.due_soon) {
            let live = cell(&self.live, LiveKey { center, unit });
            add(&live.open, b(n.open) - b(o.open));
            add(&live.open_overdue, b(n.open_overdue) - b(o.open_overdue));
            add(&live.due_soon, b(n.due_soon) - b(o.due_soon));
        }
    }

    /// Drops the per-month counters of months before `cutoff`.
    pub fn evict_before(&self, cutoff: Month) {
        self.units.retain(|k, _| k.month >= cutoff);
        self.centre.retain(|k, _| k.month >= cutoff);
    }
}

impl Satisfaction {
    /// Whether a rating counts as satisfied, with 基本满意 weighted by `w`.
    pub fn weight(self, w: f64) -> f64 {
        match self {
            Satisfaction::Satisfied => 1.0,
            Satisfaction::BasicallySatisfied => w,
            Satisfaction::Unsatisfied => 0.0,
        }
    }
}
