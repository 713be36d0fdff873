//! Differential harness of the decoder: every generated input goes through the
//! current decoder (`event::decode`: borrowed text, a map-only visitor) and through
//! the one it replaced (`old.rs`), and the two must agree — no panic, the same
//! accept/reject decision, the same reason code and field, the same decoded event —
//! except for the changes made on purpose, which are asserted as such:
//!
//! 1. a top-level JSON array is `not_object` (the old decoder mapped an array onto its
//!    struct in field order, so a 17-element array in that order was an event);
//! 2. an `at` after the future horizon (`DecodeCtx::not_after`) is `bad_timestamp`
//!    (field `at`), checked right after `at` is read, so it also wins over any fault
//!    found later (centre, type-specific fields);
//! 3. `key_mismatch` never comes from the decoder (it is the Kafka edge's);
//! 4. a message that is not UTF-8 is `invalid_json` as a whole (JSON text is UTF-8,
//!    and events.md says so): the old decoder let serde check each string it read,
//!    so invalid bytes in a skipped field, or after the first fault, went unseen.
//!
//! Inputs: valid events of every type, then mutated — byte flips, inserts, deletes,
//! truncation, fields removed, duplicated, retyped, renamed or with escaped keys,
//! escapes and unicode (NFD, compatibility ideographs, unicode spaces, lone surrogate
//! escapes), values at and past every length limit, huge strings around the 64 KiB
//! message limit, timestamps of every form and past the horizon, arrays (in the old
//! field order and not), other top-level values and trailing garbage.
//!
//! `cargo test --test decode_oracle` runs a few hundred thousand inputs;
//! `HOTLINE_FUZZ_CASES=10000000 cargo test --release --test decode_oracle -- --nocapture`
//! runs ten million (`HOTLINE_FUZZ_SEED` picks another deterministic sequence).

