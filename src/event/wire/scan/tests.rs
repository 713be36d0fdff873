use proptest::prelude::*;

use super::*;

type Read<'a> = Wire<Cow<'a, str>>;

/// What the scanner makes of `text`, if it takes it, and what serde makes of it.
fn both(text: &str) -> (Option<Read<'_>>, serde_json::Result<Read<'_>>) {
    let mut scanned = Wire::default();
    let scanned = scanned.scan(text).map(|()| scanned);
    let mut parsed = Wire::default();
    let parsed = parsed.parse(text).map(|()| parsed);
    (scanned, parsed)
}

#[test]
fn the_scanner_takes_plain_events_and_reads_them_as_serde_does() {
    let plain = [
        r#"{"event_id":"H1-1","order_id":"H1","type":"received","at":"2023-01-01T00:00:39+08:00","center":"海口","channel":"phone","purpose":"complaint","disposition":"dispatch","category":"社会事业"}"#,
        " {\t\"type\" : \"callback\" ,\r\n \"contacted\":false, \"resolved\":null,\"x\":true} \n",
        "{}",
        r#"{"x":"1","unit":null,"x":false}"#,
        // Keys out of the contract's order, and keys too near the end for a
        // 16-byte comparison.
        r#"{"resolved":true,"unit":"市水务局","event_id":"e","at_":"1","at":"2"}"#,
    ];
    for text in plain {
        let (scanned, parsed) = both(text);
        let scanned = scanned.unwrap_or_else(|| panic!("not scanned: {text}"));
        assert_eq!(scanned, parsed.unwrap(), "{text}");
    }
    assert_eq!(both(plain[0]).0.unwrap().center.as_deref(), Some("海口"));
    let out_of_order = both(plain[4]).0.unwrap();
    assert_eq!(
        (out_of_order.event_id.as_deref(), out_of_order.at.as_deref()),
        (Some("e"), Some("2"))
    );
}

#[test]
fn the_scanner_leaves_what_it_does_not_read_as_serde_does_to_serde() {
    for text in [
        r#"{"event_id":"a\"b"}"#,
        r#"{"event_id":"a\u4e00"}"#,
        "{\"event_id\":\"a\u{1}b\"}",
        r#"{"event_id":true}"#,
        r#"{"contacted":"yes"}"#,
        r#"{"order_id":"1","order_id":"2"}"#,
        r#"{"x":1}"#,
        r#"{"x":{"y":"z"}}"#,
        r#"{"a":"b",}"#,
        r#"{"a":"b"} x"#,
        r#"["a"]"#,
        r#"{"a":"b""#,
        r#"{"a":nul}"#,
        r#"{"a" "b"}"#,
        // Not a key "at" followed by a colon: the key is `atx:`.
        r#"{"atx:"1","other":"long enough to compare"}"#,
    ] {
        let (scanned, _) = both(text);
        assert!(scanned.is_none(), "scanned: {text}");
    }
}

/// Keys: the contract's, of either type, near misses (for [`Scanner::key`]'s
/// comparison), and others.
fn key() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "\"event_id\"",
        "\"order_id\"",
        "\"type\"",
        "\"at\"",
        "\"center\"",
        "\"unit\"",
        "\"contacted\"",
        "\"satisfaction\"",
        "\"resolved\"",
        "\"at_\"",
        "\"uni\"",
        "\"satisfactions\"",
        "\"other\"",
        "\"\"",
        "\"un\\u0069t\"",
    ])
}

/// Values, and pieces that break an object.
fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "\"海口\"",
        "\"\"",
        "\"a\\\"b\"",
        "\"\\u4e00\"",
        "\"\u{1f}\"",
        "\"\t\"",
        "\"x\"",
        "\"市水务局市水务局\"",
        "\"0123456789\\\"abcdef\"",
        "\"市水务局\\u4e00市\"",
        "\"0123456\u{1}abc\"",
        "\"01234567\"",
        "true",
        "false",
        "null",
        "nul",
        "1",
        "-0.5",
        "[]",
        "{}",
        ":",
        ",",
        "{",
        "}",
        "\"",
        " ",
        "\n",
        "\r",
        "\t",
        "\u{a0}",
        "x",
    ])
}

