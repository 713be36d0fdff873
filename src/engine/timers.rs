//! A partition's pending timers: when an order next changes by itself (a deadline
//! passing), by slot.
//!
//! One binary heap over every pending timer (a province shard holds over a million)
//! paid a cache miss at most levels of every pop. Timers are kept instead in buckets
//! of [`BUCKET_MS`]: later buckets are plain vectors in time order of bucket, and only
//! the earliest bucket with timers is a heap — a small one, in cache. A timer is
//! pushed onto a vector, and heapified once, when its bucket comes due.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use crate::event::Millis;

/// Width of a bucket: an hour.
const BUCKET_MS: Millis = 3_600_000;

type Entry = Reverse<(Millis, u32)>;

#[derive(Debug, Default)]
pub struct Timers {
    /// Every timer before `near_end`.
    near: BinaryHeap<Entry>,
    near_end: Millis,
    /// The timers at or after `near_end`, by bucket (`time / BUCKET_MS`), unsorted.
    far: BTreeMap<Millis, Vec<Entry>>,
}

impl Timers {
    pub fn push(&mut self, at: Millis, slot: u32) {
        let e = Reverse((at, slot));
        if at < self.near_end {
            self.near.push(e);
        } else {
            self.far
                .entry(at.div_euclid(BUCKET_MS))
                .or_default()
                .push(e);
        }
    }

    /// Removes and returns the earliest timer at or before `as_of`: `(time, slot)`.
    pub fn pop_due(&mut self, as_of: Millis) -> Option<(Millis, u32)> {
        loop {
            // Every near timer is before every far one.
            if let Some(&Reverse(first)) = self.near.peek() {
                if first.0 > as_of {
                    return None;
                }
                self.near.pop();
                return Some(first);
            }
            let (&bucket, _) = self.far.first_key_value()?;
            if bucket.saturating_mul(BUCKET_MS) > as_of {
                return None;
            }
            let (_, due) = self.far.pop_first()?;
            self.near = BinaryHeap::from(due);
            self.near_end = bucket.saturating_add(1).saturating_mul(BUCKET_MS);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.near.len() + self.far.values().map(Vec::len).sum::<usize>()
    }

    /// Heap bytes held (the buckets' map nodes counted by entry).
    pub fn heap_bytes(&self) -> usize {
        let entry = std::mem::size_of::<Entry>();
        let bucket = std::mem::size_of::<(Millis, Vec<Entry>)>();
        self.near.capacity() * entry
            + self
                .far
                .values()
                .map(|v| bucket + v.capacity() * entry)
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Whatever the pushes and as-of times, timers come out as from one sorted
        /// list: each due one once, in time order, none early.
        #[test]
        fn timers_come_due_in_order_and_never_early(
            steps in prop::collection::vec(
                (prop::collection::vec((0i64..40 * BUCKET_MS, 0u32..50), 0..20), 0i64..BUCKET_MS * 3),
                1..40,
            ),
        ) {
            let mut timers = Timers::default();
            let mut model: Vec<(Millis, u32)> = Vec::new();
            let mut as_of = 0;
            for (pushes, step) in steps {
                for (at, slot) in pushes {
                    timers.push(at, slot);
                    model.push((at, slot));
                }
                as_of += step;
                model.sort_unstable();
                let due = model.partition_point(|&(t, _)| t <= as_of);
                let expected: Vec<_> = model.drain(..due).collect();
                let mut got = Vec::new();
                while let Some(t) = timers.pop_due(as_of) {
                    got.push(t);
                }
                prop_assert_eq!(got, expected);
                prop_assert_eq!(timers.len(), model.len());
            }
        }
    }
}
