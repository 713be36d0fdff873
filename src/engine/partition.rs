//! One slice of state with a single writer: the orders of one Kafka partition (or of
//! a whole replay), their timers, and the counters they feed.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use dashmap::DashMap;
use std::hash::{Hash, Hasher};

use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHasher};
use slab::Slab;

use super::counters::Counters;
use super::derive::{derive, Contribution, Ctx, Derived, OverdueRow};
use super::stored::{insert_sorted, Payload, StoredEvent};
use super::{Outcome, Shared};
use crate::event::{month_of, Event, Millis, Month};
use crate::units::LabelId;

/// Orders are keyed by centre and order id: two cities may reuse a number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderKey {
    pub center: LabelId,
    pub order_id: Box<str>,
}

/// An overdue order as the views list it.
#[derive(Debug, Clone)]
pub struct OverdueEntry {
    pub month: Month,
    pub row: OverdueRow,
}

/// What a partition shows the read side.
#[derive(Default)]
pub struct PartitionView {
    pub counters: Counters,
    pub overdue: DashMap<OrderKey, OverdueEntry, FxBuildHasher>,
    pub orders_tracked: std::sync::atomic::AtomicI64,
}

struct Order {
    key: OrderKey,
    events: Vec<StoredEvent>,
    /// Cohort month of the contribution currently applied.
    month: Option<Month>,
    /// Earliest pending timer, to avoid queueing the same time twice.
    timer: Option<Millis>,
}

/// The writer of one slice of state. Not `Sync`: one thread owns it.
pub struct Partition {
    id: i32,
    shared: Arc<Shared>,
    view: Arc<PartitionView>,
    /// Slots by order key; the key itself lives only in the slot (one copy per order).
    index: HashTable<usize>,
    orders: Slab<Order>,
    timers: BinaryHeap<Reverse<(Millis, usize)>>,
    as_of: Millis,
    cutoff: Option<Month>,
}

impl Partition {
    /// Creates the partition and publishes its view; dropping it withdraws the view,
    /// so a revoked Kafka partition leaves this instance's figures.
    pub fn new(id: i32, shared: Arc<Shared>) -> Self {
        let view = Arc::new(PartitionView::default());
        shared.views.write().insert(id, view.clone());
        Partition {
            id,
            shared,
            view,
            index: HashTable::new(),
            orders: Slab::new(),
            timers: BinaryHeap::new(),
            as_of: Millis::MIN,
            cutoff: None,
        }
    }

    pub fn id(&self) -> i32 {
        self.id
    }

    pub fn as_of(&self) -> Millis {
        self.as_of
    }

