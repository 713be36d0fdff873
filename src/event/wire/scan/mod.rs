//! Reading the common case of a [`Wire`] without serde: a flat object whose keys and
//! string values have no escapes, and whose values are strings, `true`, `false` or
//! `null`. Anything else is left to serde.
//!
//! - `compact` — such an object with no whitespace between its tokens (what producers
//!   write), read from the positions of its quotes;
//! - `mod.rs` — any other, token by token ([`Scanner`]).

use std::borrow::Cow;

use super::{Key, Seen, Wire};

mod compact;

impl<'de> Wire<Cow<'de, str>> {
    /// Reads `text` if it is the common case, filling `self` exactly as serde would;
    /// anything else (`None`, `self` partly filled) is left to serde, which also words
    /// the error. A decode takes 12 % less time (`cargo bench --bench engine`).
    pub(super) fn scan(&mut self, text: &'de str) -> Option<()> {
        if self.scan_compact(text).is_some() {
            return Some(());
        }
        *self = Wire::default();
        self.scan_tokens(text)
    }

    /// [`Wire::scan`] token by token, whitespace allowed (`None`: `self` partly filled).
    fn scan_tokens(&mut self, text: &'de str) -> Option<()> {
        let mut s = Scanner { text, at: 0 };
        s.skip_ws();
        s.eat(b'{')?;
        s.skip_ws();
        let mut seen = Seen::default();
        // Where in the contract's order the next key is looked for first.
        let mut next = 0;
        if s.eat(b'}').is_none() {
            loop {
                let key = s.key(&mut next)?;
                s.skip_ws();
                s.eat(b':')?;
                s.skip_ws();
                let value = s.scalar()?;
                if !seen.first(key) || !self.put(key, value) {
                    return None;
                }
                s.skip_ws();
                if s.eat(b',').is_none() {
                    s.eat(b'}')?;
                    break;
                }
                s.skip_ws();
            }
        }
        s.skip_ws();
        (s.at == text.len()).then_some(())
    }
}

/// A value [`Wire::scan`] reads.
#[derive(Clone, Copy)]
pub(super) enum Scalar<'de> {
    Str(&'de str),
    Bool(bool),
    Null,
}

/// A field of a [`Wire`], as it takes a [`Scalar`] (as serde would fill it).
pub(super) trait Store<'de> {
    fn store(&mut self, value: Scalar<'de>) -> bool;
}

impl<'de> Store<'de> for Option<Cow<'de, str>> {
    #[inline(always)]
    fn store(&mut self, value: Scalar<'de>) -> bool {
        match value {
            Scalar::Str(s) => *self = Some(Cow::Borrowed(s)),
            Scalar::Null => *self = None,
            Scalar::Bool(_) => return false,
        }
        true
    }
}

impl Store<'_> for Option<bool> {
    #[inline(always)]
    fn store(&mut self, value: Scalar<'_>) -> bool {
        match value {
            Scalar::Bool(b) => *self = Some(b),
            Scalar::Null => *self = None,
            Scalar::Str(_) => return false,
        }
        true
    }
}

/// A key of the contract as JSON text (`"event_id"`, quotes included), for comparing
/// with 16 bytes of input at once.
#[derive(Clone, Copy)]
pub(super) struct Quoted {
    /// The text's bytes, little-endian, zero after its end.
    word: u128,
    /// Ones over the text's bytes.
    mask: u128,
    len: usize,
}

impl Quoted {
    pub(super) const fn of(name: &str) -> Quoted {
        let name = name.as_bytes();
        assert!(
            name.len() + 2 <= 16,
            "a key of the contract is longer than 14 bytes"
        );
        let (mut bytes, mut mask) = ([0u8; 16], [0u8; 16]);
        bytes[0] = b'"';
        let mut i = 0;
        while i < name.len() {
            bytes[i + 1] = name[i];
            i += 1;
        }
        bytes[name.len() + 1] = b'"';
        let mut i = 0;
        while i < name.len() + 2 {
            mask[i] = 0xff;
            i += 1;
        }
        Quoted {
            word: u128::from_le_bytes(bytes),
            mask: u128::from_le_bytes(mask),
            len: name.len() + 2,
        }
    }
}

/// A cursor over JSON text for [`Wire::scan`].
struct Scanner<'de> {
    text: &'de str,
    at: usize,
}

