//! The compact case of [`Wire::scan`], what producers write: an object with no
//! whitespace between its tokens and no escape or control character anywhere. Its
//! quotes are found sixteen bytes at a time before anything is read; with no escape,
//! each quote opens or closes a string, so a string ends at the next quote and the
//! tokens between strings are at known places. Anything else is left to the scanner.

use std::borrow::Cow;

use super::{named_key, quoted_key, special16, Scalar};
use crate::event::wire::{Seen, Wire};

/// Longer lines are left to the scanner (an event is about 220 bytes).
const MAX_BYTES: usize = 512;

/// One bit per byte of a line that is a quote.
struct Quotes([u64; MAX_BYTES / 64]);

impl Quotes {
    /// The quotes of `b`; `None` if it has a backslash or a control character, or is
    /// longer than [`MAX_BYTES`].
    fn of(b: &[u8]) -> Option<Quotes> {
        if b.len() > MAX_BYTES {
            return None;
        }
        let mut words = [0u64; MAX_BYTES / 64];
        for (word, group) in words.iter_mut().zip(b.chunks(64)) {
            let mut padded = [b' '; 64];
            // Padded with spaces, neither quotes nor special: only the last group is
            // short.
            let group: &[u8; 64] = match group.try_into() {
                Ok(whole) => whole,
                Err(_) => {
                    padded[..group.len()].copy_from_slice(group);
                    &padded
                }
            };
            let (mut quotes, mut special) = (0, 0);
            for (i, block) in group.chunks_exact(16).enumerate() {
                let (q, s) = special16(block.try_into().ok()?);
                quotes |= u64::from(q) << (16 * i);
                special |= s;
            }
            if special != 0 {
                return None;
            }
            *word = quotes;
        }
        Some(Quotes(words))
    }

    /// The first quote at or after `from`.
    fn next(&self, from: usize) -> Option<usize> {
        let mut word = from / 64;
        let mut bits = self.0.get(word)? & (u64::MAX << (from % 64));
        while bits == 0 {
            word += 1;
            bits = *self.0.get(word)?;
        }
        Some(word * 64 + bits.trailing_zeros() as usize)
    }
}

impl<'de> Wire<Cow<'de, str>> {
    /// Reads `text` if it is compact, filling `self` exactly as the scanner would;
    /// anything else (`None`, `self` partly filled) is left to the scanner.
    pub(super) fn scan_compact(&mut self, text: &'de str) -> Option<()> {
        let b = text.as_bytes();
        let quotes = Quotes::of(b)?;
        if b.first() != Some(&b'{') {
            return None;
        }
        if b.get(1) == Some(&b'}') {
            return (b.len() == 2).then_some(());
        }
        let mut seen = Seen::default();
        // Where in the contract's order the next key is looked for first.
        let mut next = 0;
        let mut at = 1;
        loop {
            if b.get(at) != Some(&b'"') {
                return None;
            }
            let (key, colon) = match quoted_key(&b[at..], &mut next) {
                Some((key, len)) => (key, at + len),
                None => {
                    let end = quotes.next(at + 1)?;
                    // Cut at ASCII quotes: on char boundaries.
                    (named_key(text.get(at + 1..end)?, &mut next), end + 1)
                }
            };
            if b.get(colon) != Some(&b':') {
                return None;
            }
            at = colon + 1;
            let value = match *b.get(at)? {
                b'"' => {
                    let end = quotes.next(at + 1)?;
                    let s = text.get(at + 1..end)?;
                    at = end + 1;
                    Scalar::Str(s)
                }
                _ => {
                    let (value, len) = literal(&b[at..])?;
                    at += len;
                    value
                }
            };
            if !seen.first(key) || !self.put(key, value) {
                return None;
            }
            match b.get(at)? {
                b',' => at += 1,
                b'}' => break,
                _ => return None,
            }
        }
        (at + 1 == b.len()).then_some(())
    }
}

/// `true`, `false` or `null` at the start of `rest`, and its length.
fn literal(rest: &[u8]) -> Option<(Scalar<'static>, usize)> {
    if rest.starts_with(b"true") {
        Some((Scalar::Bool(true), 4))
    } else if rest.starts_with(b"false") {
        Some((Scalar::Bool(false), 5))
    } else if rest.starts_with(b"null") {
        Some((Scalar::Null, 4))
    } else {
        None
    }
}