    pub fn len(&self) -> usize {
        self.orders.len()
    }

    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }

    fn ctx(&self) -> Ctx {
        Ctx {
            tz: self.shared.config.tz,
            as_of: self.as_of,
            due_soon_window_ms: self.shared.config.due_soon_window_ms,
        }
    }

    /// Moves the as-of time forward (never back): open assignments whose deadline
    /// passes become overdue, months that leave the retention window are evicted.
    pub fn advance(&mut self, as_of: Millis) {
        if as_of <= self.as_of {
            return;
        }
        // Every order's applied contribution is derive(events, self.as_of): evict with
        // that, then move time and re-derive the orders whose figures change.
        let before = self.as_of;
        let month = month_of(as_of, self.shared.config.tz);
        let cutoff = month.pred(self.shared.config.retention_months.saturating_sub(1));
        if self.cutoff.is_none_or(|c| c < cutoff) {
            self.cutoff = Some(cutoff);
            self.evict_before(cutoff);
        }
        self.as_of = as_of;
        while let Some(&Reverse((t, slot))) = self.timers.peek() {
            if t > as_of {
                break;
            }
            self.timers.pop();
            // Only the order's earliest pending timer is live; others are stale copies.
            if self.orders.get(slot).is_some_and(|o| o.timer == Some(t)) {
                self.orders[slot].timer = None;
                self.refresh(slot, None, before);
            }
        }
    }

    fn evict_before(&mut self, cutoff: Month) {
        let old: Vec<usize> = self
            .orders
            .iter()
            .filter(|(_, o)| o.month.is_some_and(|m| m < cutoff))
            .map(|(slot, _)| slot)
            .collect();
        for slot in old {
            let order = self.orders.remove(slot);
            let before = derive(&order.events, &self.ctx());
            self.view.counters.update(
                order.key.center,
                &before.contribution,
                &Contribution::default(),
            );
            self.view.overdue.remove(&order.key);
            self.unindex(&order.key, slot);
        }
        self.view.counters.evict_before(cutoff);
        self.view
            .orders_tracked
            .store(self.orders.len() as i64, Relaxed);
    }

    /// Applies one decoded event at the given as-of time.
    pub fn apply(&mut self, event: Event, as_of: Millis) -> Outcome {
        self.apply_counted(event, as_of, true)
    }

    /// Applies an event restored from a checkpoint: like [`Partition::apply`], but
    /// the pipeline counters (events applied, duplicates, late) are left alone, since
    /// the event was counted when it was first consumed.
    pub fn restore(&mut self, event: Event, as_of: Millis) -> Outcome {
        self.apply_counted(event, as_of, false)
    }

    fn apply_counted(&mut self, event: Event, as_of: Millis, count: bool) -> Outcome {
        self.advance(as_of);
        let shared = self.shared.clone();
        let stats = &shared.stats;
        let bump = |c: &std::sync::atomic::AtomicU64, n: u64| {
            if count {
                c.fetch_add(n, Relaxed);
            }
        };
        let center_name = event
            .center
            .as_deref()
            .unwrap_or(&shared.config.default_center);
        let (center, _) = shared.centers.intern(center_name);
        let event_type = event.kind.event_type();
        let key = OrderKey {
            center,
            order_id: event.order_id.into_boxed_str(),
        };
        let hash = key_hash(center, &key.order_id);
        let slot = {
            let orders = &self.orders;
            self.index.find(hash, |&s| orders[s].key == key).copied()
        };
        if let Some(slot) = slot {
            if self.orders[slot]
                .events
                .iter()
                .any(|e| *e.event_id == *event.event_id)
            {
                bump(&stats.duplicates, 1);
                return Outcome::Duplicate;
            }
        } else if self
            .cutoff
            .is_some_and(|c| month_of(event.at, shared.config.tz) < c)
        {
            bump(&stats.late, 1);
            return Outcome::Late;
        }
        let (stored, unknown_units) = shared.store(event.event_id, event.at, event.kind);
        let slot = match slot {
            Some(slot) => slot,
            None => {
                let slot = self.orders.insert(Order {
                    key,
                    events: Vec::with_capacity(1),
                    month: None,
                    timer: None,
                });
                let orders = &self.orders;
                self.index.insert_unique(hash, slot, |&s| {
                    key_hash(orders[s].key.center, &orders[s].key.order_id)
                });
                self.view
                    .orders_tracked
                    .store(self.orders.len() as i64, Relaxed);
                slot
            }
        };
        if !self.refresh(slot, Some(stored), self.as_of) {
            bump(&stats.late, 1);
            if self.orders[slot].events.is_empty() {
                let order = self.orders.remove(slot);
                self.unindex(&order.key, slot);
                self.view
                    .orders_tracked
                    .store(self.orders.len() as i64, Relaxed);
            }
            return Outcome::Late;
        }
        bump(&stats.applied[event_type as usize], 1);
        bump(&stats.unknown_units, unknown_units);
        Outcome::Applied
    }

    fn unindex(&mut self, key: &OrderKey, slot: usize) {
        if let Ok(entry) = self
            .index
            .find_entry(key_hash(key.center, &key.order_id), |&s| s == slot)
        {
            entry.remove();
        }
    }

    /// Re-derives an order (after adding `new_event`, if any) and moves the counters
    /// by the difference from what was applied at `applied_as_of`. Returns false,
    /// changing nothing, if the new event would put the order in a month that has left
    /// the retention window.
    fn refresh(
        &mut self,
        slot: usize,
        new_event: Option<StoredEvent>,
        applied_as_of: Millis,
    ) -> bool {
        let ctx = self.ctx();
        let applied_ctx = Ctx {
            as_of: applied_as_of,
            ..self.ctx()
        };
        let order = &mut self.orders[slot];
        let before: Derived = if order.events.is_empty() {
            Derived::default()
        } else {
            derive(&order.events, &applied_ctx)
        };
        let mut inserted = None;
        if let Some(ev) = new_event {
            inserted = Some(insert_sorted(&mut order.events, ev));
        }
        let after = derive(&order.events, &ctx);
        if let (Some(pos), Some(cutoff), Some(m)) =
            (inserted, self.cutoff, after.contribution.month)
        {
            if m < cutoff {
                order.events.remove(pos);
                return false;
            }
        }
        order.month = after.contribution.month;
        self.view
            .counters
            .update(order.key.center, &before.contribution, &after.contribution);
        if before.overdue_row != after.overdue_row
            || before.contribution.month != after.contribution.month
        {
            match (after.overdue_row, after.contribution.month) {
                (Some(row), Some(month)) => {
                    self.view
                        .overdue
                        .insert(order.key.clone(), OverdueEntry { month, row });
                }
                _ => {
                    self.view.overdue.remove(&order.key);
                }
            }
        }
        if let Some(t) = after.next_change {
            if order.timer.is_none_or(|pending| t < pending) {
                order.timer = Some(t);
                self.timers.push(Reverse((t, slot)));
            }
        }
        true
    }

    /// The events of every order, for checkpoints: (centre name, order id, events).
    pub fn orders(&self) -> impl Iterator<Item = (&OrderKey, &[StoredEvent])> {
        self.orders
            .iter()
            .map(|(_, o)| (&o.key, o.events.as_slice()))
    }

    /// Approximate heap bytes held per order (keys, events, index, timers), for the
    /// memory figures of the benchmarks.
    pub fn approx_bytes(&self) -> usize {
        let mut n = self.orders.capacity() * (std::mem::size_of::<Order>() + 8);
        n += self.index.capacity() * (std::mem::size_of::<usize>() + 1);
        n += self.timers.capacity() * std::mem::size_of::<Reverse<(Millis, usize)>>();
        for (_, o) in self.orders.iter() {
            n += o.key.order_id.len();
            n += o.events.capacity() * std::mem::size_of::<StoredEvent>();
            for e in &o.events {
                n += e.event_id.len();
                if let Payload::Returned {
                    reason: Some(r), ..
                } = &e.payload
                {
                    n += r.len();
                }
            }
        }
        n
    }
}

fn key_hash(center: LabelId, order_id: &str) -> u64 {
    let mut h = FxHasher::default();
    center.hash(&mut h);
    order_id.hash(&mut h);
    h.finish()
}

impl Drop for Partition {
    fn drop(&mut self) {
        let mut views = self.shared.views.write();
        if views
            .get(&self.id)
            .is_some_and(|v| Arc::ptr_eq(v, &self.view))
        {
            views.remove(&self.id);
        }
    }
}
