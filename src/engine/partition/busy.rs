//! Busy orders (at least [`BIG`] events): what keeps one order with tens of thousands
//! of events — a callback storm, a ping-pong of dispatches, a replay of its history —
//! at O(n log n) instead of O(n²).
//!
//! A small order re-derives its figures from its packed events on every event. A busy
//! one keeps its fold, an exact set of its event ids (a duplicate costs one lookup,
//! never a scan), and a stash: its new events wait there, packed, until the order is
//! *settled* — before anything reads the counters (a snapshot, the changelog, time
//! passing one of its deadlines, retention, eviction). Settling sorts the stash, appends
//! it (and steps the fold) when it all comes after the events held, else merges it in
//! one pass and folds the order again, then moves the counters once. Events in time
//! order cost O(1) each; late ones O(log k) each plus one O(n) merge per settle, however
//! many arrived; either way the order's units are re-read once per settle, not per
//! event. The figures are the same as applying each event at once: an order's figures
//! are a function of its set of events and the as-of time (metrics.md), which is what
//! settling computes.

use std::collections::HashSet;

use rustc_hash::FxBuildHasher;

use super::Partition;
use crate::engine::derive::{Derived, Fold};
use crate::engine::labels::LabelId;
use crate::engine::Outcome;
use crate::event::packed::{self, cmp_events, EventId, Ids, Packed};
use crate::event::{month_of, Event, EventKind, Millis};

/// Orders with at least this many events are busy.
pub(super) const BIG: u32 = 32;

/// A busy order's incremental state.
pub(super) struct Big {
    /// The fold of the events in the order's buffer (not the stash).
    pub(super) fold: Fold,
    /// The contribution currently applied to the counters.
    pub(super) applied: Derived,
    /// Every event id of the order, buffer and stash: the rest after the order id
    /// (`prefixed`) or the whole id.
    prefixed: HashSet<Box<[u8]>, FxBuildHasher>,
    plain: HashSet<Box<[u8]>, FxBuildHasher>,
    /// Byte offset of the buffer's last event.
    last: usize,
    /// Events not yet in the buffer, packed as the buffer packs them, in arrival order.
    stash: Vec<u8>,
    /// The earliest event time, and the earliest `received` time, of buffer and
    /// stash: the cohort month without a fold.
    first_at: Millis,
    first_received: Option<Millis>,
}

impl Big {
    fn has(&self, id: &EventId<'_>) -> bool {
        let set = if id.prefixed {
            &self.prefixed
        } else {
            &self.plain
        };
        set.contains(id.rest)
    }

    fn add_id(&mut self, id: &EventId<'_>) {
        let set = if id.prefixed {
            &mut self.prefixed
        } else {
            &mut self.plain
        };
        set.insert(id.rest.into());
    }

    fn note_time<L>(&mut self, at: Millis, kind: &EventKind<L>) {
        self.first_at = self.first_at.min(at);
        if matches!(kind, EventKind::Received { .. }) {
            self.first_received = Some(self.first_received.map_or(at, |r| r.min(at)));
        }
    }

    /// Heap bytes held besides the order's buffer (approximate: an id's box is
    /// counted at 16 bytes, its slot in the set at 17).
    pub(super) fn heap_bytes(&self) -> usize {
        (self.prefixed.capacity() + self.plain.capacity()) * (16 + 17) + self.stash.capacity()
    }
}

impl Partition {
    /// Gives an order that just became busy its incremental state (its `applied` is
    /// set by the `commit` that follows).
    pub(super) fn adopt_big(&mut self, slot: u32) {
        let tz = self.shared.config.tz;
        let Some(order) = self.orders.get(slot) else {
            return;
        };
        let mut big = Big {
            fold: Fold::default(),
            applied: Derived::default(),
            prefixed: HashSet::default(),
            plain: HashSet::default(),
            last: order.last_offset().unwrap_or(0),
            stash: Vec::new(),
            first_at: Millis::MAX,
            first_received: None,
        };
        for ev in order.events() {
            big.fold.step(&ev, tz);
            big.add_id(&ev.id);
            big.note_time(ev.at, &ev.kind);
        }
        self.big.insert(slot, big);
    }