// Kept as it was, including what the harness does not call.
#[allow(dead_code)]
mod old;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hotline_pulse::event::{
    decode, format_timestamp, parse_timestamp, DecodeCtx, Event, Millis, RejectReason, TimeZone,
    MAX_MESSAGE_BYTES,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

/// Inputs per generated case: the valid event, each mutation alone, all of them.
const MUTATIONS: usize = 6;
const INPUTS_PER_CASE: u64 = MUTATIONS as u64 + 2;
/// What CI runs (in a debug build, well under a minute).
const DEFAULT_INPUTS: u64 = 240_000;

const TZ: TimeZone = TimeZone::CHINA;

/// The future horizon of every input: 2025-06-01T00:00:00Z.
const NOT_AFTER: Millis = 1_748_736_000_000;

// ---------------------------------------------------------------------------------
// A JSON document under construction: fields in a chosen order, rendered by hand so
// that escapes, duplicates, whitespace and byte-level damage are all under control.

#[derive(Debug, Clone)]
enum J {
    Str(String),
    /// Raw JSON text (numbers, literals, deliberately odd escapes).
    Raw(String),
    Bool(bool),
    Null,
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

#[derive(Debug, Clone, Copy)]
enum Escape {
    /// Only what JSON requires.
    Minimal,
    /// Every non-ASCII character as `\uXXXX` (surrogate pairs above the BMP).
    NonAscii,
    /// Some ASCII letters as `\u00XX` and `/` as `\/`: text that is not borrowed.
    Letters,
}

#[derive(Debug, Clone)]
enum Top {
    Object,
    /// The values in the old decoder's field order, `null` where absent.
    ArrayInFieldOrder,
    /// The values in document order.
    ArrayOfValues,
    /// `[ {object} ]`.
    ArrayOfObject,
    /// Another JSON value instead of the object.
    Other(&'static str),
}

#[derive(Debug, Clone)]
enum ByteOp {
    Set(Index, u8),
    Insert(Index, u8),
    Delete(Index, u8),
    Truncate(Index),
    Prefix(&'static str),
    Suffix(&'static str),
}

#[derive(Debug, Clone)]
struct Doc {
    fields: Vec<(String, J)>,
    escape: Escape,
    spaced: bool,
    top: Top,
    bytes: Vec<ByteOp>,
}

/// The old decoder's `Raw` struct fields, in order (what a JSON array maps onto).
const FIELD_ORDER: [&str; 17] = [
    "event_id",
    "order_id",
    "type",
    "at",
    "center",
    "channel",
    "purpose",
    "disposition",
    "category",
    "topic",
    "unit",
    "due_at",
    "reason",
    "result",
    "contacted",
    "satisfaction",
    "resolved",
];

fn write_str(out: &mut String, s: &str, escape: Escape) {
    out.push('"');
    for (i, c) in s.chars().enumerate() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            '/' if matches!(escape, Escape::Letters) => out.push_str("\\/"),
            c if matches!(escape, Escape::Letters) && c.is_ascii_alphabetic() && i % 3 == 0 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c if matches!(escape, Escape::NonAscii) && !c.is_ascii() => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{u:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_json(out: &mut String, v: &J, escape: Escape, spaced: bool) {
    let sep = if spaced { ", " } else { "," };
    match v {
        J::Str(s) => write_str(out, s, escape),
        J::Raw(r) => out.push_str(r),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Null => out.push_str("null"),
        J::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                write_json(out, item, escape, spaced);
            }
            out.push(']');
        }
        J::Obj(fields) => write_object(out, fields, escape, spaced),
    }
}

fn write_object(out: &mut String, fields: &[(String, J)], escape: Escape, spaced: bool) {
    out.push_str(if spaced { "{ " } else { "{" });
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push_str(if spaced { " ,\n\t" } else { "," });
        }
        // Keys are written as given: a key may carry its own escapes.
        let _ = write!(out, "\"{k}\"");
        out.push_str(if spaced { " : " } else { ":" });
        write_json(out, v, escape, spaced);
    }
    out.push_str(if spaced { " }" } else { "}" });
}

impl Doc {
    fn render(&self) -> Vec<u8> {
        let mut s = String::new();
        match &self.top {
            Top::Object => write_object(&mut s, &self.fields, self.escape, self.spaced),
            Top::ArrayInFieldOrder => {
                let items = FIELD_ORDER
                    .iter()
                    .map(|name| {
                        self.fields
                            .iter()
                            .find(|(k, _)| k == name)
                            .map_or(J::Null, |(_, v)| v.clone())
                    })
                    .collect();
                write_json(&mut s, &J::Arr(items), self.escape, self.spaced);
            }
            Top::ArrayOfValues => {
                let items = self.fields.iter().map(|(_, v)| v.clone()).collect();
                write_json(&mut s, &J::Arr(items), self.escape, self.spaced);
            }
            Top::ArrayOfObject => {
                s.push('[');
                write_object(&mut s, &self.fields, self.escape, self.spaced);
                s.push(']');
            }
            Top::Other(text) => s.push_str(text),
        }
        let mut b = s.into_bytes();
        for op in &self.bytes {
            match op {
                ByteOp::Set(i, v) if !b.is_empty() => {
                    let i = i.index(b.len());
                    b[i] = *v;
                }
                ByteOp::Insert(i, v) => {
                    let i = i.index(b.len() + 1);
                    b.insert(i, *v);
                }
                ByteOp::Delete(i, n) if !b.is_empty() => {
                    let i = i.index(b.len());
                    let end = (i + usize::from(*n) % 8 + 1).min(b.len());
                    b.drain(i..end);
                }
                ByteOp::Truncate(i) => {
                    let i = i.index(b.len() + 1);
                    b.truncate(i);
                }
                ByteOp::Prefix(p) => {
                    b.splice(0..0, p.bytes());
                }
                ByteOp::Suffix(x) => b.extend_from_slice(x.as_bytes()),
                _ => {}
            }
        }
        b
    }