proptest! {
    #[test]
    fn special_bytes_are_found_where_a_byte_loop_finds_them(
        // Special bytes rare, so that they fall in every block and in the tail.
        bytes in prop::collection::vec(
            prop_oneof![
                24 => prop::sample::select(vec![0x20, b'a', 0x7f, 0x80, 0xe5, 0xff]),
                1 => prop::sample::select(vec![b'"', b'\\', 0, 0x1f]),
            ],
            0..80,
        ),
    ) {
        let naive = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
        prop_assert_eq!(special(&bytes), naive);
    }
}

proptest! {
    // Most generated objects are broken somewhere: many cases, each cheap.
    #![proptest_config(ProptestConfig::with_cases(4096))]
    #[test]
    fn what_the_scanner_takes_serde_reads_the_same(
        members in prop::collection::vec((key(), piece(), " {0,2}"), 0..8),
        noise in prop::collection::vec((any::<prop::sample::Index>(), piece()), 0..2),
    ) {
        let mut parts: Vec<String> = members
            .iter()
            .map(|(k, v, ws)| format!("{k}{ws}:{ws}{v}"))
            .collect();
        for (at, p) in noise {
            let i = at.index(parts.len() + 1);
            parts.insert(i, p.to_string());
        }
        let text = format!("{{{}}}", parts.join(","));
        if let (Some(scanned), parsed) = both(&text) {
            prop_assert_eq!(Ok(scanned), parsed.map_err(|e| e.to_string()), "{}", text);
        }
    }
}

/// What the compact reading and the token scanner make of `text`.
fn compact_and_tokens(text: &str) -> (Option<Read<'_>>, Option<Read<'_>>) {
    let mut compact = Wire::default();
    let compact = compact.scan_compact(text).map(|()| compact);
    let mut tokens = Wire::default();
    let tokens = tokens.scan_tokens(text).map(|()| tokens);
    (compact, tokens)
}

#[test]
fn the_compact_reading_takes_what_producers_write() {
    let long = format!(r#"{{"event_id":"{}","type":"x"}}"#, "局".repeat(200));
    for text in [
        r#"{"event_id":"H1-1","order_id":"H1","type":"received","at":"2023-01-01T00:00:39+08:00","center":"海口","channel":"phone","purpose":"complaint","disposition":"dispatch","category":"社会事业"}"#,
        r#"{"type":"callback","contacted":false,"resolved":null,"x":true,"satisfaction":"satisfied"}"#,
        r#"{"resolved":true,"unit":"市水务局","event_id":"e","at_":"1","at":"2"}"#,
        r#"{"x":"1","unit":null,"x":false}"#,
        r#"{"unit":"市公安局 Haikou"}"#,
        "{}",
    ] {
        let (compact, tokens) = compact_and_tokens(text);
        let compact = compact.unwrap_or_else(|| panic!("not read compact: {text}"));
        assert_eq!(Some(compact), tokens, "{text}");
    }
    // Whitespace between tokens, or a line longer than the quote map: the token
    // scanner's. An escape or a control character: serde's.
    for (text, scanned) in [
        (r#"{"type": "x"}"#, true),
        (" {\"type\":\"x\"}", true),
        ("{\"type\":\"x\"}\n", true),
        (long.as_str(), true),
        (r#"{"event_id":"a\"b"}"#, false),
        ("{\"event_id\":\"a\tb\"}", false),
    ] {
        let (compact, tokens) = compact_and_tokens(text);
        assert!(compact.is_none(), "read compact: {text}");
        assert_eq!(tokens.is_some(), scanned, "{text}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]
    /// Objects as producers write them, and broken ones: the compact reading takes
    /// exactly those the token scanner takes that have no whitespace between tokens
    /// and no escape or control character, and reads them the same.
    #[test]
    fn the_compact_reading_is_the_token_scanners_without_whitespace(
        members in prop::collection::vec((key(), piece()), 0..8),
        noise in prop::collection::vec((any::<prop::sample::Index>(), piece()), 0..2),
    ) {
        let mut parts: Vec<String> = members.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        for (at, p) in noise {
            let i = at.index(parts.len() + 1);
            parts.insert(i, p.to_string());
        }
        let text = format!("{{{}}}", parts.join(","));
        let (compact, tokens) = compact_and_tokens(&text);
        let plain = !text.bytes().any(|b| b == b'\\' || b <= b' ');
        match compact {
            Some(c) => prop_assert_eq!(Some(c), tokens, "{}", text),
            None => prop_assert!(!plain || tokens.is_none(), "not read compact: {}", text),
        }
    }
}
