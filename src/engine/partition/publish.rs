//! The partition's snapshot: its counters with label names resolved. Months that did
//! not change since the last snapshot are shared, not rebuilt.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Partition;
use crate::engine::cells::{MonthCells, NO_LABEL};
use crate::engine::labels::Interner;
use crate::engine::orders::Orders;
use crate::engine::snapshot::{
    KeyedCount, LiveView, MonthView, OverdueView, PartitionSnapshot, UnitView,
};

impl Partition {
    /// What the read side sees now. Also hands the pipeline counters over.
    pub fn snapshot(&mut self) -> PartitionSnapshot {
        self.settle_all();
        self.stats.flush_into(&self.shared.stats);
        let mut months = BTreeMap::new();
        let mut published = std::mem::take(&mut self.published);
        for (&(center, month), cells) in self.cells.months.iter_mut() {
            let view = match published.remove(&(center, month)) {
                Some(view) if !cells.dirty => view,
                _ => Arc::new(month_view(&self.labels, &self.orders, cells)),
            };
            cells.dirty = false;
            months.insert((self.labels.name(center).to_owned(), month), view.clone());
            self.published.insert((center, month), view);
        }
        if self.cells.live_dirty {
            let mut live: Vec<LiveView> = self
                .cells
                .live
                .iter()
                .map(|(&(c, u), counts)| LiveView {
                    center: self.labels.name(c).to_owned(),
                    unit: self.labels.name(u).to_owned(),
                    counts: *counts,
                })
                .collect();
            live.sort_by(|a, b| (&a.center, &a.unit).cmp(&(&b.center, &b.unit)));
            self.published_live = Arc::new(live);
            self.cells.live_dirty = false;
        }
        PartitionSnapshot {
            months,
            live: self.published_live.clone(),
            orders_tracked: self.orders.len() as u64,
            as_of: self.as_of,
        }
    }
}

fn month_view(labels: &Interner, orders: &Orders, cells: &MonthCells) -> MonthView {
    let name = |id| labels.name(id).to_owned();
    let mut keyed: Vec<KeyedCount> = cells
        .keyed
        .iter()
        .map(|(&(dim, a, b), &n)| KeyedCount {
            dim,
            key: name(a),
            key2: (b != NO_LABEL).then(|| name(b)),
            n,
        })
        .collect();
    keyed.sort_by(|x, y| (x.dim, &x.key, &x.key2).cmp(&(y.dim, &y.key, &y.key2)));
    let mut overdue: Vec<OverdueView> = cells
        .overdue
        .iter()
        .filter_map(|(&slot, row)| {
            Some(OverdueView {
                order_id: orders.get(slot)?.order_id().to_owned(),
                units: row.units.iter().map(|&u| name(u)).collect(),
                due_at: row.due_at,
                replied_at: row.replied_at,
                reasons: row.reasons.iter().map(|&r| name(r)).collect(),
                returns: row.returns,
                purpose: row.purpose,
            })
        })
        .collect();
    overdue.sort_by(|a, b| (a.due_at, &a.order_id).cmp(&(b.due_at, &b.order_id)));
    MonthView {
        centre: cells.centre,
        records: cells.records.to_vec(),
        daily: cells.daily.to_vec(),
        overdue_by_purpose: cells.overdue_by_purpose.to_vec(),
        keyed,
        units: cells
            .units
            .iter()
            .map(|(&u, c)| {
                (
                    name(u),
                    UnitView {
                        counts: c.counts,
                        handling: c.handling.clone(),
                    },
                )
            })
            .collect(),
        overdue,
    }
}
