//! The orders of a partition, each stored compactly: one byte buffer holding the order
//! id, a base time and the order's events packed with interned label ids, kept in the
//! contract's processing order. An index finds an order by (centre, order id) without
//! storing the id twice.

mod index;

use std::cmp::Ordering;
use std::hash::{BuildHasher, Hash, Hasher};

use rustc_hash::FxBuildHasher;
use smallvec::SmallVec;

use index::Index;

use super::labels::LabelId;
use crate::event::packed::{self, cmp_events, EventId, Ids, Packed};
use crate::event::{EventKind, Millis, Month};

/// "No pending timer".
pub const NO_TIMER: Millis = Millis::MAX;

/// Bytes of an order held in its slot; a longer order's bytes are on the heap. 93 % of
/// a Haikou month's orders fit: they cost no allocation of their own, and finding one
/// touches its slot only (one cache miss fewer per event).
const INLINE: usize = 64;

pub struct Order {
    /// `[id length varint][order id][base time: 8 bytes LE][packed events...]`
    data: SmallVec<[u8; INLINE]>,
    pub center: LabelId,
    /// Cohort month of the contribution currently applied.
    pub month: Option<Month>,
    /// Earliest pending timer, to avoid queueing the same time twice.
    pub timer: Millis,
    pub events: u32,
    /// Changed since the changelog last took it.
    pub dirty: bool,
}

/// Where a new event goes, or why it does not.
pub enum Placement {
    Duplicate,
    /// Byte offset to insert at.
    At(usize),
}

impl Order {
    pub fn new(center: LabelId, order_id: &str, base: Millis) -> Self {
        let mut head = Vec::with_capacity(order_id.len() + 10);
        packed::put_bytes(&mut head, order_id.as_bytes());
        head.extend_from_slice(&base.to_le_bytes());
        Order {
            data: SmallVec::from_slice(&head),
            center,
            month: None,
            timer: NO_TIMER,
            events: 0,
            dirty: false,
        }
    }

    /// The order id's bytes, the base time, and where the events start.
    fn header(&self) -> (&[u8], Millis, usize) {
        let mut input = &self.data[..];
        let id = packed::get_bytes(&mut input).unwrap_or_default();
        let start = self.data.len() - input.len();
        let base = input
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .map_or(0, i64::from_le_bytes);
        (id, base, start + 8)
    }

    /// The order id as bytes: what the hot path compares (no UTF-8 check).
    fn id_bytes(&self) -> &[u8] {
        self.header().0
    }

    pub fn order_id(&self) -> &str {
        // The id was written from a &str.
        std::str::from_utf8(self.id_bytes()).unwrap_or_default()
    }

    pub fn base(&self) -> Millis {
        self.header().1
    }