impl<'de> Scanner<'de> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.at += 1)
    }

    /// JSON's whitespace (RFC 8259: space, tab, line feed, carriage return).
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// A string without escapes or control characters, borrowed.
    fn string(&mut self) -> Option<&'de str> {
        self.eat(b'"')?;
        let start = self.at;
        let len = special(&self.text.as_bytes()[start..])?;
        // An escape or a control character (an error) is serde's to handle.
        if self.text.as_bytes()[start + len] != b'"' {
            return None;
        }
        self.at = start + len + 1;
        // Cut at ASCII quotes: on char boundaries.
        self.text.get(start..start + len)
    }

    /// A key. Producers write the contract's keys in its order, so the keys from
    /// `next` on (most often the first of them) are compared with the input 16 bytes
    /// at a time before the key is read as any string and matched by name. A key that
    /// matches a quoted key of the contract is exactly that key: the closing quote is
    /// part of what is compared, and the contract's keys have no escapes.
    fn key(&mut self, next: &mut usize) -> Option<Key> {
        if let Some((key, len)) = quoted_key(&self.text.as_bytes()[self.at..], next) {
            self.at += len;
            return Some(key);
        }
        Some(named_key(self.string()?, next))
    }

    fn scalar(&mut self) -> Option<Scalar<'de>> {
        let rest = &self.text.as_bytes()[self.at..];
        let (value, len) = match rest.first()? {
            b'"' => return self.string().map(Scalar::Str),
            b't' if rest.starts_with(b"true") => (Scalar::Bool(true), 4),
            b'f' if rest.starts_with(b"false") => (Scalar::Bool(false), 5),
            b'n' if rest.starts_with(b"null") => (Scalar::Null, 4),
            _ => return None,
        };
        self.at += len;
        Some(value)
    }
}

/// The contract's key `rest` starts with, quotes included, and its length in bytes, if
/// it is one of the keys from `next` on (see [`Scanner::key`]); `next` moves past it.
fn quoted_key(rest: &[u8], next: &mut usize) -> Option<(Key, usize)> {
    let w = u128::from_le_bytes(*rest.first_chunk::<16>()?);
    let i = (*next..Key::QUOTED.len()).find(|&i| w & Key::QUOTED[i].mask == Key::QUOTED[i].word)?;
    *next = i + 1;
    Some((Key::ALL[i], Key::QUOTED[i].len))
}

/// The key named `name` (without its quotes); `next` moves past a key of the contract.
fn named_key(name: &str, next: &mut usize) -> Key {
    let key = Key::of(name);
    if !matches!(key, Key::Other) {
        *next = key as usize + 1;
    }
    key
}

/// Where the first `"`, `\` or control character of `bytes` is: sixteen bytes at a
/// time while sixteen are left (a string's closing quote is most often in the first
/// sixteen: the eight-byte loop before cost 100 instructions a string, a tenth of a
/// replay's), then eight, then one.
fn special(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    #[cfg(target_arch = "x86_64")]
    while let Some(block) = bytes.get(at..).and_then(<[u8]>::first_chunk::<16>) {
        let (quotes, others) = special16(block);
        let found = quotes | others;
        if found != 0 {
            return Some(at + found.trailing_zeros() as usize);
        }
        at += 16;
    }
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    // The lowest flagged byte is a match (a borrow only flags bytes above one).
    let flags = |w: u64| {
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        let zero_in = |v: u64| v.wrapping_sub(ONES) & !v;
        (zero_in(quote) | zero_in(backslash) | (w.wrapping_sub(ONES * 0x20) & !w)) & HIGH
    };
    let mut words = bytes[at..].chunks_exact(8);
    for word in words.by_ref() {
        let w = u64::from_le_bytes(word.try_into().ok()?);
        let f = flags(w);
        if f != 0 {
            return Some(at + f.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|i| at + i)
}

/// One bit per byte of `block` that is `"`, and one per byte that is `\` or a control
/// character: what both readers look for (SSE2, which every x86-64 processor has).
#[cfg(target_arch = "x86_64")]
fn special16(block: &[u8; 16]) -> (u16, u16) {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    // SAFETY: SSE2 is in x86-64's baseline, and the unaligned load reads exactly the
    // sixteen bytes of `block`.
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast());
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        // Below 0x20 (unsigned): the byte is its own minimum with 0x1f.
        let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
        (
            _mm_movemask_epi8(quote) as u16,
            _mm_movemask_epi8(_mm_or_si128(backslash, control)) as u16,
        )
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn special16(block: &[u8; 16]) -> (u16, u16) {
    let bits = |f: fn(u8) -> bool| (0..16).fold(0u16, |m, i| m | (u16::from(f(block[i])) << i));
    (bits(|b| b == b'"'), bits(|b| b == b'\\' || b < 0x20))
}

#[cfg(test)]
mod tests;
