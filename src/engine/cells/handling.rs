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
        match self.sparse.binary_search_by_key(&key, |&(k, _)| k) {
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