    /// The packed events, in order.
    pub fn events(&self) -> Events<'_> {
        let (_, base, start) = self.header();
        Events {
            input: &self.data[start..],
            base,
            offset: start,
        }
    }

    /// Where `id` with the sort key of `probe` goes: scans every event (ids may repeat
    /// anywhere), handing each to `held` in order (the caller folds them in the same
    /// pass). A duplicate ends the scan.
    pub fn place(
        &self,
        probe: &Packed<'_, LabelId>,
        mut held: impl FnMut(&Packed<'_, LabelId>),
    ) -> Placement {
        let order_id = self.id_bytes();
        let mut pos = None;
        let mut events = self.events();
        loop {
            let offset = events.offset;
            let Some(ev) = events.next() else { break };
            if ev.id.cmp_in(&probe.id, order_id) == Ordering::Equal {
                return Placement::Duplicate;
            }
            if pos.is_none() && cmp_events(&ev, probe, order_id) == Ordering::Greater {
                pos = Some(offset);
            }
            held(&ev);
        }
        Placement::At(pos.unwrap_or(self.data.len()))
    }

    /// Inserts a packed event at `offset` (from [`Order::place`]). `exact` keeps the
    /// buffer's capacity exact (small orders live for months; growth slack would cost
    /// more than the reallocation). True if it went after every held event.
    pub fn insert(
        &mut self,
        offset: usize,
        at: Millis,
        id: EventId<'_>,
        kind: &EventKind<LabelId>,
        exact: bool,
    ) -> bool {
        let base = self.base();
        let last = offset == self.data.len();
        let mut buf = Vec::with_capacity(32);
        packed::put::<Ids>(&mut buf, base, at, id, kind);
        if exact {
            self.data.reserve_exact(buf.len());
        }
        self.data.insert_from_slice(offset, &buf);
        self.events += 1;
        last
    }

    /// Merges events sorted in the contract's order (none already held) into the
    /// order's, in one pass: a busy order's late arrivals, however many, cost one copy
    /// of the buffer (held events are copied as byte runs, not re-encoded).
    pub fn merge(&mut self, sorted: &[Packed<'_, LabelId>]) {
        let (order_id, base, start) = self.header();
        let mut data = Vec::with_capacity(self.data.len() + sorted.len() * 16);
        let mut run = 0;
        let mut new = sorted.iter().peekable();
        let mut held = self.events();
        loop {
            let offset = held.offset;
            let Some(h) = held.next() else { break };
            while let Some(n) = new.next_if(|n| cmp_events(n, &h, order_id).is_lt()) {
                data.extend_from_slice(&self.data[run..offset]);
                run = offset;
                packed::put::<Ids>(&mut data, base, n.at, n.id, &n.kind);
            }
        }
        debug_assert!(run == 0 || run >= start);
        data.extend_from_slice(&self.data[run..]);
        for n in new {
            packed::put::<Ids>(&mut data, base, n.at, n.id, &n.kind);
        }
        self.data = if data.len() <= INLINE {
            SmallVec::from_slice(&data)
        } else {
            SmallVec::from_vec(data)
        };
        self.events += sorted.len() as u32;
    }

    /// The last event's byte offset (for a busy order's append check).
    pub fn last_offset(&self) -> Option<usize> {
        let mut events = self.events();
        let mut last = None;
        loop {
            let offset = events.offset;
            if events.next().is_none() {
                return last;
            }
            last = Some(offset);
        }
    }

    /// The event at a byte offset.
    pub fn event_at(&self, offset: usize) -> Option<Packed<'_, LabelId>> {
        let base = self.base();
        let mut input = self.data.get(offset..)?;
        packed::get::<Ids>(&mut input, base)
    }

    /// Heap bytes held (the bytes held in the slot count as the slot's).
    pub fn heap_bytes(&self) -> usize {
        if self.data.spilled() {
            self.data.capacity()
        } else {
            0
        }
    }

    /// Bytes used: the offset just past the last event.
    pub fn byte_len(&self) -> usize {
        self.data.len()
    }
}

/// Iterates an order's packed events.
pub struct Events<'a> {
    input: &'a [u8],
    base: Millis,
    /// Byte offset (in the order's buffer) of the next event.
    pub offset: usize,
}

impl<'a> Iterator for Events<'a> {
    type Item = Packed<'a, LabelId>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.input.is_empty() {
            return None;
        }
        let before = self.input.len();
        // The buffer only ever holds what `packed::put` wrote.
        let ev = packed::get::<Ids>(&mut self.input, self.base)?;
        self.offset += before - self.input.len();
        Some(ev)
    }
}

/// The orders, by slot, with an index by (centre, order id).
#[derive(Default)]
pub struct Orders {
    index: Index,
    /// An order's slot is its position; a freed slot is `None` (no bigger than an
    /// order: the niche of `Order::dirty`) until it is reused.
    slots: Vec<Option<Order>>,
    /// Freed slots, the last freed reused first.
    free: Vec<u32>,
}

