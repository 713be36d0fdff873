//! A sorted set of 64-bit hashes, Elias-Fano coded: each hash split into a high part of
//! `b = ceil(log2 n)` bits, kept in unary, and a low part of `64 - b` bits, kept packed.
//! For n uniform hashes that is `66 - log2 n` bits each (49 for 114k, 6.2 bytes, where a
//! sorted array takes 8), and a look-up reads a directory word, one or two words of the
//! unary part and one of the low parts: a generic select structure (vers-vecs') took
//! four or five dependent loads and made a year's replay 9 % slower.

/// The high parts in unary: element `i` with high part `h` sets bit `h + i`, so every
/// high part (bucket) ends with a zero, and bucket `h`'s elements are the ones after its
/// `h`-th zero.
#[derive(Debug, Clone, Default)]
pub struct Packed {
    len: usize,
    /// Bits in a low part.
    low_bits: u32,
    upper: Vec<u64>,
    /// The low parts, `low_bits` each, little-endian, plus one spare word (a part is
    /// read as two words).
    lower: Vec<u64>,
    /// For every 64 buckets, how many elements come before them: bucket `64 j` starts at
    /// bit `64 j + dir[j]`.
    dir: Vec<usize>,
}

impl Packed {
    /// The set of `sorted` (ascending, no repeats).
    pub fn new(sorted: &[u64]) -> Packed {
        let len = sorted.len();
        let high_bits = len.next_power_of_two().trailing_zeros().clamp(1, 63);
        let low_bits = 64 - high_bits;
        let buckets = 1usize << high_bits;
        let mut set = Packed {
            len,
            low_bits,
            upper: vec![0; (len + buckets).div_ceil(64)],
            lower: vec![0; (len * low_bits as usize).div_ceil(64) + 1],
            dir: Vec::with_capacity(buckets / 64 + 1),
        };
        for (i, &x) in sorted.iter().enumerate() {
            debug_assert!(i == 0 || sorted[i - 1] < x, "sorted and without repeats");
            let h = (x >> low_bits) as usize;
            while set.dir.len() * 64 <= h {
                set.dir.push(i);
            }
            let bit = h + i;
            set.upper[bit / 64] |= 1 << (bit % 64);
            let at = i * low_bits as usize;
            let low = x & set.low_mask();
            set.lower[at / 64] |= low << (at % 64);
            if at % 64 + low_bits as usize > 64 {
                set.lower[at / 64 + 1] |= low >> (64 - at % 64);
            }
        }
        set.dir.resize(buckets.div_ceil(64), len);
        set
    }

    pub fn len(&self) -> usize {
        self.len
    }

    fn low_mask(&self) -> u64 {
        (1 << self.low_bits) - 1
    }

    /// The low part of element `i`.
    fn low(&self, i: usize) -> u64 {
        let at = i * self.low_bits as usize;
        let (w, off) = (at / 64, at % 64);
        let two = (u128::from(self.lower[w + 1]) << 64) | u128::from(self.lower[w]);
        (two >> off) as u64 & self.low_mask()
    }

    fn bit(&self, at: usize) -> bool {
        self.upper[at / 64] >> (at % 64) & 1 == 1
    }

    pub fn contains(&self, x: u64) -> bool {
        if self.len == 0 {
            return false;
        }
        let h = (x >> self.low_bits) as usize;
        let (j, mut skip) = (h / 64, h % 64);
        // From bucket 64 j's start, past `skip` zeros (the ends of the buckets before h).
        let mut at = 64 * j + self.dir[j];
        while skip > 0 {
            let mut zeros = !self.upper[at / 64] >> (at % 64);
            let n = zeros.count_ones() as usize;
            if n >= skip {
                for _ in 1..skip {
                    zeros &= zeros - 1;
                }
                at += zeros.trailing_zeros() as usize + 1;
                break;
            }
            skip -= n;
            at = (at / 64 + 1) * 64;
        }
        // Bucket h: its ones, in ascending order of their low parts; `h` zeros are
        // before `at`, so the ones before it are the elements before the bucket.
        let low = x & self.low_mask();
        let mut i = at - h;
        while i < self.len && self.bit(at) {
            match self.low(i).cmp(&low) {
                std::cmp::Ordering::Less => (i, at) = (i + 1, at + 1),
                std::cmp::Ordering::Equal => return true,
                std::cmp::Ordering::Greater => return false,
            }
        }
        false
    }

    /// The hashes in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        let ones = self.upper.iter().enumerate().flat_map(|(w, &word)| {
            let mut word = word;
            std::iter::from_fn(move || {
                (word != 0).then(|| {
                    let at = w * 64 + word.trailing_zeros() as usize;
                    word &= word - 1;
                    at
                })
            })
        });
        ones.enumerate()
            .map(|(i, at)| (((at - i) as u64) << self.low_bits) | self.low(i))
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        (self.upper.capacity() + self.lower.capacity()) * 8 + self.dir.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Members, their neighbours and the extremes answer as a sorted array does, and
        /// the set iterates back to its input.
        #[test]
        fn packed_agrees_with_a_sorted_array(
            mut hashes in prop::collection::vec(
                prop_oneof![any::<u64>(), 0u64..4096, Just(u64::MAX), Just(0)], 0..600),
            probes in prop::collection::vec(any::<u64>(), 32),
        ) {
            hashes.sort_unstable();
            hashes.dedup();
            let set = Packed::new(&hashes);
            prop_assert_eq!(set.len(), hashes.len());
            prop_assert_eq!(set.iter().collect::<Vec<_>>(), hashes.clone());
            let near = hashes.iter().flat_map(|&h| [h, h.wrapping_sub(1), h.wrapping_add(1)]);
            for x in near.chain(probes).chain([0, 1, u64::MAX, u64::MAX - 1]) {
                prop_assert_eq!(set.contains(x), hashes.binary_search(&x).is_ok(), "{}", x);
            }
        }
    }

    #[test]
    fn a_month_of_hashes_takes_about_six_bytes_each() {
        use std::hash::{BuildHasher, BuildHasherDefault};
        let fnv = BuildHasherDefault::<fnv::FnvHasher>::default();
        let mut hashes: Vec<u64> = (0..114_000u32).map(|i| fnv.hash_one(i)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        let set = Packed::new(&hashes);
        let per = set.heap_bytes() as f64 / hashes.len() as f64;
        assert!((6.0..6.5).contains(&per), "{per} bytes per hash");
        assert!(hashes.iter().all(|&h| set.contains(h)));
    }
}
