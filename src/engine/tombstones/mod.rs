//! What is left of evicted orders: a 64-bit hash of (centre, order id) per order, by
//! cohort month, kept for a grace period after the month leaves retention so that an
//! evicted order's later events are late — live, and after any restore — instead of
//! starting a new order in a later month.
//!
//! The hash is FNV-1a, a fixed function, because tombstones are saved in the changelog
//! and read back by other builds.
//!
//! A month's hashes are kept packed ([`packed`]: about 6.2 bytes each for a Haikou
//! month's shard, where a sorted array takes 8); the few added since the last packing
//! are a sorted array beside them.

use std::collections::BTreeMap;
use std::hash::Hasher;

use fnv::FnvHasher;

use self::packed::Packed;
use crate::event::Month;

mod packed;

/// Hashes per changelog record (8 bytes each: 512 KiB).
pub const CHUNK: usize = 64 * 1024;

/// Up to this many hashes are inserted in place rather than sorted in.
const FEW: usize = 16;

/// Hashes added since a month was last packed are packed once they are more than this
/// share of the packed ones (and more than [`FEW`]): a late hash costs a memmove, and a
/// packing, which re-encodes the month, comes once per 1/16 of its size.
const RECENT_SHARE: usize = 16;

/// The tombstone hash of an order.
pub fn key(center: &str, order_id: &str) -> u64 {
    let mut h = FnvHasher::default();
    h.write(center.as_bytes());
    h.write(&[0x1f]);
    h.write(order_id.as_bytes());
    h.finish()
}

/// One cohort month's hashes.
#[derive(Debug, Default)]
struct MonthSet {
    packed: Packed,
    /// Sorted, deduplicated, none of them in `packed`.
    recent: Vec<u64>,
    /// Changed since the changelog last took it.
    dirty: bool,
    /// Changelog records last written for the month.
    chunks: u32,
}

impl MonthSet {
    fn contains(&self, h: u64) -> bool {
        self.recent.binary_search(&h).is_ok() || self.packed.contains(h)
    }

    fn len(&self) -> usize {
        self.packed.len() + self.recent.len()
    }

    /// The hashes in ascending order.
    fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        let mut packed = self.packed.iter().peekable();
        let mut recent = self.recent.iter().copied().peekable();
        std::iter::from_fn(move || match (packed.peek(), recent.peek()) {
            (Some(p), Some(r)) if r < p => recent.next(),
            (Some(_), _) => packed.next(),
            (None, _) => recent.next(),
        })
    }

    /// Adds hashes; returns whether any was new.
    fn insert(&mut self, hashes: impl IntoIterator<Item = u64>) -> bool {
        let before = self.recent.len();
        if before == 0 {
            // A month's batch from eviction: collected in place (no copy of a `Vec`).
            self.recent = hashes.into_iter().collect();
        } else {
            self.recent.extend(hashes);
        }
        let added = self.recent.len() - before;
        if added <= FEW {
            // Into place: a memmove, where a sort of the whole array costs O(n log n)
            // per call (late events of an evicted month each add one).
            for h in self.recent.split_off(before) {
                if let Err(i) = self.recent.binary_search(&h) {
                    if !self.packed.contains(h) {
                        self.recent.insert(i, h);
                    }
                }
            }
        } else {
            self.recent.sort_unstable();
            self.recent.dedup();
            let packed = &self.packed;
            self.recent.retain(|&h| !packed.contains(h));
        }
        let grew = self.recent.len() > before;
        if self.recent.len() > FEW.max(self.packed.len() / RECENT_SHARE) {
            self.pack();
        }
        grew
    }

    /// Encodes every hash into `packed`.
    fn pack(&mut self) {
        let all: Vec<u64> = if self.packed.len() == 0 {
            std::mem::take(&mut self.recent)
        } else {
            self.iter().collect()
        };
        self.packed = Packed::new(&all);
        self.recent = Vec::new();
    }

    /// The month's changelog records, `CHUNK` hashes each; returns how many.
    fn records(&self, month: Month, out: &mut impl FnMut(Month, u32, Vec<u8>)) -> u32 {
        let mut hashes = self.iter().peekable();
        let mut n = 0;
        while hashes.peek().is_some() {
            let chunk = hashes.by_ref().take(CHUNK).flat_map(u64::to_le_bytes);
            out(month, n, chunk.collect());
            n += 1;
        }
        n
    }

    fn heap_bytes(&self) -> usize {
        self.packed.heap_bytes() + self.recent.capacity() * 8
    }
}

#[derive(Debug, Default)]
pub struct Tombstones {
    months: BTreeMap<Month, MonthSet>,
    /// Months dropped after their grace period, with the chunks they had written.
    expired: Vec<(Month, u32)>,
}

impl Tombstones {
    pub fn contains(&self, h: u64) -> bool {
        self.months.values().any(|m| m.contains(h))
    }

    /// Adds hashes to a month.
    pub fn add(&mut self, month: Month, hashes: impl IntoIterator<Item = u64>) {
        let m = self.months.entry(month).or_default();
        if m.insert(hashes) {
            m.dirty = true;
        }
    }

    /// Writes a month's chunks again (a failed write), or deletes them again if the
    /// month has expired since.
    pub fn rewrite(&mut self, month: Month, chunk: u32) {
        match self.months.get_mut(&month) {
            Some(m) => m.dirty = true,
            None => self.expired.push((month, chunk + 1)),
        }
    }

    /// Drops the months before `month`.
    pub fn expire_before(&mut self, month: Month) {
        let keep = self.months.split_off(&month);
        for (m, set) in std::mem::replace(&mut self.months, keep) {
            self.expired.push((m, set.chunks));
        }
    }

