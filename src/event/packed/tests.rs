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
