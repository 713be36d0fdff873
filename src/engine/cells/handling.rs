//! Handling time of completed assignments, as a cell keeps it.

use serde::{Deserialize, Serialize};

use crate::engine::counts::HANDLING_BUCKETS_SECS;

/// Handling time of completed assignments: fixed buckets for Prometheus, and a sparse
/// log-linear histogram (1/128 relative precision) for quantiles, which costs memory
/// only for the values a cell has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handling {
    pub buckets: [i64; HANDLING_BUCKETS_SECS.len()],
    pub count: i64,
    pub sum_ms: i64,
    sparse: Sparse,
}

/// The sparse histogram: (bucket key, count), sorted by key, 8 bytes a bucket (a cell
/// holds up to about 2,400 buckets for handling times up to a year), and the first and
/// last key kept beside them, in the cell, where a search of the buckets starts: read
/// from the buckets, they were two of the three cache lines a completion's search read.
/// Serialized as the buckets alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<(u16, i32)>", into = "Vec<(u16, i32)>")]
struct Sparse {
    buckets: Vec<(u16, i32)>,
    /// The first and the last bucket's keys ((0, 0) with no bucket).
    ends: (u16, u16),
}

impl From<Vec<(u16, i32)>> for Sparse {
    fn from(buckets: Vec<(u16, i32)>) -> Self {
        let mut s = Sparse {
            buckets,
            ends: (0, 0),
        };
        s.mark_ends();
        s
    }
}

impl From<Sparse> for Vec<(u16, i32)> {
    fn from(s: Sparse) -> Self {
        s.buckets
    }
}

impl Sparse {
    fn mark_ends(&mut self) {
        let key = |b: Option<&(u16, i32)>| b.map_or(0, |&(k, _)| k);
        self.ends = (key(self.buckets.first()), key(self.buckets.last()));
    }

    fn add(&mut self, key: u16, n: i32) {
        let i = match position(&self.buckets, self.ends, key) {
            Ok(i) => {
                self.buckets[i].1 += n;
                if self.buckets[i].1 != 0 {
                    return;
                }
                self.buckets.remove(i);
                i
            }
            Err(i) => {
                self.buckets.insert(i, (key, n));
                i
            }
        };
        // An end moved only if the change was at one.
        if i == 0 || i + 1 >= self.buckets.len() {
            self.mark_ends();
        }
    }
}

/// The sparse histogram's bucket of `secs`: exact below 256, else 8 significant bits
/// (at most 56 << 8 | 255: a `u16`).
pub fn sparse_key(secs: u64) -> u16 {
    if secs < 256 {
        return secs as u16;
    }
    let e = 63 - secs.leading_zeros() - 7;
    ((e << 8) | (secs >> e) as u32) as u16
}

/// The smallest value of a sparse bucket.
pub fn sparse_value(key: u16) -> u64 {
    let e = key >> 8;
    let m = u64::from(key & 0xff);
    if e == 0 {
        m
    } else {
        m << e
    }
}

impl Handling {
    pub fn record(&mut self, ms: i64, sign: i32) {
        let ms = ms.max(0);
        let secs = (ms / 1000) as u64;
        if let Some(i) = HANDLING_BUCKETS_SECS.iter().position(|&b| secs <= b) {
            self.buckets[i] += i64::from(sign);
        }
        self.count += i64::from(sign);
        self.sum_ms += i64::from(sign) * ms;
        self.sparse.add(sparse_key(secs), sign);
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &Handling) {
        for i in 0..self.buckets.len() {
            self.buckets[i] += other.buckets[i];
        }
        self.count += other.count;
        self.sum_ms += other.sum_ms;
        for &(k, n) in &other.sparse.buckets {
            self.sparse.add(k, n);
        }
    }

    /// The value at quantile `q` (seconds), from the sparse buckets.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        let sparse = &self.sparse.buckets;
        let total: i64 = sparse.iter().map(|&(_, n)| i64::from(n)).sum();
        if total <= 0 {
            return None;
        }
        let rank = ((q * total as f64).ceil() as i64).clamp(1, total);
        let mut seen = 0;
        for &(k, n) in sparse {
            seen += i64::from(n);
            if seen >= rank {
                return Some(sparse_value(k));
            }
        }
        sparse.last().map(|&(k, _)| sparse_value(k))
    }

    pub fn is_zero(&self) -> bool {
        self.count == 0 && self.sparse.buckets.is_empty() && self.buckets.iter().all(|&b| b == 0)
    }
}

