//! One guard against the future, in the decoder: an event dated 2204 is
//! `bad_timestamp` and moves neither the watermark nor the months held, through the
//! decoder, a partition and a replay; a replay of future events only shows no figures.
//! And a JSON array is `not_object`, never an event.

use std::io::Write;
use std::sync::atomic::Ordering::Relaxed;

use hotline_pulse::config::EngineConfig;
use hotline_pulse::engine::{Partition, Shared};
use hotline_pulse::event::{decode, DecodeCtx, RejectReason, TimeZone};
use hotline_pulse::source::replay::{apply_lines, replay};
use hotline_pulse::source::{wall_clock, AsOf};
use hotline_pulse::view::{aggregate, months, Board, Filter, Scope};

use crate::common::engine::ev;

const RECEIVED: &str = r#""channel":"phone","purpose":"help","disposition":"dispatch""#;

fn november() -> Vec<String> {
    vec![
        ev("A-1", "A", "received", "2024-11-04 09:00:00", RECEIVED),
        ev(
            "A-2",
            "A",
            "dispatched",
            "2024-11-04 10:00:00",
            r#""unit":"市公安局","due_at":"2024-11-12 18:00:00""#,
        ),
        ev("B-1", "B", "received", "2024-11-05 09:00:00", RECEIVED),
    ]
}

fn in_2204() -> String {
    ev(
        "A-9",
        "A",
        "completed",
        "2204-01-01T00:00:00+08:00",
        r#""unit":"市公安局""#,
    )
}

fn rejected(shared: &Shared, reason: RejectReason) -> u64 {
    shared.stats.rejected[reason.index()].load(Relaxed)
}

#[test]
fn an_event_dated_2204_is_bad_timestamp_in_the_decoder() {
    let config = EngineConfig::default();
    let ctx = DecodeCtx::new(config.tz, wall_clock(), config.future_horizon_ms);
    let r = decode(in_2204().as_bytes(), &ctx).unwrap_err();
    assert_eq!(
        (r.reason, r.field),
        (RejectReason::BadTimestamp, Some("at"))
    );
    // Within the horizon it is an event.
    let soon = ev(
        "A-8",
        "A",
        "completed",
        "2024-11-30 18:00:00",
        r#""unit":"u""#,
    );
    assert!(decode(soon.as_bytes(), &ctx).is_ok());
}

#[test]
fn an_event_dated_2204_moves_neither_the_watermark_nor_the_months_held() {
    let shared = Shared::new(EngineConfig::default(), None);
    let mut p = Partition::new(0, shared.clone());
    let lines = november();
    let as_of = apply_lines(
        lines.iter().map(|l| l.as_bytes()),
        &shared,
        &mut p,
        AsOf::Watermark,
    );
    let (watermark, months, max_at) = (shared.watermark(), p.months_held(), p.max_at());
    assert_eq!(months, 1);
    let after = apply_lines([in_2204().as_bytes()], &shared, &mut p, AsOf::Watermark);
    assert_eq!(rejected(&shared, RejectReason::BadTimestamp), 1);
    assert_eq!(shared.watermark(), watermark, "the watermark did not move");
    assert_eq!(after, as_of, "nor the as-of time");
    assert_eq!((p.months_held(), p.max_at()), (months, max_at));
    p.snapshot();
    assert_eq!(p.months_held(), months, "no month of 2204 was created");
}

#[test]
fn a_replay_refuses_an_event_dated_2204_and_keeps_its_watermark() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("november.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    let mut lines = november();
    lines.insert(1, in_2204());
    for l in &lines {
        writeln!(f, "{l}").unwrap();
    }
    drop(f);
    let shared = Shared::new(EngineConfig::default(), None);
    let board = Board::new();
    let stats = replay(&[path], &shared, &board, 2, AsOf::Watermark, None).unwrap();
    assert_eq!((stats.lines, stats.applied, stats.rejected), (4, 3, 1));
    let november_5 = hotline_pulse::event::parse_timestamp("2024-11-05 09:00:00", TimeZone::CHINA);
    assert_eq!(shared.watermark(), november_5);
    assert_eq!(Some(stats.as_of), november_5);
    let agg = aggregate(&board.snapshots(Scope::Local), &Filter::default());
    let held: Vec<String> = months(&agg).iter().map(|(_, m)| m.to_string()).collect();
    assert_eq!(held, ["2024-11"]);
}

#[test]
fn a_replay_of_future_events_only_rejects_them_and_shows_no_figures() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.jsonl");
    let future: Vec<String> = (0..5)
        .map(|i| {
            ev(
                &format!("F-{i}"),
                &format!("F{i}"),
                "received",
                &format!("2204-0{}-01 09:00:00", i + 1),
                RECEIVED,
            )
        })
        .collect();
    std::fs::write(&path, future.join("\n")).unwrap();
    let shared = Shared::new(EngineConfig::default(), None);
    let board = Board::new();
    let files = std::slice::from_ref(&path);
    let stats = replay(files, &shared, &board, 2, AsOf::Watermark, None).unwrap();
    assert_eq!((stats.applied, stats.rejected), (0, 5));
    assert_eq!(rejected(&shared, RejectReason::BadTimestamp), 5);
    assert_eq!(shared.watermark(), None);
    let agg = aggregate(&board.snapshots(Scope::Local), &Filter::default());
    assert!(
        agg.months.is_empty() && agg.live.is_empty(),
        "no figures at all"
    );

    // The command line: the rejections on stderr, no month on stdout.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hotline-pulse"))
        .args(["replay", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("5 of 5 lines rejected"), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["months"], serde_json::json!([]));
}

/// The old decoder mapped an array onto its struct field by field: this one was an event.
#[test]
fn a_json_array_is_not_object() {
    let mut array = String::from(r#"["e1","O1","completed","2024-11-01T09:40:00Z""#);
    array.push_str(&",null".repeat(6));
    array.push_str(r#","市公安局""#);
    array.push_str(&",null".repeat(6));
    array.push(']');
    let ctx = DecodeCtx::unguarded(TimeZone::CHINA);
    assert_eq!(
        decode(array.as_bytes(), &ctx).unwrap_err().reason,
        RejectReason::NotObject
    );
    let shared = Shared::new(EngineConfig::default(), None);
    let mut p = Partition::new(0, shared.clone());
    apply_lines([array.as_bytes()], &shared, &mut p, AsOf::Watermark);
    assert_eq!(rejected(&shared, RejectReason::NotObject), 1);
    assert_eq!((p.len(), shared.watermark()), (0, None));
}