    /// Takes an event of a busy order; `None` if the order is not busy.
    pub(super) fn apply_busy<S: AsRef<str>>(
        &mut self,
        slot: u32,
        ev: &Event<S>,
        id: EventId<'_>,
    ) -> Option<Outcome> {
        let tz = self.shared.config.tz;
        let big = self.big.get(&slot)?;
        if big.has(&id) {
            return Some(Outcome::Duplicate);
        }
        // The cohort month with this event, as the fold would find it.
        let received = matches!(ev.kind, EventKind::Received { .. });
        let first_at = big.first_at.min(ev.at);
        let cohort = match big.first_received {
            Some(r) if received => r.min(ev.at),
            Some(r) => r,
            None if received => ev.at,
            None => first_at,
        };
        let late = self.cutoff.is_some_and(|c| month_of(cohort, tz) < c);
        let kind = self.intern_kind(&ev.kind);
        let base = self.orders.get(slot).map_or(0, |o| o.base());
        let big = self.big.get_mut(&slot)?;
        if big.stash.is_empty() {
            self.stale.push(slot);
        }
        packed::put::<Ids>(&mut big.stash, base, ev.at, id, &kind);
        big.add_id(&id);
        big.note_time(ev.at, &kind);
        self.mark_changed(slot);
        self.max_at = self.max_at.max(Some(ev.at));
        if late {
            // The event shows the order belongs to an evicted month: the order goes as
            // its month did.
            self.settle(slot);
            self.evict(slot);
            return Some(Outcome::Late);
        }
        Some(Outcome::Applied)
    }

    /// Moves a busy order's stashed events into its buffer and its counters to its
    /// figures at the current as-of time.
    pub(super) fn settle(&mut self, slot: u32) {
        let tz = self.shared.config.tz;
        let ctx = self.ctx(self.as_of);
        let (Some(big), Some(order)) = (self.big.get_mut(&slot), self.orders.get_mut(slot)) else {
            return;
        };
        if big.stash.is_empty() {
            return;
        }
        let stash = std::mem::take(&mut big.stash);
        let base = order.base();
        let mut new: Vec<Packed<'_, LabelId>> = Vec::new();
        let mut input = &stash[..];
        while !input.is_empty() {
            // The stash only ever holds what `apply_busy` packed.
            let Some(ev) = packed::get::<Ids>(&mut input, base) else {
                break;
            };
            new.push(ev);
        }
        let order_id = order.order_id().to_owned();
        let oid = order_id.as_bytes();
        new.sort_by(|a, b| cmp_events(a, b, oid));
        let appends = match (order.event_at(big.last), new.first()) {
            (Some(last), Some(first)) => cmp_events(&last, first, oid).is_lt(),
            _ => true,
        };
        if appends {
            for ev in &new {
                let offset = order.byte_len();
                order.insert(offset, ev.at, ev.id, &ev.kind, false);
                big.fold.step(ev, tz);
                big.last = offset;
            }
        } else {
            order.merge(&new);
            big.fold = Fold::of(order.events(), tz);
            big.last = order.last_offset().unwrap_or(0);
        }
        // A burst leaves no big buffer behind; a steady trickle keeps a small one.
        let mut stash = stash;
        stash.clear();
        if stash.capacity() <= 4096 {
            big.stash = stash;
        }
        let before = std::mem::take(&mut big.applied);
        let after = big.fold.finish(&ctx);
        self.commit(slot, &before, &after);
    }

    /// Settles every busy order with stashed events.
    pub(super) fn settle_all(&mut self) {
        for slot in std::mem::take(&mut self.stale) {
            self.settle(slot);
        }
    }
}
