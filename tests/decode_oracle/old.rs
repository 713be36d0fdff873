//! The decoder as it was before the rewrite (`git show 4525045:src/event/decode/mod.rs`),
//! kept as the oracle of the differential harness: a serde-derived `Raw` struct with
//! owned strings out. Changed only to compile here: the imports, `normalize_unit`
//! private, its unit tests left behind. Do not "fix" it: its behaviour is the reference.

use std::borrow::Cow;

use serde::Deserialize;
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

use hotline_pulse::event::{
    parse_timestamp, Channel, CompletionResult, Disposition, Event, EventKind, EventType, Millis,
    Purpose, Satisfaction, TimeZone,
};

/// Messages above this size are rejected before parsing (events.md, "Transport").
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

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
}

impl RejectReason {
    pub const ALL: [RejectReason; 7] = [
        RejectReason::InvalidJson,
        RejectReason::NotObject,
        RejectReason::TooLarge,
        RejectReason::MissingField,
        RejectReason::UnknownType,
        RejectReason::InvalidValue,
        RejectReason::BadTimestamp,
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
        }
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
    fn new(reason: RejectReason, field: &'static str) -> Self {
        Reject {
            reason,
            field: Some(field),
        }
    }

    fn whole(reason: RejectReason) -> Self {
        Reject {
            reason,
            field: None,
        }
    }
}

/// The wire shape. Every field is optional here so that a missing field is reported
/// as `missing_field` rather than as a serde error; unknown fields are ignored (and
/// never looked at: they may hold callers' names and phone numbers).
#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(borrow)]
    event_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    order_id: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    center: Option<Cow<'a, str>>,
    #[serde(borrow)]
    channel: Option<Cow<'a, str>>,
    #[serde(borrow)]
    purpose: Option<Cow<'a, str>>,
    #[serde(borrow)]
    disposition: Option<Cow<'a, str>>,
    #[serde(borrow)]
    category: Option<Cow<'a, str>>,
    #[serde(borrow)]
    topic: Option<Cow<'a, str>>,
    #[serde(borrow)]
    unit: Option<Cow<'a, str>>,
    #[serde(borrow)]
    due_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    reason: Option<Cow<'a, str>>,
    #[serde(borrow)]
    result: Option<Cow<'a, str>>,
    contacted: Option<bool>,
    #[serde(borrow)]
    satisfaction: Option<Cow<'a, str>>,
    resolved: Option<bool>,
}

/// Decodes one message. Never panics; a rejected message has no effect on anything.
pub fn decode(bytes: &[u8], tz: TimeZone) -> Result<Event, Reject> {
    use RejectReason::*;
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(Reject::whole(TooLarge));
    }
    let raw: Raw = match serde_json::from_slice(bytes) {
        Ok(raw) => raw,
        Err(e) => return Err(Reject::whole(classify(bytes, &e))),
    };
    let text =
        |v: Option<Cow<'_, str>>, field: &'static str, max: usize| -> Result<String, Reject> {
            let v = v.ok_or(Reject::new(MissingField, field))?;
            let n = v.chars().count();
            if n == 0 || n > max {
                return Err(Reject::new(InvalidValue, field));
            }
            Ok(v.into_owned())
        };
    let optional = |v: Option<Cow<'_, str>>,
                    field: &'static str,
                    max: usize|
     -> Result<Option<String>, Reject> {
        match v {
            None => Ok(None),
            Some(v) if v.chars().count() > max => Err(Reject::new(InvalidValue, field)),
            Some(v) => Ok(Some(v.into_owned())),
        }
    };
    let time = |v: Option<Cow<'_, str>>, field: &'static str| -> Result<Millis, Reject> {
        let v = v.ok_or(Reject::new(MissingField, field))?;
        parse_timestamp(&v, tz).ok_or(Reject::new(BadTimestamp, field))
    };
    let unit_opt = |v: Option<Cow<'_, str>>| -> Result<Option<String>, Reject> {
        match v {
            None => Ok(None),
            Some(v) => normalize_unit(&v)
                .map(Some)
                .ok_or(Reject::new(InvalidValue, "unit")),
        }
    };
    let unit = |v: Option<Cow<'_, str>>| -> Result<String, Reject> {
        unit_opt(v)?.ok_or(Reject::new(MissingField, "unit"))
    };
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

    // Common fields first, in a fixed order, so that a message with several faults
    // always gets the same reason.
    let event_id = text(raw.event_id, "event_id", 128)?;
    let order_id = text(raw.order_id, "order_id", 64)?;
    let kind_name = raw.kind.ok_or(Reject::new(MissingField, "type"))?;
    let event_type = EventType::parse(&kind_name).ok_or(Reject::new(UnknownType, "type"))?;
    let at = time(raw.at, "at")?;
    let center = match raw.center {
        None => None,
        Some(c) => Some(text(Some(c), "center", 64)?),
    };

    let kind = match event_type {
        EventType::Received => EventKind::Received {
            channel: word(raw.channel, "channel", Channel::parse)?,
            purpose: word(raw.purpose, "purpose", Purpose::parse)?,
            disposition: word(raw.disposition, "disposition", Disposition::parse)?,
            category: optional(raw.category, "category", 64)?.filter(|c| !c.trim().is_empty()),
            topic: optional(raw.topic, "topic", 64)?.filter(|t| !t.trim().is_empty()),
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

/// Trims and NFC-normalises a unit name; `None` if nothing is left or it is too long.
fn normalize_unit(name: &str) -> Option<String> {
    let t = name.trim();
    let s = match is_nfc_quick(t.chars()) {
        IsNormalized::Yes => t.to_owned(),
        _ => t.nfc().collect(),
    };
    let n = s.chars().count();
    (n > 0 && n <= 128).then_some(s)
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
