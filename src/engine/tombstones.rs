//! What is left of evicted orders: a 64-bit hash of (centre, order id) per order, by
//! cohort month, kept for a grace period after the month leaves retention so that an
//! evicted order's later events are late — live, and after any restore — instead of
//! starting a new order in a later month.
//!
//! The hash is FNV-1a, a fixed function, because tombstones are saved in the changelog
//! and read back by other builds.

use std::collections::BTreeMap;
use std::hash::Hasher;

use fnv::FnvHasher;

use crate::event::Month;

/// Hashes per changelog record (8 bytes each: 512 KiB).
pub const CHUNK: usize = 64 * 1024;

/// Up to this many hashes are inserted in place rather than sorted in.
const FEW: usize = 16;

/// The tombstone hash of an order.
pub fn key(center: &str, order_id: &str) -> u64 {
    let mut h = FnvHasher::default();
    h.write(center.as_bytes());
    h.write(&[0x1f]);
    h.write(order_id.as_bytes());
    h.finish()
}

#[derive(Debug, Default, PartialEq, Eq)]
struct MonthSet {
    /// Sorted, deduplicated.
    sorted: Vec<u64>,
    /// Changed since the changelog last took it.
    dirty: bool,
    /// Changelog records last written for the month.
    chunks: u32,
}

impl MonthSet {
    /// The month's changelog records, `CHUNK` hashes each; returns how many.
    fn records(&self, month: Month, out: &mut impl FnMut(Month, u32, Vec<u8>)) -> u32 {
        let mut n = 0;
        for chunk in self.sorted.chunks(CHUNK) {
            out(
                month,
                n,
                chunk.iter().flat_map(|h| h.to_le_bytes()).collect(),
            );
            n += 1;
        }
        n
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tombstones {
    months: BTreeMap<Month, MonthSet>,
    /// Months dropped after their grace period, with the chunks they had written.
    expired: Vec<(Month, u32)>,
}

impl Tombstones {
    pub fn contains(&self, h: u64) -> bool {
        self.months
            .values()
            .any(|m| m.sorted.binary_search(&h).is_ok())
    }

    /// Adds hashes to a month.
    pub fn add(&mut self, month: Month, hashes: impl IntoIterator<Item = u64>) {
        let m = self.months.entry(month).or_default();
        let before = m.sorted.len();
        m.sorted.extend(hashes);
        let added = m.sorted.len() - before;
        if added == 0 {
            return;
        }
        m.dirty = true;
        if added <= FEW {
            // Into place: a memmove, where a sort of the whole set costs O(n log n) per
            // call (late events of an evicted month each add one).
            let new = m.sorted.split_off(before);
            for h in new {
                if let Err(i) = m.sorted.binary_search(&h) {
                    m.sorted.insert(i, h);
                }
            }
        } else {
            m.sorted.sort_unstable();
            m.sorted.dedup();
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
        self.months.values().map(|m| m.sorted.len()).sum()
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
        m.sorted.extend(hashes);
        m.sorted.sort_unstable();
        m.sorted.dedup();
        m.chunks = m.chunks.max(chunk + 1);
        true
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.months.values().map(|m| m.sorted.capacity() * 8).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_and_many_hashes_land_sorted_and_deduplicated() {
        let m: Month = "2024-08".parse().unwrap();
        let mut t = Tombstones::default();
        t.add(m, [5, 1, 3, 3]);
        t.add(m, [3, 2]);
        t.add(m, (0..100u64).rev().map(|i| i * 2));
        t.add(m, []);
        let set = &t.months[&m].sorted;
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
}