    fn set(&mut self, key: &str, v: J) {
        match self.fields.iter_mut().find(|(k, _)| k == key) {
            Some(f) => f.1 = v,
            None => self.fields.push((key.to_owned(), v)),
        }
    }
}

// ---------------------------------------------------------------------------------
// Values.

const UNITS: &[&str] = &[
    "市公安局",
    "海口市住房和城乡建设局",
    "供电局",
    "Water Board",
    "市场监管",
];

/// Text that is hard on a decoder: escapes, unicode forms, spaces, empties.
const TRICKY: &[&str] = &[
    "",
    " ",
    "\u{3000}",
    " 市公安局 ",
    "\u{3000}市公安局\u{3000}",
    "e\u{301}cole",
    "\u{e9}cole",
    "\u{1100}\u{1161}\u{11a8}",
    "\u{f900}\u{f901}",
    "\u{212b}",
    "A\u{30a}",
    "\u{1f600}\u{1f1e8}\u{1f1f3}",
    "a\"b\\c/d\ne\tf",
    "\u{0}\u{1f}",
    "\u{feff}x",
    "\u{200b}",
    "phone",
    "Phone",
    "satisfied",
    "resolved",
    "2024-11-01T09:12:00+08:00",
    "null",
    "true",
];

/// Raw JSON values of the wrong type or with odd escapes.
const RAW: &[&str] = &[
    "0",
    "-1",
    "1.5e300",
    "1e999",
    "123456789012345678901234567890",
    "true",
    "false",
    "null",
    "[]",
    "{}",
    "[\"a\"]",
    "{\"a\":1}",
    "\"\\ud800\"",
    "\"\\udc00\\ud800\"",
    "\"\\ud83d\\ude00\"",
    "\"\\u0000\"",
    "\"\\x41\"",
    "\"\\u00e9\"",
    "\"\\\"\"",
    "\"\\/\"",
    "\"unterminated",
    "NaN",
    "\"\t\"",
];

fn pick(items: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(items).prop_map(str::to_owned)
}

/// A string of `n` characters of one kind: ASCII (1 byte), CJK (3 bytes), or an NFD
/// sequence (two characters that normalise to one).
fn sized(n: usize, kind: u8) -> String {
    match kind % 3 {
        0 => "x".repeat(n),
        1 => "办".repeat(n),
        _ => "e\u{301}".repeat(n / 2) + &"e".repeat(n % 2),
    }
}

/// Lengths at and around each limit (64, 128, 256 characters).
fn around_limits() -> impl Strategy<Value = String> {
    (
        prop::sample::select(
            &[
                1usize, 42, 43, 63, 64, 65, 127, 128, 129, 130, 255, 256, 257,
            ][..],
        ),
        any::<u8>(),
    )
        .prop_map(|(n, kind)| sized(n, kind))
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[A-Za-z0-9_-]{1,20}",
        3 => "[\\u{4e00}-\\u{4fff}]{1,12}",
        2 => pick(TRICKY),
        2 => around_limits(),
        1 => any::<String>(),
    ]
}

fn id(prefix: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        8 => (0u32..10_000).prop_map(move |n| format!("{prefix}{n}")),
        2 => text(),
    ]
}

fn unit() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(UNITS).prop_map(str::to_owned),
        3 => text(),
    ]
}

