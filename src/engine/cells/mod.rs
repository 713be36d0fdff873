//! A partition's counters: plain integers owned by the partition's one writer, moved
//! by the difference between an order's old and new contribution. Readers never see
//! them: they read the published [`super::snapshot`]s.
//!
//! Cells hold a reference on every label of their key, and a cell that falls back to
//! zero is removed, so that labels are freed with the last order that named them.

mod handling;
mod keyed;

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;
use smallvec::SmallVec;

pub use self::handling::{sparse_key, sparse_value, Handling};
use self::keyed::{keyed, Key};
pub use self::keyed::{Dim, NO_LABEL};
use super::counts::{CentreCounts, LiveCounts, UnitCounts};
use super::derive::{CentreContribution, Contribution, OverdueRow, UnitContribution};
use super::labels::{Interner, LabelId};
use crate::event::{Channel, Disposition, Month, Purpose};

/// Records by channel × purpose × disposition.
pub const RECORD_CELLS: usize = Channel::ALL.len() * Purpose::ALL.len() * Disposition::ALL.len();

pub fn record_index(c: Channel, p: Purpose, d: Disposition) -> usize {
    (c.index() * Purpose::ALL.len() + p.index()) * Disposition::ALL.len() + d.index()
}

#[derive(Debug, Default)]
pub struct UnitCell {
    pub counts: UnitCounts,
    pub handling: Handling,
}

/// Everything a partition counts for one centre's month.
#[derive(Debug)]
pub struct MonthCells {
    pub centre: CentreCounts,
    pub records: [i64; RECORD_CELLS],
    /// Records by local day of the month (index 0 = the 1st).
    pub daily: [i64; 31],
    /// Overdue orders by the purpose of their record ([`Purpose::index`]).
    pub overdue_by_purpose: [i64; Purpose::ALL.len()],
    pub keyed: HashMap<Key, i64, FxBuildHasher>,
    pub units: HashMap<LabelId, UnitCell, FxBuildHasher>,
    /// Overdue rows of the month's orders, by order slot.
    pub overdue: HashMap<u32, OverdueRow, FxBuildHasher>,
    /// Changed since the last snapshot.
    pub dirty: bool,
}

impl Default for MonthCells {
    fn default() -> Self {
        MonthCells {
            centre: CentreCounts::default(),
            records: [0; RECORD_CELLS],
            daily: [0; 31],
            overdue_by_purpose: [0; 6],
            keyed: HashMap::default(),
            units: HashMap::default(),
            overdue: HashMap::default(),
            dirty: true,
        }
    }
}

/// All counters of one partition.
#[derive(Default)]
pub struct Cells {
    pub months: HashMap<(LabelId, Month), MonthCells, FxBuildHasher>,
    pub live: HashMap<(LabelId, LabelId), LiveCounts, FxBuildHasher>,
    pub live_dirty: bool,
}

impl Cells {
    /// Moves the counters from `old` to `new` (either may be empty) for an order of
    /// `center`, touching only what changed.
    pub fn update(
        &mut self,
        labels: &mut Interner,
        center: LabelId,
        default_category: LabelId,
        old: &Contribution,
        new: &Contribution,
    ) {
        if old.month != new.month {
            self.whole(labels, center, default_category, old, -1);
            self.whole(labels, center, default_category, new, 1);
            return;
        }
        let Some(month) = new.month else { return };
        if old.centre != new.centre {
            self.month(labels, center, month).centre_diff(
                labels,
                Some(old),
                Some(new),
                default_category,
            );
        }
        for n in &new.units {
            let o = old.units.iter().find(|o| o.unit == n.unit);
            self.unit_diff(labels, center, month, o, Some(n));
        }
        for o in &old.units {
            if !new.units.iter().any(|n| n.unit == o.unit) {
                self.unit_diff(labels, center, month, Some(o), None);
            }
        }
        self.drop_if_empty(labels, center, month);
    }

    fn whole(
        &mut self,
        labels: &mut Interner,
        center: LabelId,
        default_category: LabelId,
        c: &Contribution,
        sign: i64,
    ) {
        let Some(month) = c.month else { return };
        let (old, new) = if sign > 0 {
            (None, Some(c))
        } else {
            (Some(c), None)
        };
        self.month(labels, center, month)
            .centre_diff(labels, old, new, default_category);
        for u in &c.units {
            if sign > 0 {
                self.unit_diff(labels, center, month, None, Some(u));
            } else {
                self.unit_diff(labels, center, month, Some(u), None);
            }
        }
        self.drop_if_empty(labels, center, month);
    }

    fn month(&mut self, labels: &mut Interner, center: LabelId, month: Month) -> &mut MonthCells {
        let m = self.months.entry((center, month)).or_insert_with(|| {
            labels.retain(center);
            MonthCells::default()
        });
        m.dirty = true;
        m
    }

    fn drop_if_empty(&mut self, labels: &mut Interner, center: LabelId, month: Month) {
        if self.months.get(&(center, month)).is_some_and(|m| {
            m.centre.is_zero()
                && m.units.is_empty()
                && m.keyed.is_empty()
                && m.overdue.is_empty()
                && m.records.iter().all(|&n| n == 0)
        }) {
            self.remove_month(labels, center, month);
        }
    }