/// An order's key hash: where the index keeps it, and [`Orders::prefetch_index`]'s
/// argument.
pub fn key_hash(center: LabelId, order_id: &[u8]) -> u64 {
    let mut h = FxBuildHasher.build_hasher();
    center.hash(&mut h);
    order_id.hash(&mut h);
    // The index places entries by the hash's top bits: a multiply moves every bit's
    // influence up.
    h.finish().wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl Orders {
    pub fn find(&self, center: LabelId, order_id: &str) -> Option<u32> {
        let id = order_id.as_bytes();
        self.index.find(key_hash(center, id), |s| {
            self.get(s)
                .is_some_and(|o| o.center == center && o.id_bytes() == id)
        })
    }

    /// The slots the index holds under a key's hash, without reading any order: the
    /// first of the two waves of [`super::Partition::warm`].
    pub fn candidates(&self, hash: u64, mut each: impl FnMut(u32)) {
        let _ = self.index.find(hash, |s| {
            each(s);
            false
        });
    }

    /// Asks for the index's line for a key's hash, without waiting for it.
    pub fn prefetch_index(&self, hash: u64) {
        self.index.prefetch(hash);
    }

    /// Asks for a slot's order, without waiting for it (reading nothing of it).
    pub fn prefetch(&self, slot: u32) {
        if let Some(o) = self.slots.get(slot as usize) {
            prefetch(o);
        }
    }

    pub fn insert(&mut self, order: Order) -> u32 {
        let h = key_hash(order.center, order.id_bytes());
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(order);
                slot
            }
            None => {
                self.slots.push(Some(order));
                (self.slots.len() - 1) as u32
            }
        };
        self.index.insert(h, slot);
        slot
    }

    pub fn remove(&mut self, slot: u32) -> Option<Order> {
        let order = self.slots.get_mut(slot as usize)?.take()?;
        self.free.push(slot);
        self.index
            .remove(key_hash(order.center, order.id_bytes()), slot);
        Some(order)
    }

    pub fn get(&self, slot: u32) -> Option<&Order> {
        self.slots.get(slot as usize)?.as_ref()
    }

    pub fn get_mut(&mut self, slot: u32) -> Option<&mut Order> {
        self.slots.get_mut(slot as usize)?.as_mut()
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = (u32, &Order)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(s, o)| Some((s as u32, o.as_ref()?)))
    }

    /// Heap bytes of the index and slots (not the orders' buffers).
    pub fn table_bytes(&self) -> usize {
        self.index.bytes()
            + self.slots.capacity() * std::mem::size_of::<Option<Order>>()
            + self.free.capacity() * std::mem::size_of::<u32>()
    }
}

/// Asks for every cache line of `value` without waiting for any (an order's slot is
/// wider than a line).
fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let start = std::ptr::from_ref(value).cast::<i8>();
        let size = std::mem::size_of::<T>();
        for offset in (0..size).step_by(64).chain([size.saturating_sub(1)]) {
            // SAFETY: a prefetch is a hint: it never faults and reads nothing into
            // the program, and every address here is inside `value`.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(start.add(offset)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    std::hint::black_box(value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warming_candidates_hold_the_slot_that_find_finds() {
        let mut orders = Orders::default();
        let ids: Vec<String> = (0..2000).map(|i| format!("HX{i:06}")).collect();
        for (i, id) in ids.iter().enumerate() {
            orders.insert(Order::new(i as LabelId % 3, id, 0));
        }
        for (i, id) in ids.iter().enumerate() {
            let center = i as LabelId % 3;
            let found = orders.find(center, id).expect("held");
            let mut candidates = Vec::new();
            orders.candidates(key_hash(center, id.as_bytes()), |s| candidates.push(s));
            assert!(candidates.contains(&found), "{id}: {candidates:?}");
            assert_eq!(orders.get(found).map(|o| o.center), Some(center));
        }
        let mut none = Vec::new();
        orders.candidates(key_hash(0, b"not held"), |s| none.push(s));
        assert!(none
            .iter()
            .all(|&s| orders.get(s).unwrap().order_id() != "not held"));
    }

    #[test]
    fn removed_orders_free_their_slots_and_leave_the_index() {
        assert_eq!(
            std::mem::size_of::<Option<Order>>(),
            std::mem::size_of::<Order>(),
            "a freed slot costs no more than an order"
        );
        let mut orders = Orders::default();
        let slots: Vec<u32> = (0..100)
            .map(|i| orders.insert(Order::new(1, &format!("A{i}"), 0)))
            .collect();
        assert_eq!(
            orders.remove(slots[10]).map(|o| o.order_id().to_owned()),
            Some("A10".into())
        );
        assert!(orders.remove(slots[10]).is_none(), "removed once");
        assert_eq!(orders.find(1, "A10"), None);
        assert_eq!(orders.len(), 99);
        assert_eq!(orders.iter().count(), 99);
        assert!(orders.iter().all(|(_, o)| o.order_id() != "A10"));
        let again = orders.insert(Order::new(2, "B", 0));
        assert_eq!(again, slots[10], "the freed slot is reused");
        assert_eq!(orders.find(2, "B"), Some(again));
        assert_eq!(orders.find(1, "A11"), Some(slots[11]));
    }
}