/// Timestamps of every accepted form, invalid ones, and past the horizon.
fn timestamp() -> impl Strategy<Value = String> {
    let valid = (
        2020i32..2026,
        1u32..13,
        1u32..29,
        0u32..24,
        0u32..60,
        0u32..60,
        0u32..1000,
        0u8..6,
    )
        .prop_map(|(y, mo, d, h, mi, s, ms, form)| {
            let base = format!("{y:04}-{mo:02}-{d:02}");
            match form {
                0 => format!("{base}T{h:02}:{mi:02}:{s:02}+08:00"),
                1 => format!("{base} {h:02}:{mi:02}:{s:02}"),
                2 => format!("{base}T{h:02}:{mi:02}:{s:02}.{ms:03}Z"),
                3 => format!("{base}T{h:02}:{mi:02}:{s:02}.{ms}123456-05:30"),
                4 => format!("{base}T{h:02}:{mi:02}:{s:02}"),
                _ => format!("{base}T{h:02}:{mi:02}:{s:02}+23:59"),
            }
        });
    let future = prop_oneof![
        Just("2204-01-01T00:00:00+08:00".to_owned()),
        Just("9999-12-31T23:59:59.999Z".to_owned()),
        Just(format_timestamp(NOT_AFTER, TZ)),
        Just(format_timestamp(NOT_AFTER + 1, TZ)),
        Just(format_timestamp(NOT_AFTER - 1, TZ)),
        (0i64..400 * 86_400_000).prop_map(|d| format_timestamp(NOT_AFTER + d, TZ)),
    ];
    let invalid = prop_oneof![
        Just("2024-02-30T00:00:00Z".to_owned()),
        Just("2024-13-01T00:00:00Z".to_owned()),
        Just("2024-11-01T24:00:00Z".to_owned()),
        Just("2024-11-01T09:12:00+24:00".to_owned()),
        Just("2024-11-01T09:12:00.Z".to_owned()),
        Just("2024-11-01T09:12:00.1234567890Z".to_owned()),
        Just("2024-11-01".to_owned()),
        Just("2024/11/01 09:12:00".to_owned()),
        Just("２０２４-11-01T09:12:00Z".to_owned()),
        Just("0000-01-01T00:00:00Z".to_owned()),
        Just("1969-12-31T23:59:59.999Z".to_owned()),
        text(),
    ];
    prop_oneof![8 => valid, 2 => future, 2 => invalid]
}

fn word(valid: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![8 => pick(valid), 1 => pick(TRICKY)]
}

const CHANNELS: &[&str] = &[
    "phone",
    "gov_website",
    "provincial",
    "wechat",
    "app",
    "web",
    "sms",
    "other",
];
const PURPOSES: &[&str] = &[
    "consultation",
    "help",
    "complaint",
    "suggestion",
    "praise",
    "other",
];
const DISPOSITIONS: &[&str] = &["direct_answer", "dispatch", "invalid"];
const RESULTS: &[&str] = &["resolved", "explained"];
const SATISFACTIONS: &[&str] = &["satisfied", "basically_satisfied", "unsatisfied"];
const TYPES: &[&str] = &[
    "received",
    "dispatched",
    "returned",
    "extended",
    "completed",
    "callback",
    "reopened",
];

