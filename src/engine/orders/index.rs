//! The order index: a key's hash → the slots of the orders under it, by open
//! addressing with Robin Hood linear probing over one 64-bit word per entry, the top
//! 32 bits of the hash beside the slot. Robin Hood keeps every entry within a few
//! words of its home at 7/8 load, and ends a miss early: at the first entry nearer its
//! own home than the probe is to the key's.
//!
//! A province shard holds over a million orders, and its index no longer fits in
//! cache: every look-up misses. Two things make those misses cheap here, and
//! hashbrown's safe API offers neither:
//! - the line a probe starts on is known from the hash alone, so it can be asked for
//!   ahead of the probe ([`Index::prefetch`]), a batch of look-ups at a time;
//! - an entry's position is the top bits of its tag, so growing the index reads the
//!   index only, never the orders behind it (hashbrown re-hashes each key, which here
//!   means reading each order).
//!
//! Equal tags are told apart by the caller, who reads the orders (`find`'s `eq`).

use super::prefetch;

/// An empty word; an entry is `tag << 32 | slot` otherwise (a slot is below
/// `u32::MAX`). Not zero: a new table is written whole when it is made, where zeroed
/// memory would map the kernel's zero page and fault again, flushing every core's
/// TLB, at each page's first entry.
const EMPTY: u64 = u64::MAX;

/// Words of the first allocation.
const MIN_BITS: u32 = 4;

/// The hash's top 32 bits, kept in the entry.
fn tag(hash: u64) -> u32 {
    (hash >> 32) as u32
}

fn entry(hash: u64, slot: u32) -> u64 {
    assert!(slot < u32::MAX, "an order slot past u32::MAX - 1");
    u64::from(tag(hash)) << 32 | u64::from(slot)
}

fn slot_of(word: u64) -> u32 {
    word as u32
}

#[derive(Debug, Default)]
pub struct Index {
    words: Vec<u64>,
    len: usize,
    /// `words.len()` is `1 << bits` (or 0).
    bits: u32,
}

impl Index {
    pub fn len(&self) -> usize {
        self.len
    }

    /// Bytes allocated.
    pub fn bytes(&self) -> usize {
        self.words.capacity() * std::mem::size_of::<u64>()
    }

    /// Where a probe for a tag starts: its top bits (a tag's top bits are the hash's).
    fn home(&self, tag: u32) -> usize {
        if self.bits == 0 {
            0
        } else {
            (tag >> (32 - self.bits)) as usize
        }
    }

    fn mask(&self) -> usize {
        self.words.len().wrapping_sub(1)
    }

    /// Asks for the line a probe for `hash` starts on, without waiting for it.
    pub fn prefetch(&self, hash: u64) {
        if let Some(w) = self.words.get(self.home(tag(hash))) {
            prefetch(w);
        }
    }

    /// The first slot under `hash` that `eq` accepts; `eq` sees every slot whose tag
    /// matches, in probe order.
    pub fn find(&self, hash: u64, mut eq: impl FnMut(u32) -> bool) -> Option<u32> {
        self.position(hash, |w| eq(slot_of(w)))
            .map(|i| slot_of(self.words[i]))
    }

