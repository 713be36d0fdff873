//! Decoding one message (a Kafka value or a JSON Lines line) into an [`Event`], with
//! a fixed reason code for every kind of bad input.
//!
//! Text is borrowed from the message wherever it needs no unescaping or normalising,
//! so a typical event is decoded without allocating.

use std::borrow::Cow;

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

use super::time::{parse_timestamp, TimeZone};
use super::wire::Wire;
use super::*;

/// Messages above this size are rejected before parsing (events.md, "Transport").
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// A decoded event, its text borrowed from the message where possible.
pub type Decoded<'a> = Event<Cow<'a, str>>;

/// Why a message was rejected. The codes are the contract's fixed set: they become
/// label values and DLQ headers, so they never carry message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectReason {
    InvalidJson,
    NotObject,
    TooLarge,
    MissingField,
    UnknownType,
    InvalidValue,
    BadTimestamp,
    /// Kafka only: the message key is missing or differs from its `order_id`.
    KeyMismatch,
}

impl RejectReason {
    pub const ALL: [RejectReason; 8] = [
        RejectReason::InvalidJson,
        RejectReason::NotObject,
        RejectReason::TooLarge,
        RejectReason::MissingField,
        RejectReason::UnknownType,
        RejectReason::InvalidValue,
        RejectReason::BadTimestamp,
        RejectReason::KeyMismatch,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RejectReason::InvalidJson => "invalid_json",
            RejectReason::NotObject => "not_object",
            RejectReason::TooLarge => "too_large",
            RejectReason::MissingField => "missing_field",
            RejectReason::UnknownType => "unknown_type",
            RejectReason::InvalidValue => "invalid_value",
            RejectReason::BadTimestamp => "bad_timestamp",
            RejectReason::KeyMismatch => "key_mismatch",
        }
    }

    /// Position in [`RejectReason::ALL`] (counters are arrays in that order).
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A rejected message: the reason and, where known, the field at fault (a field name
/// of the contract, never caller data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("rejected: {} (field: {})", reason.code(), field.unwrap_or("-"))]
pub struct Reject {
    pub reason: RejectReason,
    pub field: Option<&'static str>,
}

impl Reject {
    pub(crate) fn new(reason: RejectReason, field: &'static str) -> Self {
        Reject {
            reason,
            field: Some(field),
        }
    }

    pub(crate) fn whole(reason: RejectReason) -> Self {
        Reject {
            reason,
            field: None,
        }
    }
}

/// What decoding needs besides the bytes: the zone of naive timestamps and the latest
/// acceptable event time. The future guard lives here and nowhere else: no upstream
/// system records the future, and one bad clock must not create months of state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeCtx {
    pub tz: TimeZone,
    /// Events whose `at` is after this are `bad_timestamp`.
    pub not_after: Millis,
}

impl DecodeCtx {
    /// The context at wall-clock time `now` with a future `horizon_ms`.
    pub fn new(tz: TimeZone, now: Millis, horizon_ms: i64) -> Self {
        DecodeCtx {
            tz,
            not_after: now.saturating_add(horizon_ms),
        }
    }

    /// No future guard (tests of the rules, the simulator's own checks).
    pub fn unguarded(tz: TimeZone) -> Self {
        DecodeCtx {
            tz,
            not_after: Millis::MAX,
        }
    }
}

/// Decodes one message. Never panics; a rejected message has no effect on anything.
pub fn decode<'a>(bytes: &'a [u8], ctx: &DecodeCtx) -> Result<Decoded<'a>, Reject> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(Reject::whole(RejectReason::TooLarge));
    }
    // JSON text is UTF-8 (RFC 8259, 8.1): checked once for the whole message with
    // SIMD, instead of serde_json checking each string on its own with the standard
    // library's check (9 % of a replay's CPU time on the mostly Chinese text).
    let text =
        simdutf8::basic::from_utf8(bytes).map_err(|_| Reject::whole(RejectReason::InvalidJson))?;
    decode_text(text, ctx)
}

