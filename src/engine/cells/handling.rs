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
    /// (bucket key, count), sorted by key: 8 bytes a bucket, so that the binary
    /// search of every completion touches as few cache lines as it can (a cell
    /// holds up to about 2,400 buckets for handling times up to a year).
    pub sparse: Vec<(u16, i32)>,
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
        self.add_sparse(sparse_key(secs), sign);
    }

    fn add_sparse(&mut self, key: u16, n: i32) {
        match position(&self.sparse, key) {
            Ok(i) => {
                self.sparse[i].1 += n;
                if self.sparse[i].1 == 0 {
                    self.sparse.remove(i);
                }
            }
            Err(i) => self.sparse.insert(i, (key, n)),
        }
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &Handling) {
        for i in 0..self.buckets.len() {
            self.buckets[i] += other.buckets[i];
        }
        self.count += other.count;
        self.sum_ms += other.sum_ms;
        for &(k, n) in &other.sparse {
            self.add_sparse(k, n);
        }
    }

    /// The value at quantile `q` (seconds), from the sparse buckets.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        let total: i64 = self.sparse.iter().map(|&(_, n)| i64::from(n)).sum();
        if total <= 0 {
            return None;
        }
        let rank = ((q * total as f64).ceil() as i64).clamp(1, total);
        let mut seen = 0;
        for &(k, n) in &self.sparse {
            seen += i64::from(n);
            if seen >= rank {
                return Some(sparse_value(k));
            }
        }
        self.sparse.last().map(|&(k, _)| sparse_value(k))
    }

    pub fn is_zero(&self) -> bool {
        self.count == 0 && self.sparse.is_empty() && self.buckets.iter().all(|&b| b == 0)
    }
}

/// Where `key` is in `sparse` (sorted by key, no key twice), or where it would go: what
/// a binary search answers, found from where the key would be if the keys were spread
/// evenly between the first and the last, then by steps doubling from there. A busy
/// cell's buckets are about that even, so a completion reads a cache line or two of
/// its histogram, where the binary search read about ten: of a province's 470 units'
/// histograms few stay in cache, and their searches took most of `unit_diff`.
fn position(sparse: &[(u16, i32)], key: u16) -> Result<usize, usize> {
    let (Some(&(first, _)), Some(&(last, _))) = (sparse.first(), sparse.last()) else {
        return Err(0);
    };
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
                let sparse: Vec<(u16, i32)> = set.iter().map(|&k| (k, 1)).collect();
                let extra: Vec<u16> = set.iter().flat_map(|&k| [k, k.wrapping_add(1), k.wrapping_sub(1)]).collect();
                for &key in probes.iter().chain(&extra).chain(&[0, u16::MAX]) {
                    let want = sparse.binary_search_by_key(&key, |&(k, _)| k);
                    prop_assert_eq!(position(&sparse, key), want, "key {}", key);
                }
            }
        }
    }
}
