//! One slice of state with a single writer: the orders of one Kafka partition (or of
//! one replay shard), their timers and tombstones, and the counters they feed.
//!
//! - `mod.rs` — applying events.
//! - `lookup` — finding an event's order; warming a batch's look-ups.
//! - `retention` — time passing: timers, evicting old months, tombstones.
//! - `busy` — orders with many events: stashed, settled in bulk.
//! - `publish` — the snapshot the read side sees.
//! - `changelog` — what changed since the last commit, and restoring from it.

mod busy;
mod changelog;
mod lookup;
mod publish;
mod retention;

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Arc;

use rustc_hash::FxBuildHasher;

use busy::{Big, BIG};
pub use changelog::{ChangeRecord, RestoreError, TOMBSTONE_PREFIX};
pub use lookup::WARM_BATCH;

use super::cells::Cells;
use super::derive::{Ctx, Derived, Fold};
use super::labels::{Interner, LabelId};
use super::orders::{Order, Orders, Placement, NO_TIMER};
use super::snapshot::MonthView;
use super::timers::Timers;
use super::tombstones::{self, Tombstones};
use super::{LocalStats, Outcome, Shared};
use crate::event::packed::{EventId, Packed};
use crate::event::{month_of, Event, EventKind, Field, Millis, Month};

/// An event's centre (`default` when it names none).
fn center_of<'a, S: AsRef<str>>(default: &'a str, ev: &'a Event<S>) -> &'a str {
    ev.center.as_ref().map_or(default, |c| c.as_ref())
}

/// The writer of one slice of state. Not `Sync`: one thread owns it.
pub struct Partition {
    id: i32,
    shared: Arc<Shared>,
    labels: Interner,
    default_center: LabelId,
    default_category: LabelId,
    /// The centre an order was last looked up under ([`Partition::held_center`]).
    last_center: Cell<LabelId>,
    orders: Orders,
    big: HashMap<u32, Big, FxBuildHasher>,
    /// Busy orders with stashed events, to settle before the counters are read.
    stale: Vec<u32>,
    timers: Timers,
    cells: Cells,
    tombstones: Tombstones,
    as_of: Millis,
    cutoff: Option<Month>,
    /// Largest event time applied or restored.
    max_at: Option<Millis>,
    stats: LocalStats,
    /// Orders changed and keys removed since the changelog last took them.
    changed: Vec<u32>,
    removed: Vec<Vec<u8>>,
    track_changes: bool,
    /// Month views of the last snapshot, reused while their month is clean.
    published: HashMap<(LabelId, Month), Arc<MonthView>, FxBuildHasher>,
    published_live: Arc<Vec<super::snapshot::LiveView>>,
}

impl Partition {
    pub fn new(id: i32, shared: Arc<Shared>) -> Self {
        let mut labels = Interner::default();
        // Held for the partition's life: every event without a centre or category
        // uses them.
        let default_center = labels.intern(&shared.config.default_center);
        let default_category = labels.intern(super::DEFAULT_CATEGORY);
        Partition {
            id,
            shared,
            labels,
            default_center,
            default_category,
            last_center: Cell::new(default_center),
            orders: Orders::default(),
            big: HashMap::default(),
            stale: Vec::new(),
            timers: Timers::default(),
            cells: Cells::default(),
            tombstones: Tombstones::default(),
            as_of: Millis::MIN,
            cutoff: None,
            max_at: None,
            stats: LocalStats::default(),
            changed: Vec::new(),
            removed: Vec::new(),
            track_changes: false,
            published: HashMap::default(),
            published_live: Arc::default(),
        }
    }

    pub fn id(&self) -> i32 {
        self.id
    }

    pub fn as_of(&self) -> Millis {
        self.as_of
    }