/// Decodes one message known to be UTF-8 (a replay checks a run of lines at once),
/// deciding as [`decode`] does.
pub fn decode_text<'a>(text: &'a str, ctx: &DecodeCtx) -> Result<Decoded<'a>, Reject> {
    use RejectReason::*;
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(Reject::whole(TooLarge));
    }
    let mut raw: Wire<Cow<'a, str>> = Wire::default();
    if let Err(e) = raw.read(text) {
        return Err(Reject::whole(classify(text.as_bytes(), &e)));
    }
    let tz = ctx.tz;
    let text = |v: Option<Cow<'a, str>>, field: &'static str, max: usize| {
        let v = v.ok_or(Reject::new(MissingField, field))?;
        if !length_within(&v, 1, max) {
            return Err(Reject::new(InvalidValue, field));
        }
        Ok(v)
    };
    let optional = |v: Option<Cow<'a, str>>, field: &'static str, max: usize| match v {
        Some(v) if !length_within(&v, 0, max) => Err(Reject::new(InvalidValue, field)),
        v => Ok(v),
    };
    let time = |v: Option<Cow<'a, str>>, field: &'static str| -> Result<Millis, Reject> {
        let v = v.ok_or(Reject::new(MissingField, field))?;
        parse_timestamp(&v, tz).ok_or(Reject::new(BadTimestamp, field))
    };
    let unit_opt = |v: Option<Cow<'a, str>>| match v {
        None => Ok(None),
        Some(v) => normalize_cow(v)
            .map(Some)
            .ok_or(Reject::new(InvalidValue, "unit")),
    };
    let unit = |v| unit_opt(v)?.ok_or(Reject::new(MissingField, "unit"));
    fn word<T>(
        v: Option<Cow<'_, str>>,
        field: &'static str,
        parse: fn(&str) -> Option<T>,
    ) -> Result<T, Reject> {
        let v = v.ok_or(Reject::new(MissingField, field))?;
        parse(&v).ok_or(Reject::new(InvalidValue, field))
    }
    fn word_opt<T>(
        v: Option<Cow<'_, str>>,
        field: &'static str,
        parse: fn(&str) -> Option<T>,
    ) -> Result<Option<T>, Reject> {
        v.map(|v| parse(&v).ok_or(Reject::new(InvalidValue, field)))
            .transpose()
    }
    let blank_is_absent = |v: Option<Cow<'a, str>>| v.filter(|s| !trim(s).is_empty());

    // Common fields first, in a fixed order, so that a message with several faults
    // always gets the same reason.
    let event_id = text(raw.event_id, "event_id", 128)?;
    let order_id = text(raw.order_id, "order_id", 64)?;
    let kind_name = raw.kind.ok_or(Reject::new(MissingField, "type"))?;
    let event_type = EventType::parse(&kind_name).ok_or(Reject::new(UnknownType, "type"))?;
    let at = time(raw.at, "at")?;
    if at > ctx.not_after {
        return Err(Reject::new(BadTimestamp, "at"));
    }
    let center = match raw.center {
        None => None,
        Some(c) => Some(text(Some(c), "center", 64)?),
    };

    let kind = match event_type {
        EventType::Received => EventKind::Received {
            channel: word(raw.channel, "channel", Channel::parse)?,
            purpose: word(raw.purpose, "purpose", Purpose::parse)?,
            disposition: word(raw.disposition, "disposition", Disposition::parse)?,
            category: blank_is_absent(optional(raw.category, "category", 64)?),
            topic: blank_is_absent(optional(raw.topic, "topic", 64)?),
            unit: unit_opt(raw.unit)?,
        },
        EventType::Dispatched => EventKind::Dispatched {
            unit: unit(raw.unit)?,
            due_at: time(raw.due_at, "due_at")?,
        },
        EventType::Returned => EventKind::Returned {
            unit: unit(raw.unit)?,
            reason: optional(raw.reason, "reason", 256)?,
        },
        EventType::Extended => EventKind::Extended {
            unit: unit(raw.unit)?,
            due_at: time(raw.due_at, "due_at")?,
        },
        EventType::Completed => EventKind::Completed {
            unit: unit(raw.unit)?,
            result: word_opt(raw.result, "result", CompletionResult::parse)?,
        },
        EventType::Callback => {
            let contacted = raw.contacted.unwrap_or(true);
            let satisfaction = word_opt(raw.satisfaction, "satisfaction", Satisfaction::parse)?;
            if contacted && satisfaction.is_none() {
                return Err(Reject::new(MissingField, "satisfaction"));
            }
            EventKind::Callback {
                contacted,
                satisfaction,
                resolved: raw.resolved,
                unit: unit_opt(raw.unit)?,
            }
        }
        EventType::Reopened => EventKind::Reopened {
            unit: unit(raw.unit)?,
            due_at: time(raw.due_at, "due_at")?,
        },
    };
    Ok(Event {
        event_id,
        order_id,
        at,
        center,
        kind,
    })
}