fn opt<T: std::fmt::Debug + Clone>(
    s: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<T>> {
    prop::option::weighted(0.6, s)
}

fn s(v: String) -> J {
    J::Str(v)
}

/// A valid-looking event of any type (most are valid; some values are not).
fn event() -> impl Strategy<Value = Vec<(String, J)>> {
    let common = (
        id("HX24110160"),
        id("HX24110160"),
        prop_oneof![12 => pick(TYPES), 1 => pick(TRICKY)],
        timestamp(),
        opt(text()),
    );
    let specific = (
        word(CHANNELS),
        word(PURPOSES),
        word(DISPOSITIONS),
        opt(text()),
        opt(text()),
        opt(unit()),
        timestamp(),
        opt(text()),
        opt(word(RESULTS)),
        opt(any::<bool>()),
        opt(word(SATISFACTIONS)),
        opt(any::<bool>()),
    );
    let extra = prop::collection::vec(
        (
            prop_oneof![
                Just("caller_name".to_owned()),
                Just("phone".to_owned()),
                Just("notes".to_owned()),
                Just("Type".to_owned()),
                Just("unit ".to_owned()),
                "[a-z_]{1,8}",
            ],
            json(),
        ),
        0..3,
    );
    (common, specific, extra, any::<Index>(), any::<u64>()).prop_map(
        |(
            (event_id, order_id_n, ty, at, center),
            (
                channel,
                purpose,
                disposition,
                category,
                topic,
                unit,
                due_at,
                reason,
                result,
                contacted,
                satisfaction,
                resolved,
            ),
            extra,
            shuffle,
            seed,
        )| {
            // Event ids usually start with their order id, as upstream ones do.
            let order_id = order_id_n;
            let event_id = if seed % 3 == 0 {
                event_id
            } else {
                format!("{order_id}-{}", seed % 50)
            };
            let mut f: Vec<(String, J)> = vec![
                ("event_id".into(), s(event_id)),
                ("order_id".into(), s(order_id)),
                ("type".into(), s(ty.clone())),
                ("at".into(), s(at)),
            ];
            if let Some(c) = center {
                f.push(("center".into(), s(c)));
            }
            let unit = unit.unwrap_or_else(|| "市公安局".to_owned());
            match ty.as_str() {
                "received" => {
                    f.push(("channel".into(), s(channel)));
                    f.push(("purpose".into(), s(purpose)));
                    f.push(("disposition".into(), s(disposition)));
                    if let Some(c) = category {
                        f.push(("category".into(), s(c)));
                    }
                    if let Some(t) = topic {
                        f.push(("topic".into(), s(t)));
                    }
                    if seed % 2 == 0 {
                        f.push(("unit".into(), s(unit)));
                    }
                }
                "dispatched" | "extended" | "reopened" => {
                    f.push(("unit".into(), s(unit)));
                    f.push(("due_at".into(), s(due_at)));
                }
                "returned" => {
                    f.push(("unit".into(), s(unit)));
                    if let Some(r) = reason {
                        f.push(("reason".into(), s(r)));
                    }
                }
                "completed" => {
                    f.push(("unit".into(), s(unit)));
                    if let Some(r) = result {
                        f.push(("result".into(), s(r)));
                    }
                }
                _ => {
                    // A callback (or an unknown type with a callback's fields).
                    if let Some(c) = contacted {
                        f.push(("contacted".into(), J::Bool(c)));
                    }
                    if contacted != Some(false) || seed % 5 == 0 {
                        if let Some(x) = satisfaction {
                            f.push(("satisfaction".into(), s(x)));
                        }
                    }
                    if let Some(r) = resolved {
                        f.push(("resolved".into(), J::Bool(r)));
                    }
                    if seed % 2 == 1 {
                        f.push(("unit".into(), s(unit)));
                    }
                }
            }
            f.extend(extra);
            // Any field order: rotate, then swap one pair.
            let n = f.len();
            f.rotate_left(shuffle.index(n));
            f.swap((seed as usize / 7) % n, (seed as usize / 11) % n);
            f
        },
    )
}

/// Arbitrary JSON values for unknown fields and retyped ones.
fn json() -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        text().prop_map(J::Str),
        pick(RAW).prop_map(J::Raw),
        any::<bool>().prop_map(J::Bool),
        Just(J::Null),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(J::Arr),
            prop::collection::vec(("[a-z]{1,6}", inner), 0..4).prop_map(J::Obj),
        ]
    })
}

// ---------------------------------------------------------------------------------
// Mutations.

#[derive(Debug, Clone)]
enum Mut {
    Byte(ByteOp),
    Remove(Index),
    Duplicate(Index, Option<J>),
    Retype(Index, J),
    SetText(Index, String),
    Rename(Index, String),
    EscapeKey(Index),
    Top(Top),
    Huge(Index, usize),
    At(String),
    Escape(Escape),
    Spaced,
    Reorder(Index),
}

const INTERESTING_BYTES: &[u8] = &[
    0, b'"', b'\\', b'{', b'}', b'[', b']', b',', b':', b' ', b'\n', b'0', b'a', b'n', 0x7f, 0x80,
    0xc3, 0xe4, 0xed, 0xef, 0xf0, 0xf8, 0xff,
];

