//! The byte primitives of the packed form: varints, zigzag-signed varints and
//! length-prefixed byte strings (also the local cache's record framing).

/// Where packed bytes go: a `Vec`, or a `SmallVec` on the stack (an order's event is
/// encoded there before it is inserted, with no allocation of its own).
pub trait Sink {
    /// Where the next byte goes.
    fn end(&self) -> usize;
    fn push(&mut self, b: u8);
    fn put_slice(&mut self, b: &[u8]);
    /// Overwrites the byte at `at` (written before).
    fn set(&mut self, at: usize, b: u8);
}

impl Sink for Vec<u8> {
    fn end(&self) -> usize {
        self.len()
    }
    fn push(&mut self, b: u8) {
        Vec::push(self, b);
    }
    fn put_slice(&mut self, b: &[u8]) {
        self.extend_from_slice(b);
    }
    fn set(&mut self, at: usize, b: u8) {
        self[at] = b;
    }
}

impl<A: smallvec::Array<Item = u8>> Sink for smallvec::SmallVec<A> {
    fn end(&self) -> usize {
        self.len()
    }
    fn push(&mut self, b: u8) {
        smallvec::SmallVec::push(self, b);
    }
    fn put_slice(&mut self, b: &[u8]) {
        self.extend_from_slice(b);
    }
    fn set(&mut self, at: usize, b: u8) {
        self[at] = b;
    }
}

pub(super) fn byte(input: &mut &[u8]) -> Option<u8> {
    let (&b, rest) = input.split_first()?;
    *input = rest;
    Some(b)
}

pub(super) fn take<'a>(input: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if input.len() < n {
        return None;
    }
    let (b, rest) = input.split_at(n);
    *input = rest;
    Some(b)
}

pub fn put_varint(out: &mut impl Sink, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub fn get_varint(input: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = byte(input)?;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

pub fn put_signed(out: &mut impl Sink, v: i64) {
    put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
}

pub fn get_signed(input: &mut &[u8]) -> Option<i64> {
    let v = get_varint(input)?;
    Some((v >> 1) as i64 ^ -((v & 1) as i64))
}

pub fn put_bytes(out: &mut impl Sink, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.put_slice(b);
}

pub fn get_bytes<'a>(input: &mut &'a [u8]) -> Option<&'a [u8]> {
    let n = usize::try_from(get_varint(input)?).ok()?;
    take(input, n)
}