/// Whether `s` has between `min` (0 or 1) and `max` characters; characters are
/// counted only when the byte length leaves a doubt.
fn length_within(s: &str, min: usize, max: usize) -> bool {
    debug_assert!(min <= 1);
    if s.len() <= max {
        // No more characters than bytes; at least one character iff one byte.
        return s.len() >= min;
    }
    s.chars().count() <= max
}

/// Trims and NFC-normalises a unit name; `None` if nothing is left or it is too long.
pub(crate) fn normalize_unit(name: &str) -> Option<String> {
    normalize_cow(Cow::Borrowed(name)).map(Cow::into_owned)
}

/// Whether every character of `s` leaves any text it is in NFC: below U+0300 (where
/// no combining mark or decomposable character is) or a CJK Unified Ideograph
/// (U+4E00..U+9FFF) — what unit names are made of. Such text skips the table look-ups
/// of the full quick check (3 % of a replay's CPU time), and is told from its UTF-8
/// lead bytes without decoding a character (another 2 % of a replay's instructions).
fn plainly_nfc(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    // From lead byte to lead byte: `s` is UTF-8, so continuation bytes follow each.
    while let Some(&lead) = b.get(i) {
        i += match lead {
            0x00..=0x7F => 1,
            // U+0080..U+02FF.
            0xC2..=0xCB => 2,
            // U+5000..U+9FFF.
            0xE5..=0xE9 => 3,
            // U+4000..U+4FFF: from U+4E00 on.
            0xE4 if b.get(i + 1).is_some_and(|&n| n >= 0xB8) => 3,
            _ => return false,
        };
    }
    true
}

/// `s.trim()`, told without decoding a character when neither end of `s` can be
/// whitespace, as a unit, category or topic name almost never is: the standard
/// library's trim decoded and looked up both end characters of every name (1.4 % of a
/// replay's instructions).
fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    if b.first().is_some_and(|&lead| !may_start_space(lead)) && !may_end_space(b) {
        s
    } else {
        s.trim()
    }
}

/// Whether a character with this first byte may be whitespace (`char::is_whitespace`:
/// U+0009..U+000D and U+0020; U+0085 and U+00A0, lead byte 0xC2; U+1680, U+2000..U+205F
/// and U+3000, lead bytes 0xE1..0xE3).
fn may_start_space(lead: u8) -> bool {
    matches!(lead, 0x09..=0x0D | 0x20 | 0xC2 | 0xE1..=0xE3)
}

/// Whether the last character of UTF-8 `b` may be whitespace (as [`may_start_space`]).
fn may_end_space(b: &[u8]) -> bool {
    matches!(
        b,
        [.., 0x09..=0x0D | 0x20]
            | [.., 0xC2, 0x80..=0xBF]
            | [.., 0xE1..=0xE3, 0x80..=0xBF, 0x80..=0xBF]
    )
}

fn normalize_cow(name: Cow<'_, str>) -> Option<Cow<'_, str>> {
    let normal = |t: &str| plainly_nfc(t) || is_nfc_quick(t.chars()) == IsNormalized::Yes;
    let s: Cow<'_, str> = match name {
        Cow::Borrowed(b) => {
            let t = trim(b);
            if normal(t) {
                Cow::Borrowed(t)
            } else {
                Cow::Owned(t.nfc().collect())
            }
        }
        Cow::Owned(o) => {
            let t = trim(&o);
            if normal(t) {
                Cow::Owned(t.to_owned())
            } else {
                Cow::Owned(t.nfc().collect())
            }
        }
    };
    length_within(&s, 1, 128).then_some(s)
}

/// Tells a syntax error from valid JSON of the wrong shape.
fn classify(bytes: &[u8], e: &serde_json::Error) -> RejectReason {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => RejectReason::InvalidJson,
        Category::Data => {
            let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
            if first == Some(&b'{') {
                RejectReason::InvalidValue
            } else if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() {
                RejectReason::NotObject
            } else {
                RejectReason::InvalidJson
            }
        }
    }
}

#[cfg(test)]
mod tests;