fn mutation() -> impl Strategy<Value = Mut> {
    let byte = prop_oneof![prop::sample::select(INTERESTING_BYTES), any::<u8>(),];
    prop_oneof![
        3 => (any::<Index>(), byte.clone()).prop_map(|(i, b)| Mut::Byte(ByteOp::Set(i, b))),
        2 => (any::<Index>(), byte).prop_map(|(i, b)| Mut::Byte(ByteOp::Insert(i, b))),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, n)| Mut::Byte(ByteOp::Delete(i, n))),
        2 => any::<Index>().prop_map(|i| Mut::Byte(ByteOp::Truncate(i))),
        1 => prop::sample::select(&[" ", "\n", "\u{feff}", "x", "{}", "\t\r\n "][..])
            .prop_map(|p| Mut::Byte(ByteOp::Prefix(p))),
        1 => prop::sample::select(&[" ", "\n", "\r\n", "x", "{}", ",", "\u{0}", " null"][..])
            .prop_map(|p| Mut::Byte(ByteOp::Suffix(p))),
        4 => any::<Index>().prop_map(Mut::Remove),
        3 => (any::<Index>(), opt(json())).prop_map(|(i, v)| Mut::Duplicate(i, v)),
        4 => (any::<Index>(), json()).prop_map(|(i, v)| Mut::Retype(i, v)),
        4 => (any::<Index>(), text()).prop_map(|(i, t)| Mut::SetText(i, t)),
        2 => (
            any::<Index>(),
            prop_oneof![
                prop::sample::select(&FIELD_ORDER[..]).prop_map(str::to_owned),
                Just("Event_Id".to_owned()),
                Just("".to_owned()),
                "[a-z_]{1,10}",
            ]
        )
            .prop_map(|(i, k)| Mut::Rename(i, k)),
        2 => any::<Index>().prop_map(Mut::EscapeKey),
        2 => prop_oneof![
            3 => Just(Top::ArrayInFieldOrder),
            1 => Just(Top::ArrayOfValues),
            1 => Just(Top::ArrayOfObject),
            1 => prop::sample::select(
                &["null", "1", "\"event\"", "true", "[]", "[{}]", "{}", "", "   ", "{\"a\":}"][..]
            )
            .prop_map(Top::Other),
        ]
        .prop_map(Mut::Top),
        1 => (
            any::<Index>(),
            prop::sample::select(&[1000usize, 65_000, 65_400, 65_536, 70_000][..])
        )
            .prop_map(|(i, n)| Mut::Huge(i, n)),
        3 => timestamp().prop_map(Mut::At),
        2 => prop_oneof![
            Just(Escape::Minimal),
            Just(Escape::NonAscii),
            Just(Escape::Letters)
        ]
        .prop_map(Mut::Escape),
        1 => Just(Mut::Spaced),
        1 => any::<Index>().prop_map(Mut::Reorder),
    ]
}

fn mutate(doc: &mut Doc, m: &Mut) {
    let n = doc.fields.len();
    match m {
        Mut::Byte(op) => doc.bytes.push(op.clone()),
        Mut::Remove(i) if n > 0 => {
            doc.fields.remove(i.index(n));
        }
        Mut::Duplicate(i, v) if n > 0 => {
            let (k, old) = doc.fields[i.index(n)].clone();
            doc.fields.push((k, v.clone().unwrap_or(old)));
        }
        Mut::Retype(i, v) if n > 0 => doc.fields[i.index(n)].1 = v.clone(),
        Mut::SetText(i, t) if n > 0 => doc.fields[i.index(n)].1 = J::Str(t.clone()),
        Mut::Rename(i, k) if n > 0 => doc.fields[i.index(n)].0 = k.clone(),
        Mut::EscapeKey(i) if n > 0 => {
            let k = &mut doc.fields[i.index(n)].0;
            if let Some(c) = k.chars().next().filter(char::is_ascii) {
                *k = format!("\\u{:04x}{}", c as u32, &k[1..]);
            }
        }
        Mut::Top(t) => doc.top = t.clone(),
        Mut::Huge(i, size) if n > 0 => doc.fields[i.index(n)].1 = J::Str("长".repeat(size / 3)),
        Mut::At(t) => doc.set("at", J::Str(t.clone())),
        Mut::Escape(e) => doc.escape = *e,
        Mut::Spaced => doc.spaced = true,
        Mut::Reorder(i) if n > 0 => doc.fields.rotate_left(i.index(n)),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------
// The comparison.

type Outcome = Result<Event, (&'static str, Option<&'static str>)>;

/// Which intended change an input exercised (or none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Change {
    None,
    NotUtf8,
    ArrayOldAccepted,
    ArrayOldRejected,
    FutureOldAccepted,
    FutureOldRejectedLater,
}

/// The fields the old decoder checks after `at`: a fault there loses to the future
/// guard, which runs right after `at` is read.
fn checked_after_at(field: Option<&str>) -> bool {
    !matches!(field, None | Some("event_id" | "order_id" | "type" | "at"))
}

/// The `at` of an input that the old decoder read as an object up to its `at`.
/// (Read as the decoders read: other fields are skipped unchecked, e.g. a lone
/// surrogate escape in an unknown field.)
fn at_of(bytes: &[u8]) -> Option<Millis> {
    #[derive(serde::Deserialize)]
    struct At<'a> {
        #[serde(borrow)]
        at: Option<std::borrow::Cow<'a, str>>,
    }
    let v: At = serde_json::from_slice(bytes).ok()?;
    parse_timestamp(&v.at?, TZ)
}