/// Where `key` is in `sparse` (sorted by key, no key twice; `(first, last)` its first
/// and last key), or where it would go: what a binary search answers, found from where
/// the key would be if the keys were spread evenly between the first and the last, then
/// by steps doubling from there. A busy cell's buckets are about that even, so a
/// completion reads a cache line or two of its histogram, where the binary search read
/// about ten: of a province's 470 units' histograms few stay in cache, and their
/// searches took most of `unit_diff`.
fn position(sparse: &[(u16, i32)], (first, last): (u16, u16), key: u16) -> Result<usize, usize> {
    if sparse.is_empty() {
        return Err(0);
    }
    debug_assert_eq!((sparse[0].0, sparse[sparse.len() - 1].0), (first, last));
    if key <= first {
        return if key == first { Ok(0) } else { Err(0) };
    }
    if key >= last {
        let end = sparse.len() - 1;
        return if key == last { Ok(end) } else { Err(end + 1) };
    }
    // first < key < last: at least two buckets, and the answer is in 1..len - 1.
    let end = sparse.len() - 1;
    let guess = usize::from(key - first) * end / usize::from(last - first);
    // A range (lo, hi] holding the answer: sparse[lo] < key <= sparse[hi]. The steps
    // end: going up they stop at the last bucket at the latest, going down at the
    // first, since first < key < last.
    let (mut lo, mut hi) = (guess, guess);
    let mut step = 1;
    if sparse[guess].0 < key {
        loop {
            hi = (lo + step).min(end);
            if sparse[hi].0 >= key {
                break;
            }
            (lo, step) = (hi, step * 2);
        }
    } else {
        loop {
            lo = hi.saturating_sub(step);
            if sparse[lo].0 < key {
                break;
            }
            (hi, step) = (lo, step * 2);
        }
    }
    let within = sparse[lo + 1..=hi].binary_search_by_key(&key, |&(k, _)| k);
    within.map(|i| lo + 1 + i).map_err(|i| lo + 1 + i)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// The guided search answers what a binary search answers, for every key of
        /// any set of buckets: spread evenly or not, present or not, at either end.
        #[test]
        fn position_answers_as_a_binary_search(
            keys in prop::collection::btree_set(any::<u16>(), 0..300),
            clustered in prop::collection::btree_set(0u16..64, 0..40),
            probes in prop::collection::vec(any::<u16>(), 1..50),
        ) {
            for set in [&keys, &clustered] {
                let sparse = Sparse::from(set.iter().map(|&k| (k, 1)).collect::<Vec<_>>());
                let (ends, sparse) = (sparse.ends, sparse.buckets);
                let extra: Vec<u16> = set.iter().flat_map(|&k| [k, k.wrapping_add(1), k.wrapping_sub(1)]).collect();
                for &key in probes.iter().chain(&extra).chain(&[0, u16::MAX]) {
                    let want = sparse.binary_search_by_key(&key, |&(k, _)| k);
                    prop_assert_eq!(position(&sparse, ends, key), want, "key {}", key);
                }
            }
        }

        /// Adding and taking away counts keeps the buckets those of a sorted map of
        /// the non-zero counts, and the ends kept beside them their first and last key.
        #[test]
        fn buckets_and_ends_follow_every_change(
            changes in prop::collection::vec((0u16..40, -2i32..=2), 0..200),
        ) {
            let mut sparse = Sparse::default();
            let mut model = std::collections::BTreeMap::new();
            for (key, n) in changes {
                if n == 0 {
                    continue;
                }
                sparse.add(key, n);
                let count = model.entry(key).or_insert(0);
                *count += n;
                if *count == 0 {
                    model.remove(&key);
                }
                let want: Vec<(u16, i32)> = model.iter().map(|(&k, &n)| (k, n)).collect();
                prop_assert_eq!(&sparse.buckets, &want);
                let ends = (want.first().map_or(0, |b| b.0), want.last().map_or(0, |b| b.0));
                prop_assert_eq!(sparse.ends, ends);
            }
        }
    }

    #[test]
    fn a_histogram_is_serialized_with_its_buckets_alone() {
        let mut h = Handling::default();
        for secs in [30, 7_200, 30, 100_000] {
            h.record(secs * 1000, 1);
        }
        let json = serde_json::to_value(&h).unwrap();
        assert_eq!(
            json["sparse"],
            serde_json::json!([[30, 2], [sparse_key(7_200), 1], [sparse_key(100_000), 1]])
        );
        let back: Handling = serde_json::from_value(json).unwrap();
        assert_eq!(back, h);
        assert_eq!(back.sparse.ends, (30, sparse_key(100_000)));
    }
}
