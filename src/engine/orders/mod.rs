//! The orders of a partition, each stored compactly: one byte buffer holding the order
//! id, a base time and the order's events packed with interned label ids, kept in the
//! contract's processing order. An index finds an order by (centre, order id) without
//! storing the id twice.

mod index;
mod order;

use std::hash::{BuildHasher, Hash, Hasher};

use rustc_hash::FxBuildHasher;

use index::Index;
pub use order::{Order, Placement, NO_TIMER};

use super::labels::LabelId;

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

    /// The slots the index holds under a key's hash, without reading any order (the
    /// second wave of [`super::Partition::warm`] asks for them).
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
        let indexed = self
            .index
            .remove(key_hash(order.center, order.id_bytes()), slot);
        debug_assert!(indexed, "a held order is in the index under its key");
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