    /// Orders held.
    pub fn len(&self) -> usize {
        self.orders.len()
    }

    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }

    /// The largest event time applied or restored.
    pub fn max_at(&self) -> Option<Millis> {
        self.max_at
    }

    /// Distinct label values held (units, categories, topics, reasons, centres).
    pub fn labels_held(&self) -> usize {
        self.labels.len()
    }

    /// (centre, month) cells held. A busy order's stashed events reach the cells when
    /// it is settled ([`Partition::snapshot`] settles every one).
    pub fn months_held(&self) -> usize {
        self.cells.months.len()
    }

    /// Tombstones of evicted orders held.
    pub fn tombstones_held(&self) -> usize {
        self.tombstones.len()
    }

    fn ctx(&self, as_of: Millis) -> Ctx {
        Ctx {
            tz: self.shared.config.tz,
            as_of,
            due_soon_window_ms: self.shared.config.due_soon_window_ms,
        }
    }

    /// Applies one decoded event at the given as-of time.
    pub fn apply<S: AsRef<str>>(&mut self, ev: &Event<S>, as_of: Millis) -> Outcome {
        self.advance(as_of);
        let outcome = self.apply_event(ev);
        self.stats.count(outcome, ev.kind.event_type());
        if self.stats.pending() >= 4096 {
            self.stats.flush_into(&self.shared.stats);
        }
        outcome
    }

    fn apply_event<S: AsRef<str>>(&mut self, ev: &Event<S>) -> Outcome {
        let order_id = ev.order_id.as_ref();
        let id = EventId::of(ev.event_id.as_ref(), order_id);
        let slot = self.slot_of(ev);
        if let Some(outcome) = slot.and_then(|slot| self.apply_busy(slot, ev, id)) {
            return outcome;
        }
        let center = center_of(&self.shared.config.default_center, ev);
        let probe = Packed {
            at: ev.at,
            id,
            kind: ev.kind.as_ref().map(|_| 0),
        };
        // The held events are folded while placing the new one: `before` comes from
        // that fold and, when the event goes last (the usual case), so does `after`,
        // one step on. Both are built in place, not moved out of the match (moving
        // them was 3 % of a province replay's CPU).
        let ctx = self.ctx(self.as_of);
        let mut fold = Fold::default();
        let (slot, offset, held) = match slot {
            Some(slot) => {
                let Some(offset) = self.place(slot, &probe, &mut fold) else {
                    return Outcome::Duplicate;
                };
                (slot, offset, true)
            }
            None => {
                let h = tombstones::key(center, order_id);
                if self.tombstones.contains(h) {
                    return Outcome::Late;
                }
                let month = month_of(ev.at, self.shared.config.tz);
                if self.cutoff.is_some_and(|c| month < c) {
                    // Its later events must be late too, even in a rebuild.
                    self.tombstones.add(month, [h]);
                    return Outcome::Late;
                }
                let c = self.labels.intern(center);
                let order = Order::new(c, order_id, ev.at);
                let offset = order.events().offset;
                let slot = self.orders.insert(order);
                (slot, offset, false)
            }
        };
        let before = if held {
            fold.finish(&ctx)
        } else {
            Derived::default()
        };
        let kind = self.intern_kind(&ev.kind);
        let last = self.insert(slot, offset, ev.at, id, &kind);
        self.max_at = self.max_at.max(Some(ev.at));
        let after = if last && !self.big.contains_key(&slot) {
            fold.step(
                &Packed {
                    at: ev.at,
                    id,
                    kind,
                },
                ctx.tz,
            );
            fold.finish(&ctx)
        } else {
            self.derive(slot, self.as_of)
        };
        if self.commit_or_evict(slot, &before, &after) {
            return Outcome::Late;
        }
        Outcome::Applied
    }

    /// Moves an order's counters from `before` to `after`; when `after` shows the order
    /// belongs to a month that has left retention, the order goes as its month did
    /// (evicted, leaving a tombstone). True if it was evicted.
    fn commit_or_evict(&mut self, slot: u32, before: &Derived, after: &Derived) -> bool {
        let evicted =
            matches!((after.contribution.month, self.cutoff), (Some(m), Some(c)) if m < c);
        self.commit(slot, before, after);
        if evicted {
            self.evict(slot);
        }
        evicted
    }

    /// Marks an order as changed since the changelog last took what changed (once).
    fn mark_changed(&mut self, slot: u32) {
        if !self.track_changes {
            return;
        }
        if let Some(order) = self.orders.get_mut(slot).filter(|o| !o.dirty) {
            order.dirty = true;
            self.changed.push(slot);
        }
    }

    /// Where a new event goes in a small order (`None`: a duplicate), folding the
    /// events it holds into `fold`.
    fn place(&self, slot: u32, probe: &Packed<'_, LabelId>, fold: &mut Fold) -> Option<usize> {
        let order = self.orders.get(slot)?;
        let tz = self.shared.config.tz;
        match order.place(probe, |ev| fold.step(ev, tz)) {
            Placement::Duplicate => None,
            Placement::At(offset) => Some(offset),
        }
    }

    /// Inserts an event into a small order (which may make it busy); true if it went
    /// after every held event.
    fn insert(
        &mut self,
        slot: u32,
        offset: usize,
        at: Millis,
        id: EventId<'_>,
        kind: &EventKind<LabelId>,
    ) -> bool {
        let Some(order) = self.orders.get_mut(slot) else {
            return false;
        };
        let last = order.insert(offset, at, id, kind, true);
        let big = order.events >= BIG;
        self.mark_changed(slot);
        if big {
            self.adopt_big(slot);
        }
        last
    }

    /// The contribution applied for an order, derived at the as-of it was applied at.
    fn applied(&self, slot: u32, as_of: Millis) -> Derived {
        match self.big.get(&slot) {
            Some(big) => big.applied.clone(),
            None => self.derive(slot, as_of),
        }
    }

    /// An order's figures at `as_of`.
    fn derive(&self, slot: u32, as_of: Millis) -> Derived {
        self.fold(slot)
            .map_or_else(Derived::default, |f| f.finish(&self.ctx(as_of)))
    }

    /// The contribution applied for an order at `applied_at` (as [`Self::applied`]) and
    /// its figures at `as_of`, from one pass over its events.
    fn applied_and_now(&self, slot: u32, applied_at: Millis, as_of: Millis) -> (Derived, Derived) {
        let Some(fold) = self.fold(slot) else {
            return Default::default();
        };
        let applied = match self.big.get(&slot) {
            Some(big) => big.applied.clone(),
            None => fold.finish(&self.ctx(applied_at)),
        };
        (applied, fold.finish(&self.ctx(as_of)))
    }

    /// The fold of an order's events: a busy order keeps its own.
    fn fold(&self, slot: u32) -> Option<Cow<'_, Fold>> {
        match (self.big.get(&slot), self.orders.get(slot)) {
            (Some(big), _) => Some(Cow::Borrowed(&big.fold)),
            (None, Some(order)) => {
                Some(Cow::Owned(Fold::of(order.events(), self.shared.config.tz)))
            }
            (None, None) => None,
        }
    }

    /// Moves the counters of an order from `before` to `after`.
    fn commit(&mut self, slot: u32, before: &Derived, after: &Derived) {
        let Some(order) = self.orders.get_mut(slot) else {
            return;
        };
        let (center, old_month) = (order.center, order.month);
        let new_month = after.contribution.month;
        order.month = new_month;
        // The order's one live timer is its next change; any other queued time of it
        // is stale, and skipped when it comes due (an order completed before its
        // deadline would otherwise be derived again for nothing when it passed).
        let next = after.next_change.unwrap_or(NO_TIMER);
        if next != order.timer {
            order.timer = next;
            if next != NO_TIMER {
                self.timers.push(next, slot);
            }
        }
        self.cells.update(
            &mut self.labels,
            center,
            self.default_category,
            &before.contribution,
            &after.contribution,
        );
        if before.overdue_row != after.overdue_row || old_month != new_month {
            self.cells.set_overdue(
                &mut self.labels,
                center,
                old_month,
                new_month,
                slot,
                after.overdue_row.clone(),
            );
        }
        if let Some(big) = self.big.get_mut(&slot) {
            big.applied = after.clone();
        }
    }

    /// Interns an event's label values (units through the registry), counting the
    /// unit names the registry does not know.
    fn intern_kind<S: AsRef<str>>(&mut self, kind: &EventKind<S>) -> EventKind<LabelId> {
        let registry = self.shared.registry.as_ref();
        let labels = &mut self.labels;
        let stats = &mut self.stats;
        kind.as_ref().map_labels(|field, s| {
            let name = s.as_ref();
            if field == Field::Unit {
                if let Some(reg) = registry {
                    match reg.canonical(name) {
                        Some(c) => return labels.intern(c),
                        None => stats.unknown_units += 1,
                    }
                }
            }
            labels.intern(name)
        })
    }

    /// Approximate heap bytes held (orders, index, timers, busy-order state,
    /// tombstones), for the memory figures of the benchmarks.
    pub fn approx_bytes(&self) -> usize {
        let orders: usize = self.orders.iter().map(|(_, o)| o.heap_bytes()).sum();
        orders
            + self.orders.table_bytes()
            + self.timers.heap_bytes()
            + self.tombstones.heap_bytes()
            + self.big.values().map(Big::heap_bytes).sum::<usize>()
    }
}