    /// The position of the first entry under `hash` that `eq` accepts.
    fn position(&self, hash: u64, mut eq: impl FnMut(u64) -> bool) -> Option<usize> {
        if self.words.is_empty() {
            return None;
        }
        let (t, mask) = (tag(hash), self.mask());
        let mut i = self.home(t);
        // The load stays under 7/8: every probe ends, at the latest at an empty word.
        for distance in 0.. {
            let w = self.words[i];
            if w == EMPTY || self.distance(w, i) < distance {
                return None;
            }
            if (w >> 32) as u32 == t && eq(w) {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
        None
    }

    /// How far an entry at `i` is from its home.
    fn distance(&self, word: u64, i: usize) -> usize {
        i.wrapping_sub(self.home((word >> 32) as u32)) & self.mask()
    }

    /// Adds a slot under `hash` (the caller knows its key is not held).
    pub fn insert(&mut self, hash: u64, slot: u32) {
        if (self.len + 1) * 8 > self.words.len() * 7 {
            self.grow();
        }
        self.place(entry(hash, slot));
        self.len += 1;
    }

    /// Puts an entry in, Robin Hood: past the entries farther from their homes, and
    /// in place of the first one nearer to its own, which moves on the same way.
    fn place(&mut self, mut word: u64) {
        let mask = self.mask();
        let mut i = self.home((word >> 32) as u32);
        let mut distance = 0;
        while self.words[i] != EMPTY {
            let theirs = self.distance(self.words[i], i);
            if theirs < distance {
                word = std::mem::replace(&mut self.words[i], word);
                distance = theirs;
            }
            i = (i + 1) & mask;
            distance += 1;
        }
        self.words[i] = word;
    }

    /// Doubles the words and places every entry again from its tag alone.
    fn grow(&mut self) {
        let bits = (self.bits + 1).max(MIN_BITS);
        assert!(bits <= 32, "an order index of more than 2^32 entries");
        let old = std::mem::replace(&mut self.words, vec![EMPTY; 1 << bits]);
        self.bits = bits;
        // Entries sit in the order of their homes, and so land in the new words in
        // order: growing is a sequential pass.
        for w in old.into_iter().filter(|&w| w != EMPTY) {
            self.place(w);
        }
    }

    /// Removes `slot` from under `hash`; false if it was not there.
    pub fn remove(&mut self, hash: u64, slot: u32) -> bool {
        let Some(mut hole) = self.position(hash, |w| slot_of(w) == slot) else {
            return false;
        };
        // Backward-shift deletion: the entries after the hole that are away from
        // their homes each move one word back, up to an empty word or one at home.
        let mask = self.mask();
        loop {
            let next = (hole + 1) & mask;
            let w = self.words[next];
            if w == EMPTY || self.distance(w, next) == 0 {
                break;
            }
            self.words[hole] = w;
            hole = next;
        }
        self.words[hole] = EMPTY;
        self.len -= 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    /// Few distinct hash tops, so that tags collide and probes run long and wrap.
    fn hash(key: u16) -> u64 {
        (u64::from(key % 61)).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(key)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Inserting, removing and growing keep the index equal to a map of the
        /// same operations: every held slot is found under its hash, no removed one.
        #[test]
        fn the_index_agrees_with_a_map(ops in prop::collection::vec((any::<bool>(), 0u16..400), 1..1500)) {
            let mut index = Index::default();
            let mut model: HashMap<u16, u32> = HashMap::new();
            for (n, (add, key)) in ops.into_iter().enumerate() {
                let slot = n as u32;
                match (add, model.get(&key).copied()) {
                    (true, None) => {
                        index.insert(hash(key), slot);
                        model.insert(key, slot);
                    }
                    (false, Some(held)) => {
                        prop_assert!(index.remove(hash(key), held));
                        model.remove(&key);
                    }
                    (false, None) => prop_assert!(!index.remove(hash(key), slot)),
                    (true, Some(_)) => {}
                }
                prop_assert_eq!(index.len(), model.len());
            }
            for key in 0..400u16 {
                let mut seen = Vec::new();
                let found = index.find(hash(key), |s| {
                    seen.push(s);
                    model.get(&key) == Some(&s)
                });
                prop_assert_eq!(found, model.get(&key).copied(), "key {}, saw {:?}", key, seen);
            }
            prop_assert!(index.len() * 8 <= index.words.len() * 7);
        }
    }

    #[test]
    fn an_empty_index_finds_and_removes_nothing() {
        let mut index = Index::default();
        assert_eq!(index.find(7, |_| true), None);
        assert!(!index.remove(7, 0));
        index.prefetch(7);
        index.insert(7, 0);
        assert_eq!(index.find(7, |_| true), Some(0));
        assert_eq!(index.find(7 | 1 << 40, |_| true), None, "another tag");
    }
}