    pub fn len(&self) -> usize {
        self.months.values().map(MonthSet::len).sum()
    }

    /// Changelog records for what changed: `(month, chunk, Some(bytes))` to write and
    /// `(month, chunk, None)` to delete.
    pub fn drain(&mut self, mut out: impl FnMut(Month, u32, Option<Vec<u8>>)) {
        for (m, chunks) in self.expired.drain(..) {
            for c in 0..chunks {
                out(m, c, None);
            }
        }
        for (&m, set) in self.months.iter_mut().filter(|(_, s)| s.dirty) {
            let n = set.records(m, &mut |m, c, bytes| out(m, c, Some(bytes)));
            for c in n..set.chunks {
                out(m, c, None);
            }
            set.chunks = n;
            set.dirty = false;
        }
    }

    /// Every month's changelog records, changed or not: `(month, chunk, bytes)`.
    pub fn records(&self, mut out: impl FnMut(Month, u32, Vec<u8>)) {
        for (&m, set) in &self.months {
            set.records(m, &mut out);
        }
    }

    /// Takes back one chunk written by [`Tombstones::drain`] (restore).
    pub fn restore_chunk(&mut self, month: Month, chunk: u32, bytes: &[u8]) -> bool {
        if bytes.len() % 8 != 0 {
            return false;
        }
        let hashes = bytes
            .chunks_exact(8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
        let m = self.months.entry(month).or_default();
        m.insert(hashes);
        m.chunks = m.chunks.max(chunk + 1);
        true
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.months.values().map(MonthSet::heap_bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn few_and_many_hashes_land_sorted_and_deduplicated() {
        let m: Month = "2024-08".parse().unwrap();
        let mut t = Tombstones::default();
        t.add(m, [5, 1, 3, 3]);
        t.add(m, [3, 2]);
        t.add(m, (0..100u64).rev().map(|i| i * 2));
        t.add(m, []);
        let set: Vec<u64> = t.months[&m].iter().collect();
        assert!(set.windows(2).all(|w| w[0] < w[1]), "{set:?}");
        assert_eq!(t.len(), 103, "0, 2, ..., 198 plus 1, 3 and 5");
        assert!(t.contains(5) && t.contains(198) && !t.contains(7));
    }

    #[test]
    fn tombstones_round_trip_through_their_records_and_expire() {
        let aug: Month = "2024-08".parse().unwrap();
        let sep: Month = "2024-09".parse().unwrap();
        let mut t = Tombstones::default();
        t.add(aug, [key("12345", "A"), key("12345", "B")]);
        t.add(sep, [key("12345", "C")]);
        assert!(t.contains(key("12345", "B")));
        assert!(
            !t.contains(key("other", "B")),
            "the centre is part of the key"
        );
        let mut records = Vec::new();
        t.drain(|m, c, v| records.push((m, c, v)));
        assert_eq!(records.len(), 2);
        let mut back = Tombstones::default();
        for (m, c, v) in &records {
            assert!(back.restore_chunk(*m, *c, v.as_ref().unwrap()));
        }
        assert!(back.contains(key("12345", "A")) && back.contains(key("12345", "C")));
        // Drained or not, every month is in the full record set (the local cache).
        let mut all = Vec::new();
        t.records(|m, c, v| all.push((m, c, Some(v))));
        assert_eq!(all, records);
        t.expire_before(sep);
        assert!(!t.contains(key("12345", "A")) && t.contains(key("12345", "C")));
        let mut deletes = Vec::new();
        t.drain(|m, c, v| deletes.push((m, c, v.is_none())));
        assert_eq!(deletes, [(aug, 0, true)]);
        // A fixed function: FNV-1a 64 of "12345\x1fA".
        assert_eq!(key("12345", "A"), 0xecca_cc32_7993_560c);
    }

    /// A hash from a small range (so batches repeat each other) or from the whole one.
    fn hash() -> impl Strategy<Value = u64> {
        prop_oneof![0u64..512, any::<u64>(), Just(u64::MAX)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Batches of every size (in place, sorted in, packed, and merged into what was
        /// packed) keep the set a sorted set: it agrees with a `BTreeSet` after each, and
        /// its changelog records give the same set back.
        #[test]
        fn a_month_agrees_with_a_set(
            batches in prop::collection::vec(prop::collection::vec(hash(), 0..300), 1..12),
            probes in prop::collection::vec(hash(), 16),
        ) {
            let m: Month = "2024-08".parse().unwrap();
            let mut t = Tombstones::default();
            let mut model = std::collections::BTreeSet::new();
            for batch in batches {
                let new = batch.iter().any(|h| !model.contains(h));
                t.months.entry(m).or_default().dirty = false;
                t.add(m, batch.iter().copied());
                model.extend(batch);
                prop_assert_eq!(t.months[&m].dirty, new, "dirty only when something was new");
                prop_assert_eq!(t.len(), model.len());
                prop_assert!(t.months[&m].iter().eq(model.iter().copied()));
                for h in probes.iter().chain(model.iter().take(8)) {
                    prop_assert_eq!(t.contains(*h), model.contains(h), "{}", h);
                }
            }
            // A month with no hashes writes no record, so it comes back absent.
            let mut back = Tombstones::default();
            t.records(|m, c, bytes| assert!(back.restore_chunk(m, c, &bytes)));
            let restored: Vec<u64> = back.months.get(&m).map(|s| s.iter().collect()).unwrap_or_default();
            prop_assert_eq!(restored, model.iter().copied().collect::<Vec<_>>());
        }
    }
}
