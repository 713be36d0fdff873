//! The packed binary form of an order's events: what the engine keeps in memory (label
//! values as interned ids) and what the changelog topic carries (label values as text).
//! One layout, two label codecs ([`Ids`], [`Text`]).
//!
//! An event is a header byte (type, and which values are stored compactly), its time
//! relative to the order's base time, its id (without the order id when it starts
//! with it, as upstream ids usually do), then its type's fields. Times are zigzag
//! varints, in whole seconds when they have no milliseconds.

use std::cmp::Ordering;

use super::{
    Channel, CompletionResult, Disposition, EventKind, EventType, Millis, Purpose, Satisfaction,
};

const ID_PREFIXED: u8 = 1 << 3;
const AT_SECS: u8 = 1 << 4;
const DUE_SECS: u8 = 1 << 5;

/// How label values are written and read.
pub trait Codec<'a> {
    type Label;
    fn put(out: &mut Vec<u8>, l: &Self::Label);
    fn get(input: &mut &'a [u8]) -> Option<Self::Label>;
    /// An optional value: one byte for "absent".
    fn put_opt(out: &mut Vec<u8>, l: Option<&Self::Label>);
    fn get_opt(input: &mut &'a [u8]) -> Option<Option<Self::Label>>;
}

/// Label values as interned ids.
pub struct Ids;

impl Codec<'_> for Ids {
    type Label = u32;

    fn put(out: &mut Vec<u8>, l: &u32) {
        put_varint(out, u64::from(*l));
    }

    fn get(input: &mut &[u8]) -> Option<u32> {
        get_varint(input).and_then(|v| u32::try_from(v).ok())
    }

    fn put_opt(out: &mut Vec<u8>, l: Option<&u32>) {
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

    fn put(out: &mut Vec<u8>, l: &&'a str) {
        put_bytes(out, l.as_bytes());
    }

    fn get(input: &mut &'a [u8]) -> Option<&'a str> {
        std::str::from_utf8(get_bytes(input)?).ok()
    }

    fn put_opt(out: &mut Vec<u8>, l: Option<&&'a str>) {
        match l {
            None => put_varint(out, 0),
            Some(s) => {
                put_varint(out, s.len() as u64 + 1);
                out.extend_from_slice(s.as_bytes());
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

/// One packed event, read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packed<'a, L> {
    pub at: Millis,
    pub id: EventId<'a>,
    pub kind: EventKind<L>,
}

/// An event id as stored: the order id followed by `rest`, or `rest` alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventId<'a> {
    pub prefixed: bool,
    pub rest: &'a [u8],
}

impl<'a> EventId<'a> {
    /// How `event_id` is stored for an order with id `order_id`.
    pub fn of(event_id: &'a str, order_id: &str) -> Self {
        match event_id.as_bytes().strip_prefix(order_id.as_bytes()) {
            Some(rest) => EventId {
                prefixed: true,
                rest,
            },
            None => EventId {
                prefixed: false,
                rest: event_id.as_bytes(),
            },
        }
    }

    fn bytes<'b>(&'b self, order_id: &'b [u8]) -> impl Iterator<Item = u8> + 'b {
        let prefix: &[u8] = if self.prefixed { order_id } else { &[] };
        prefix.iter().chain(self.rest).copied()
    }

    /// Compares two ids of the same order as the full strings would compare.
    pub fn cmp_in(&self, other: &EventId<'_>, order_id: &[u8]) -> Ordering {
        if self.prefixed == other.prefixed {
            return self.rest.cmp(other.rest);
        }
        self.bytes(order_id).cmp(other.bytes(order_id))
    }

    /// The full id (for the changelog and tests).
    pub fn to_string_in(&self, order_id: &str) -> String {
        let bytes: Vec<u8> = self.bytes(order_id.as_bytes()).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// The contract's processing order of two events of one order: `at`, then type, then
/// `event_id`.
pub fn cmp_events<L>(a: &Packed<'_, L>, b: &Packed<'_, L>, order_id: &[u8]) -> Ordering {
    a.at.cmp(&b.at)
        .then_with(|| a.kind.event_type().cmp(&b.kind.event_type()))
        .then_with(|| a.id.cmp_in(&b.id, order_id))
}

/// Appends one event. `base` is the order's base time.
pub fn put<'a, C: Codec<'a>>(
    out: &mut Vec<u8>,
    base: Millis,
    at: Millis,
    id: EventId<'_>,
    kind: &EventKind<C::Label>,
) {
    let head = out.len();
    let mut flags = kind.event_type() as u8;
    if id.prefixed {
        flags |= ID_PREFIXED;
    }
    out.push(0);
    let delta = at.wrapping_sub(base);
    if delta % 1000 == 0 {
        flags |= AT_SECS;
        put_signed(out, delta / 1000);
    } else {
        put_signed(out, delta);
    }
    put_bytes(out, id.rest);
    let due = |out: &mut Vec<u8>, flags: &mut u8, due_at: Millis| {
        let d = due_at.wrapping_sub(at);
        if d % 1000 == 0 {
            *flags |= DUE_SECS;
            put_signed(out, d / 1000);
        } else {
            put_signed(out, d);
        }
    };
    match kind {
        EventKind::Received {
            channel,
            purpose,
            disposition,
            category,
            topic,
            unit,
        } => {
            out.push(
                (channel.index() as u8) << 5
                    | (purpose.index() as u8) << 2
                    | disposition.index() as u8,
            );
            C::put_opt(out, category.as_ref());
            C::put_opt(out, topic.as_ref());
            C::put_opt(out, unit.as_ref());
        }
        EventKind::Dispatched { unit, due_at }
        | EventKind::Extended { unit, due_at }
        | EventKind::Reopened { unit, due_at } => {
            C::put(out, unit);
            due(out, &mut flags, *due_at);
        }
        EventKind::Returned { unit, reason } => {
            C::put(out, unit);
            C::put_opt(out, reason.as_ref());
        }
        EventKind::Completed { unit, result } => {
            C::put(out, unit);
            out.push(result.map_or(0, |r| r.index() as u8 + 1));
        }
        EventKind::Callback {
            contacted,
            satisfaction,
            resolved,
            unit,
        } => {
            let s = satisfaction.map_or(0, |s| s.index() as u8 + 1);
            let r = match resolved {
                None => 0,
                Some(true) => 1,
                Some(false) => 2,
            };
            out.push(u8::from(*contacted) | s << 1 | r << 3);
            C::put_opt(out, unit.as_ref());
        }
    }
    out[head] = flags;
}

/// Reads one event and advances `input`; `None` if the bytes are not a packed event.
pub fn get<'a, C: Codec<'a>>(input: &mut &'a [u8], base: Millis) -> Option<Packed<'a, C::Label>> {
    let (&flags, rest) = input.split_first()?;
    *input = rest;
    let scale = |flag: u8| if flags & flag != 0 { 1000 } else { 1 };
    let at = base.wrapping_add(get_signed(input)?.wrapping_mul(scale(AT_SECS)));
    let id = EventId {
        prefixed: flags & ID_PREFIXED != 0,
        rest: get_bytes(input)?,
    };
    let due = |input: &mut &'a [u8]| -> Option<Millis> {
        Some(at.wrapping_add(get_signed(input)?.wrapping_mul(scale(DUE_SECS))))
    };
    let ty = *EventType::ALL.get(usize::from(flags & 7))?;
    let kind = match ty {
        EventType::Received => {
            let b = byte(input)?;
            EventKind::Received {
                channel: *Channel::ALL.get(usize::from(b >> 5))?,
                purpose: *Purpose::ALL.get(usize::from(b >> 2 & 7))?,
                disposition: *Disposition::ALL.get(usize::from(b & 3))?,
                category: C::get_opt(input)?,
                topic: C::get_opt(input)?,
                unit: C::get_opt(input)?,
            }
        }
        EventType::Dispatched => EventKind::Dispatched {
            unit: C::get(input)?,
            due_at: due(input)?,
        },
        EventType::Extended => EventKind::Extended {
            unit: C::get(input)?,
            due_at: due(input)?,
        },
        EventType::Reopened => EventKind::Reopened {
            unit: C::get(input)?,
            due_at: due(input)?,
        },
        EventType::Returned => EventKind::Returned {
            unit: C::get(input)?,
            reason: C::get_opt(input)?,
        },
        EventType::Completed => {
            let unit = C::get(input)?;
            let result = match byte(input)? {
                0 => None,
                r => Some(*CompletionResult::ALL.get(usize::from(r - 1))?),
            };
            EventKind::Completed { unit, result }
        }
        EventType::Callback => {
            let b = byte(input)?;
            let satisfaction = match b >> 1 & 3 {
                0 => None,
                s => Some(*Satisfaction::ALL.get(usize::from(s - 1))?),
            };
            let resolved = match b >> 3 & 3 {
                0 => None,
                1 => Some(true),
                2 => Some(false),
                _ => return None,
            };
            EventKind::Callback {
                contacted: b & 1 != 0,
                satisfaction,
                resolved,
                unit: C::get_opt(input)?,
            }
        }
    };
    Some(Packed { at, id, kind })
}

fn byte(input: &mut &[u8]) -> Option<u8> {
    let (&b, rest) = input.split_first()?;
    *input = rest;
    Some(b)
}

fn take<'a>(input: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if input.len() < n {
        return None;
    }
    let (b, rest) = input.split_at(n);
    *input = rest;
    Some(b)
}

pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
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

pub fn put_signed(out: &mut Vec<u8>, v: i64) {
    put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
}

pub fn get_signed(input: &mut &[u8]) -> Option<i64> {
    let v = get_varint(input)?;
    Some((v >> 1) as i64 ^ -((v & 1) as i64))
}

pub fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

pub fn get_bytes<'a>(input: &mut &'a [u8]) -> Option<&'a [u8]> {
    let n = usize::try_from(get_varint(input)?).ok()?;
    take(input, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{decode, DecodeCtx, TimeZone};

    const LINES: &[&str] = &[
        r#"{"event_id":"O1-1","order_id":"O1","type":"received","at":"2024-11-01T09:12:00+08:00","channel":"wechat","purpose":"complaint","disposition":"invalid","category":"社会事业","topic":"供暖","unit":"市公安局"}"#,
        r#"{"event_id":"x","order_id":"O1","type":"dispatched","at":"2024-11-01T09:40:00.250Z","unit":"u","due_at":"2024-11-12 18:00:00"}"#,
        r#"{"event_id":"O1-3","order_id":"O1","type":"returned","at":"2024-10-01T09:40:00Z","unit":"u","reason":"非本单位职责"}"#,
        r#"{"event_id":"O1-4","order_id":"O1","type":"callback","at":"2024-11-01T09:40:00Z","contacted":false}"#,
        r#"{"event_id":"O1-5","order_id":"O1","type":"callback","at":"2024-11-01T09:40:00Z","satisfaction":"unsatisfied","resolved":false,"unit":"u"}"#,
        r#"{"event_id":"O1-6","order_id":"O1","type":"completed","at":"2024-11-01T09:40:00Z","unit":"u","result":"explained"}"#,
        r#"{"event_id":"O1-7","order_id":"O1","type":"reopened","at":"2024-11-01T09:40:00Z","unit":"u","due_at":"2024-11-12T18:00:00.001Z"}"#,
        r#"{"event_id":"O1-8","order_id":"O1","type":"extended","at":"2024-11-01T09:40:00Z","unit":"u","due_at":"2020-11-12T18:00:00Z"}"#,
    ];

    #[test]
    fn text_codec_round_trips_every_type() {
        let ctx = DecodeCtx::unguarded(TimeZone::CHINA);
        let base = 1_730_000_000_000;
        let mut out = Vec::new();
        let mut want = Vec::new();
        for l in LINES {
            let ev = decode(l.as_bytes(), &ctx).unwrap();
            let kind = ev.kind.as_ref().map(|s| s.as_ref());
            let id = EventId::of(&ev.event_id, &ev.order_id);
            put::<Text>(&mut out, base, ev.at, id, &kind);
            want.push((
                ev.at,
                ev.event_id.to_string(),
                ev.kind.clone().map(|s| s.into_owned()),
            ));
        }
        let mut input = &out[..];
        for (at, id, kind) in want {
            let p = get::<Text>(&mut input, base).unwrap();
            assert_eq!(p.at, at);
            assert_eq!(p.id.to_string_in("O1"), id);
            assert_eq!(p.kind.map(str::to_owned), kind);
        }
        assert!(input.is_empty());
    }

    #[test]
    fn ids_compare_like_the_strings() {
        let ids = ["O1-1", "O1-10", "O1-2", "A", "P", "O1", "O0-9", "O1-1x"];
        for a in ids {
            for b in ids {
                let (x, y) = (EventId::of(a, "O1"), EventId::of(b, "O1"));
                assert_eq!(x.cmp_in(&y, b"O1"), a.cmp(b), "{a} {b}");
            }
        }
    }

    #[test]
    fn garbage_is_refused_not_a_panic() {
        for bytes in [&[7u8][..], &[0, 0x80], &[1, 2, 200, 1], &[0xff; 12]] {
            let mut input = bytes;
            let _ = get::<Text>(&mut input, 0);
            let mut input = bytes;
            let _ = get::<Ids>(&mut input, 0);
        }
        let mut v = Vec::new();
        put_signed(&mut v, i64::MIN);
        put_signed(&mut v, -1);
        put_signed(&mut v, i64::MAX);
        let mut input = &v[..];
        assert_eq!(get_signed(&mut input), Some(i64::MIN));
        assert_eq!(get_signed(&mut input), Some(-1));
        assert_eq!(get_signed(&mut input), Some(i64::MAX));
    }
}