    fn unit_diff(
        &mut self,
        labels: &mut Interner,
        center: LabelId,
        month: Month,
        old: Option<&UnitContribution>,
        new: Option<&UnitContribution>,
    ) {
        let zero = UnitContribution::default();
        let (o, n) = (old.unwrap_or(&zero), new.unwrap_or(&zero));
        let unit = new.or(old).map_or(0, |u| u.unit);
        let delta = n.counts.minus(&o.counts);
        if !delta.is_zero() || o.handling_ms != n.handling_ms {
            let m = self.month(labels, center, month);
            let cell = m.units.entry(unit).or_insert_with(|| {
                labels.retain(unit);
                UnitCell::default()
            });
            cell.counts.add(&delta, 1);
            if o.handling_ms != n.handling_ms {
                if let Some(ms) = o.handling_ms {
                    cell.handling.record(ms, -1);
                }
                if let Some(ms) = n.handling_ms {
                    cell.handling.record(ms, 1);
                }
            }
            if cell.counts.is_zero() && cell.handling.is_zero() {
                m.units.remove(&unit);
                labels.release(unit);
            }
        }
        let live = n.live.minus(&o.live);
        if !live.is_zero() {
            self.live_dirty = true;
            let cell = self.live.entry((center, unit)).or_insert_with(|| {
                labels.retain(center);
                labels.retain(unit);
                LiveCounts::default()
            });
            cell.add(&live, 1);
            if cell.is_zero() {
                self.live.remove(&(center, unit));
                labels.release(center);
                labels.release(unit);
            }
        }
    }

    /// Drops a month's counters (retention) and the label references they held.
    pub fn remove_month(&mut self, labels: &mut Interner, center: LabelId, month: Month) {
        let Some(m) = self.months.remove(&(center, month)) else {
            return;
        };
        labels.release(center);
        for unit in m.units.keys() {
            labels.release(*unit);
        }
        for &(_, a, b) in m.keyed.keys() {
            labels.release(a);
            if b != NO_LABEL {
                labels.release(b);
            }
        }
    }

    /// Months held, for eviction.
    pub fn months_before(&self, cutoff: Month) -> Vec<(LabelId, Month)> {
        self.months
            .keys()
            .filter(|(_, m)| *m < cutoff)
            .copied()
            .collect()
    }

    /// Sets or clears an order's overdue row.
    pub fn set_overdue(
        &mut self,
        labels: &mut Interner,
        center: LabelId,
        old_month: Option<Month>,
        new_month: Option<Month>,
        slot: u32,
        row: Option<OverdueRow>,
    ) {
        if let Some(m) = old_month {
            if let Some(cells) = self.months.get_mut(&(center, m)) {
                if cells.overdue.remove(&slot).is_some() {
                    cells.dirty = true;
                }
            }
            self.drop_if_empty(labels, center, m);
        }
        if let (Some(m), Some(row)) = (new_month, row) {
            self.month(labels, center, m).overdue.insert(slot, row);
        }
    }
}

impl MonthCells {
    /// Moves the centre's counts from an order's `old` contribution to its `new` one
    /// (`None`: nothing), touching only what differs: a callback or a completion
    /// changes a count or two, not the order's record or its keyed counts.
    fn centre_diff(
        &mut self,
        labels: &mut Interner,
        old: Option<&Contribution>,
        new: Option<&Contribution>,
        default: LabelId,
    ) {
        let (o, n) = (old.map(|c| &c.centre), new.map(|c| &c.centre));
        let counts = |c: Option<&CentreContribution>| c.map(|c| c.counts).unwrap_or_default();
        self.centre.add(&counts(n).minus(&counts(o)), 1);
        let (old_record, new_record) = (o.and_then(|c| c.record), n.and_then(|c| c.record));
        if old_record != new_record {
            for (r, sign) in [(old_record, -1), (new_record, 1)] {
                let Some(r) = r else { continue };
                self.records[record_index(r.channel, r.purpose, r.disposition)] += sign;
                if let Some(d) = self.daily.get_mut(usize::from(r.day).saturating_sub(1)) {
                    *d += sign;
                }
            }
        }
        // Overdue orders by purpose: (purpose) when the order is overdue.
        let overdue = |c: Option<&CentreContribution>| {
            c.filter(|c| c.counts.overdue != 0)
                .map(|c| c.record.map_or(Purpose::Other, |r| r.purpose))
        };
        let (old_overdue, new_overdue) = (overdue(o), overdue(n));
        if old_overdue != new_overdue {
            for (p, sign) in [(old_overdue, -1), (new_overdue, 1)] {
                if let Some(p) = p {
                    self.overdue_by_purpose[p.index()] += sign;
                }
            }
        }
        // Keys in both cancel out.
        let mut gone: SmallVec<[Key; 8]> = SmallVec::new();
        if let Some(c) = old {
            keyed(c, default, |key| gone.push(key));
        }
        if let Some(c) = new {
            keyed(c, default, |key| {
                match gone.iter().position(|&k| k == key) {
                    Some(i) => {
                        gone.swap_remove(i);
                    }
                    None => self.add_keyed(labels, key, 1),
                }
            });
        }
        for key in gone {
            self.add_keyed(labels, key, -1);
        }
    }

    /// Moves one keyed count; a count back at zero goes, with its label references.
    fn add_keyed(&mut self, labels: &mut Interner, key: Key, sign: i64) {
        let n = self.keyed.entry(key).or_insert_with(|| {
            labels.retain(key.1);
            if key.2 != NO_LABEL {
                labels.retain(key.2);
            }
            0
        });
        *n += sign;
        if *n == 0 {
            self.keyed.remove(&key);
            labels.release(key.1);
            if key.2 != NO_LABEL {
                labels.release(key.2);
            }
        }
    }
}