/// A top-level array as far as JSON syntax goes. serde's `IgnoredAny` (what both
/// decoders classify with) does not check the UTF-8 inside strings, so `["\xff"]`
/// counts: the new decoder never reads an array's elements and calls it `not_object`,
/// where the old one said `invalid_json` when the bad string was among the 17
/// elements it mapped onto its struct (and `not_object` when a wrong type came first).
fn is_json_array(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
        && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
}

/// What the current decoder must say: the old decoder's answer with the intended
/// changes applied.
fn expected(bytes: &[u8]) -> (Outcome, Change) {
    let old: Outcome = old::decode(bytes, TZ).map_err(|r| (r.reason.code(), r.field));
    let invalid_json = Err(("invalid_json", None));
    if bytes.len() <= MAX_MESSAGE_BYTES && std::str::from_utf8(bytes).is_err() {
        let change = if old == invalid_json {
            Change::None
        } else {
            Change::NotUtf8
        };
        return (invalid_json, change);
    }
    if bytes.len() <= MAX_MESSAGE_BYTES && is_json_array(bytes) {
        let change = match old {
            Ok(_) => Change::ArrayOldAccepted,
            Err(_) => Change::ArrayOldRejected,
        };
        return (Err(("not_object", None)), change);
    }
    let future = Err(("bad_timestamp", Some("at")));
    match old {
        Ok(ev) if ev.at > NOT_AFTER => (future, Change::FutureOldAccepted),
        Err((_, field))
            if checked_after_at(field) && at_of(bytes).is_some_and(|at| at > NOT_AFTER) =>
        {
            (future, Change::FutureOldRejectedLater)
        }
        old => (old, Change::None),
    }
}

#[derive(Default)]
struct Tally {
    inputs: u64,
    outcomes: BTreeMap<&'static str, u64>,
    changes: BTreeMap<String, u64>,
}

fn check(bytes: &[u8], ctx: &DecodeCtx, tally: &mut Tally) -> Result<(), TestCaseError> {
    let new: Outcome = decode(bytes, ctx)
        .map(Event::into_owned)
        .map_err(|r| (r.reason.code(), r.field));
    if let Err((code, _)) = new {
        prop_assert_ne!(
            code,
            RejectReason::KeyMismatch.code(),
            "the decoder never says key_mismatch"
        );
    }
    let (want, change) = expected(bytes);
    prop_assert_eq!(
        &new,
        &want,
        "input {:?} ({:?})",
        String::from_utf8_lossy(bytes),
        change
    );
    tally.inputs += 1;
    *tally
        .outcomes
        .entry(match &new {
            Ok(_) => "accepted",
            Err((code, _)) => code,
        })
        .or_default() += 1;
    if change != Change::None {
        *tally.changes.entry(format!("{change:?}")).or_default() += 1;
    }
    Ok(())
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
}

