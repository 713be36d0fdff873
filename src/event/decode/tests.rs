//! Decoding tests: every reason code, every type, hostile input.
use super::*;

const CTX: DecodeCtx = DecodeCtx {
    tz: TimeZone::CHINA,
    not_after: Millis::MAX,
};

fn dec(s: &str) -> Result<Event, Reject> {
    decode(s.as_bytes(), &CTX).map(Event::into_owned)
}

fn reason(s: &str) -> &'static str {
    dec(s).expect_err(s).reason.code()
}

const OK: &str = r#"{"event_id":"e2","order_id":"HX1","type":"dispatched","at":"2024-11-01T09:40:00+08:00","unit":"市卫生健康委员会","due_at":"2024-11-12 18:00:00"}"#;

#[test]
fn decodes_every_type_of_the_spec_example() {
    let lines = [
        r#"{"event_id":"e1","order_id":"HX24110160350008","type":"received","at":"2024-11-01T09:12:00+08:00","channel":"phone","purpose":"help","disposition":"dispatch","category":"社会事业"}"#,
        OK,
        r#"{"event_id":"e3","order_id":"HX1","type":"completed","at":"2024-11-13T10:05:00+08:00","unit":"市卫生健康委员会","result":"resolved"}"#,
        r#"{"event_id":"e4","order_id":"HX1","type":"callback","at":"2024-11-15T15:00:00+08:00","satisfaction":"satisfied","resolved":true}"#,
        r#"{"event_id":"e5","order_id":"HX1","type":"returned","at":"2024-11-15T15:00:00+08:00","unit":"u","reason":"非本单位职责"}"#,
        r#"{"event_id":"e6","order_id":"HX1","type":"extended","at":"2024-11-15T15:00:00+08:00","unit":"u","due_at":"2024-11-20T18:00:00Z"}"#,
        r#"{"event_id":"e7","order_id":"HX1","type":"reopened","at":"2024-11-15T15:00:00+08:00","unit":"u","due_at":"2024-11-20T18:00:00Z"}"#,
        r#"{"event_id":"e8","order_id":"HX1","type":"callback","at":"2024-11-15T15:00:00+08:00","contacted":false}"#,
    ];
    let types: Vec<_> = lines
        .iter()
        .map(|l| dec(l).unwrap().kind.event_type())
        .collect();
    assert_eq!(
        types,
        [
            EventType::Received,
            EventType::Dispatched,
            EventType::Completed,
            EventType::Callback,
            EventType::Returned,
            EventType::Extended,
            EventType::Reopened,
            EventType::Callback
        ]
    );
    match dec(lines[0]).unwrap().kind {
        EventKind::Received {
            channel,
            purpose,
            disposition,
            category,
            topic,
            unit,
        } => {
            assert_eq!(
                (channel, purpose, disposition),
                (Channel::Phone, Purpose::Help, Disposition::Dispatch)
            );
            assert_eq!(category.as_deref(), Some("社会事业"));
            assert_eq!((topic, unit), (None, None));
        }
        other => panic!("{other:?}"),
    }
    match dec(lines[7]).unwrap().kind {
        EventKind::Callback {
            contacted,
            satisfaction,
            ..
        } => assert!(!contacted && satisfaction.is_none()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_fields_are_ignored_and_units_normalised() {
    let e = dec(r#"{"event_id":"e","order_id":"o","type":"completed","at":"2024-11-13 10:05:00","unit":"  市公安局 ","caller_phone":"13800000000","extra":{"a":[1,2]}}"#).unwrap();
    assert_eq!(
        e.kind,
        EventKind::Completed {
            unit: "市公安局".into(),
            result: None
        }
    );
    // "é" written as e + combining acute becomes the single precomposed character.
    let e = dec("{\"event_id\":\"e\",\"order_id\":\"o\",\"type\":\"completed\",\"at\":\"2024-11-13 10:05:00\",\"unit\":\"Caf\u{0065}\u{0301}\"}").unwrap();
    assert_eq!(
        e.kind,
        EventKind::Completed {
            unit: "Caf\u{e9}".into(),
            result: None
        }
    );
}

#[test]
fn every_reason_code() {
    let big = format!(
        r#"{{"event_id":"e","pad":"{}"}}"#,
        "x".repeat(MAX_MESSAGE_BYTES)
    );
    assert_eq!(reason(&big), "too_large");
    for s in [
        "",
        "{",
        "{\"a\":}",
        "nul",
        "{\"event_id\":\"e\"} trailing",
        "\u{feff}{}",
    ] {
        assert_eq!(reason(s), "invalid_json", "{s:?}");
    }
    for s in [
        "[]",
        "1",
        "\"text\"",
        "null",
        "true",
        "[{\"event_id\":\"e\"}]",
    ] {
        assert_eq!(reason(s), "not_object", "{s:?}");
    }
    for (s, field) in [
        (
            r#"{"order_id":"o","type":"received","at":"2024-11-01 09:00:00"}"#,
            "event_id",
        ),
        (
            r#"{"event_id":"e","type":"received","at":"2024-11-01 09:00:00"}"#,
            "order_id",
        ),
        (
            r#"{"event_id":"e","order_id":"o","at":"2024-11-01 09:00:00"}"#,
            "type",
        ),
        (
            r#"{"event_id":"e","order_id":"o","type":"completed"}"#,
            "at",
        ),
        (
            r#"{"event_id":"e","order_id":"o","type":"received","at":"2024-11-01 09:00:00","purpose":"help","disposition":"dispatch"}"#,
            "channel",
        ),
        (
            r#"{"event_id":"e","order_id":"o","type":"dispatched","at":"2024-11-01 09:00:00","unit":"u"}"#,
            "due_at",
        ),
        (
            r#"{"event_id":"e","order_id":"o","type":"completed","at":"2024-11-01 09:00:00"}"#,
            "unit",
        ),
        (
            r#"{"event_id":"e","order_id":"o","type":"callback","at":"2024-11-01 09:00:00"}"#,
            "satisfaction",
        ),
        (
            r#"{"event_id":"e","order_id":"o","type":"callback","at":"2024-11-01 09:00:00","contacted":true}"#,
            "satisfaction",
        ),
    ] {
        let r = dec(s).expect_err(s);
        assert_eq!(
            (r.reason.code(), r.field),
            ("missing_field", Some(field)),
            "{s}"
        );
    }
    assert_eq!(
        reason(r#"{"event_id":"e","order_id":"o","type":"closed","at":"2024-11-01 09:00:00"}"#),
        "unknown_type"
    );
    assert_eq!(
        reason(r#"{"event_id":"e","order_id":"o","type":"RECEIVED","at":"2024-11-01 09:00:00"}"#),
        "unknown_type"
    );
    for s in [
        r#"{"event_id":"e","order_id":"o","type":"received","at":"2024-11-01 09:00:00","channel":"fax","purpose":"help","disposition":"dispatch"}"#,
        r#"{"event_id":"e","order_id":"o","type":"received","at":"2024-11-01 09:00:00","channel":"phone","purpose":"help","disposition":"later"}"#,
        r#"{"event_id":"e","order_id":"o","type":"callback","at":"2024-11-01 09:00:00","satisfaction":"ok"}"#,
        r#"{"event_id":"e","order_id":"o","type":"callback","at":"2024-11-01 09:00:00","satisfaction":"satisfied","contacted":"yes"}"#,
        r#"{"event_id":"e","order_id":"o","type":"completed","at":"2024-11-01 09:00:00","unit":"u","result":"done"}"#,
        r#"{"event_id":"","order_id":"o","type":"completed","at":"2024-11-01 09:00:00","unit":"u"}"#,
        r#"{"event_id":"e","order_id":"o","type":"completed","at":"2024-11-01 09:00:00","unit":"   "}"#,
        r#"{"event_id":7,"order_id":"o","type":"completed","at":"2024-11-01 09:00:00","unit":"u"}"#,
    ] {
        assert_eq!(reason(s), "invalid_value", "{s}");
    }
    let long_id = format!(
        r#"{{"event_id":"e","order_id":"{}","type":"completed","at":"2024-11-01 09:00:00","unit":"u"}}"#,
        "9".repeat(65)
    );
    assert_eq!(reason(&long_id), "invalid_value");
    let long_reason = format!(
        r#"{{"event_id":"e","order_id":"o","type":"returned","at":"2024-11-01 09:00:00","unit":"u","reason":"{}"}}"#,
        "退".repeat(257)
    );
    assert_eq!(reason(&long_reason), "invalid_value");
    let ok_reason = long_reason.replace(&"退".repeat(257), &"退".repeat(256));
    assert!(
        dec(&ok_reason).is_ok(),
        "256 characters (768 bytes) is within the limit"
    );
    assert_eq!(
        reason(&OK.replace("2024-11-12 18:00:00", "2024-11-31 18:00:00")),
        "bad_timestamp"
    );
    assert_eq!(
        reason(&OK.replace("2024-11-01T09:40:00+08:00", "yesterday")),
        "bad_timestamp"
    );
}

#[test]
fn garbage_never_panics() {
    let mut bytes = OK.as_bytes().to_vec();
    for i in 0..bytes.len() {
        let saved = bytes[i];
        for b in [0u8, b'"', b'{', b'}', 0xff, b'\\'] {
            bytes[i] = b;
            let _ = decode(&bytes, &CTX);
        }
        bytes[i] = saved;
    }
    assert!(decode(&bytes, &CTX).is_ok());
}

#[test]
fn the_nfc_fast_path_agrees_with_the_full_check() {
    use unicode_normalization::{is_nfc, UnicodeNormalization};
    for s in [
        "市公安局",
        "Haikou Water",
        "café",
        "cafe\u{301}",
        "\u{FA10}局",
        "局\u{302A}",
        "\u{AC00}\u{11A8}",
        "Å",
        "\u{212B}",
    ] {
        let fast = super::plainly_nfc(s);
        assert!(!fast || is_nfc(s), "{s:?}: fast path says NFC, it is not");
        assert_eq!(
            super::normalize_unit(s).as_deref(),
            Some(s.nfc().collect::<String>().as_str()),
            "{s:?}"
        );
    }
    assert!(super::plainly_nfc("市公安局 Haikou"));
}

#[test]
fn plainly_nfc_is_its_character_ranges() {
    // Every character, alone and between two that pass.
    let mut buf = String::new();
    for c in (0..=0x10FFFF).filter_map(char::from_u32) {
        let want = c < '\u{0300}' || ('\u{4E00}'..='\u{9FFF}').contains(&c);
        buf.clear();
        buf.push(c);
        assert_eq!(super::plainly_nfc(&buf), want, "{c:?}");
        buf.clear();
        buf.extend(['局', c, 'a']);
        assert_eq!(super::plainly_nfc(&buf), want, "{buf:?}");
    }
}

#[test]
fn trim_is_the_standard_trim() {
    // Every character: alone, at either end of a name and at both.
    let mut buf = String::new();
    for c in (0..=0x10FFFF).filter_map(char::from_u32) {
        for parts in [&[c][..], &['局', c], &[c, '局'], &[c, 'a', c], &[c, c]] {
            buf.clear();
            buf.extend(parts);
            assert_eq!(super::trim(&buf), buf.trim(), "{buf:?}");
        }
    }
    assert_eq!(super::trim(" 局\u{3000}"), "局");
    assert_eq!(super::trim("\u{A0}"), "");
}
