//! The two label codecs of the packed form: interned ids (in memory) and text (in the
//! changelog topic).

use super::bytes::{get_bytes, get_varint, put_bytes, put_varint, take, Sink};

/// How label values are written and read.
pub trait Codec<'a> {
    type Label;
    fn put(out: &mut impl Sink, l: &Self::Label);
    fn get(input: &mut &'a [u8]) -> Option<Self::Label>;
    /// An optional value: one byte for "absent".
    fn put_opt(out: &mut impl Sink, l: Option<&Self::Label>);
    fn get_opt(input: &mut &'a [u8]) -> Option<Option<Self::Label>>;
}

/// Label values as interned ids.
pub struct Ids;

impl Codec<'_> for Ids {
    type Label = u32;

    fn put(out: &mut impl Sink, l: &u32) {
        put_varint(out, u64::from(*l));
    }

    fn get(input: &mut &[u8]) -> Option<u32> {
        get_varint(input).and_then(|v| u32::try_from(v).ok())
    }

    fn put_opt(out: &mut impl Sink, l: Option<&u32>) {
        put_varint(out, l.map_or(0, |&l| u64::from(l) + 1));
    }

    fn get_opt(input: &mut &[u8]) -> Option<Option<u32>> {
        match get_varint(input)? {
            0 => Some(None),
            v => u32::try_from(v - 1).ok().map(Some),
        }
    }
}

/// Label values as UTF-8 text.
pub struct Text;

impl<'a> Codec<'a> for Text {
    type Label = &'a str;

    fn put(out: &mut impl Sink, l: &&'a str) {
        put_bytes(out, l.as_bytes());
    }

    fn get(input: &mut &'a [u8]) -> Option<&'a str> {
        std::str::from_utf8(get_bytes(input)?).ok()
    }

    fn put_opt(out: &mut impl Sink, l: Option<&&'a str>) {
        match l {
            None => put_varint(out, 0),
            Some(s) => {
                put_varint(out, s.len() as u64 + 1);
                out.put_slice(s.as_bytes());
            }
        }
    }

    fn get_opt(input: &mut &'a [u8]) -> Option<Option<&'a str>> {
        let n = get_varint(input)?;
        if n == 0 {
            return Some(None);
        }
        let s = take(input, usize::try_from(n - 1).ok()?)?;
        std::str::from_utf8(s).ok().map(Some)
    }
}
