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

mod bytes;
mod codec;
#[cfg(test)]
mod tests;

use self::bytes::byte;
pub use self::bytes::{get_bytes, get_signed, get_varint, put_bytes, put_signed, put_varint, Sink};
pub use self::codec::{Codec, Ids, Text};

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
    out: &mut impl Sink,
    base: Millis,
    at: Millis,
    id: EventId<'_>,
    kind: &EventKind<C::Label>,
) {
    let head = out.end();
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
    let due = |out: &mut _, flags: &mut u8, due_at: Millis| {
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
    out.set(head, flags);
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