#[test]
fn the_new_decoder_agrees_with_the_old_one_except_where_intended() {
    let inputs = env_u64("HOTLINE_FUZZ_CASES").unwrap_or(DEFAULT_INPUTS);
    let cases = inputs.div_ceil(INPUTS_PER_CASE);
    let seed = env_u64("HOTLINE_FUZZ_SEED").unwrap_or(12345);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases: u32::try_from(cases).expect("case count fits a u32"),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let ctx = DecodeCtx {
        tz: TZ,
        not_after: NOT_AFTER,
    };
    let tally = std::cell::RefCell::new(Tally::default());
    let strategy = (event(), prop::collection::vec(mutation(), MUTATIONS));
    let started = std::time::Instant::now();
    let result = runner.run(&strategy, |(fields, muts)| {
        let mut tally = tally.borrow_mut();
        let base = Doc {
            fields,
            escape: Escape::Minimal,
            spaced: false,
            top: Top::Object,
            bytes: Vec::new(),
        };
        check(&base.render(), &ctx, &mut tally)?;
        let mut all = base.clone();
        for m in &muts {
            let mut one = base.clone();
            mutate(&mut one, m);
            check(&one.render(), &ctx, &mut tally)?;
            mutate(&mut all, m);
        }
        check(&all.render(), &ctx, &mut tally)
    });
    let tally = tally.into_inner();
    eprintln!(
        "decode_oracle: {} inputs in {:.1} s (seed {seed}); outcomes {:?}; intended changes {:?}",
        tally.inputs,
        started.elapsed().as_secs_f64(),
        tally.outcomes,
        tally.changes
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(
        tally.inputs >= inputs,
        "{} of {inputs} inputs run",
        tally.inputs
    );
    // The intended changes were exercised, not merely allowed.
    for change in [
        Change::NotUtf8,
        Change::ArrayOldAccepted,
        Change::ArrayOldRejected,
        Change::FutureOldAccepted,
        Change::FutureOldRejectedLater,
    ] {
        assert!(
            tally
                .changes
                .get(&format!("{change:?}"))
                .is_some_and(|&n| n > 0),
            "{change:?} never happened: the generator no longer reaches it"
        );
    }
    // Every reason code but the Kafka edge's was produced, and valid events too.
    for code in RejectReason::ALL
        .iter()
        .map(|r| r.code())
        .chain(["accepted"])
    {
        if code != RejectReason::KeyMismatch.code() {
            assert!(tally.outcomes.contains_key(code), "no input gave {code}");
        }
    }
}

/// The intended changes, one fixed input each (the harness above checks them at scale).
#[test]
fn the_intended_changes_by_example() {
    let ctx = DecodeCtx {
        tz: TZ,
        not_after: NOT_AFTER,
    };
    let mut array = String::from(r#"["e1","O1","completed","2024-11-01T09:40:00Z""#);
    array.push_str(&",null".repeat(6));
    array.push_str(r#","市公安局""#);
    array.push_str(&",null".repeat(6));
    array.push(']');
    assert!(
        old::decode(array.as_bytes(), TZ).is_ok(),
        "the old decoder took an array"
    );
    assert_eq!(
        decode(array.as_bytes(), &ctx).unwrap_err().reason,
        RejectReason::NotObject
    );
    let future = r#"{"event_id":"e1","order_id":"O1","type":"dispatched","at":"2204-01-01T00:00:00Z","unit":" "}"#;
    assert_eq!(
        old::decode(future.as_bytes(), TZ).unwrap_err().field,
        Some("unit")
    );
    let r = decode(future.as_bytes(), &ctx).unwrap_err();
    assert_eq!(
        (r.reason, r.field),
        (RejectReason::BadTimestamp, Some("at"))
    );
    let mut not_utf8 = r#"{"event_id":"e1","order_id":"O1","type":"completed","at":"2024-11-01T09:40:00Z","unit":"市公安局","note":""#
        .as_bytes()
        .to_vec();
    not_utf8.extend_from_slice(b"\xff\"}");
    assert!(
        old::decode(&not_utf8, TZ).is_ok(),
        "the old decoder skipped the unknown field unchecked"
    );
    let r = decode(&not_utf8, &ctx).unwrap_err();
    assert_eq!((r.reason, r.field), (RejectReason::InvalidJson, None));
}
