//! Label slots: an event that is dropped (duplicate, late, rejected) interns nothing,
//! and an evicted order gives back every label it held, so that units and topics seen
//! once do not accumulate until new ones are counted under 其他单位 / 其他.

use std::sync::atomic::Ordering::Relaxed;

use hotline_pulse::config::EngineConfig;
use hotline_pulse::engine::{Outcome, Partition, Shared};
use hotline_pulse::event::{decode, parse_timestamp, DecodeCtx, TimeZone};
use hotline_pulse::source::replay::apply_lines;
use hotline_pulse::source::AsOf;

use crate::common::engine::ev;

fn t(s: &str) -> i64 {
    parse_timestamp(s, TimeZone::CHINA).unwrap()
}

fn apply(p: &mut Partition, line: &str, as_of: i64) -> Outcome {
    let ev = decode(line.as_bytes(), &DecodeCtx::unguarded(TimeZone::CHINA)).unwrap();
    p.apply(&ev, as_of)
}

fn received(id: &str, order: &str, at: &str, topic: &str) -> String {
    ev(
        id,
        order,
        "received",
        at,
        &format!(
            r#""channel":"phone","purpose":"help","disposition":"dispatch","topic":"{topic}""#
        ),
    )
}

fn dispatched(id: &str, order: &str, at: &str, unit: &str) -> String {
    ev(
        id,
        order,
        "dispatched",
        at,
        &format!(r#""unit":"{unit}","due_at":"2024-12-20 18:00:00""#),
    )
}

#[test]
fn dropped_events_take_no_label_slot() {
    let shared = Shared::new(EngineConfig::default(), None);
    let mut p = Partition::new(0, shared.clone());
    let now = t("2025-01-15 12:00:00");
    assert_eq!(
        apply(
            &mut p,
            &received("S-1", "S", "2024-12-02 09:00:00", "供暖"),
            now
        ),
        Outcome::Applied
    );
    assert_eq!(
        apply(
            &mut p,
            &dispatched("S-2", "S", "2024-12-02 10:00:00", "A"),
            now
        ),
        Outcome::Applied
    );
    // A busy order too: its duplicates are told apart by another path.
    for i in 0..40 {
        let cb = ev(
            &format!("B-{i}"),
            "B",
            "callback",
            &format!("2024-12-03 10:{:02}:00", i),
            r#""satisfaction":"satisfied","unit":"A""#,
        );
        assert_eq!(apply(&mut p, &cb, now), Outcome::Applied);
    }
    p.snapshot();
    let held = p.labels_held();

    // Duplicates (same event id) naming labels never seen.
    let dup = dispatched("S-2", "S", "2024-12-02 10:00:00", "重复单位");
    assert_eq!(apply(&mut p, &dup, now), Outcome::Duplicate);
    let dup = ev(
        "B-7",
        "B",
        "callback",
        "2024-12-03 10:07:00",
        r#""satisfaction":"satisfied","unit":"重复单位二""#,
    );
    assert_eq!(apply(&mut p, &dup, now), Outcome::Duplicate);
    // Late: an unknown order of a month out of retention (as of January, October is).
    let late = received("L-1", "L", "2024-10-02 09:00:00", "迟到话题");
    assert_eq!(apply(&mut p, &late, now), Outcome::Late);
    let late = dispatched("L-2", "L", "2024-10-02 10:00:00", "迟到单位");
    assert_eq!(apply(&mut p, &late, now), Outcome::Late);
    // Rejected by the decoder.
    let bad = ev(
        "R-1",
        "R",
        "callback",
        "2024-12-05 10:00:00",
        r#""satisfaction":"great","unit":"拒收单位""#,
    );
    apply_lines([bad.as_bytes()], &shared, &mut p, AsOf::Fixed(now));
    assert_eq!(
        shared
            .stats
            .rejected
            .iter()
            .map(|r| r.load(Relaxed))
            .sum::<u64>(),
        1
    );
    p.snapshot();
    assert_eq!(p.labels_held(), held, "no dropped event took a label");
}

#[test]
fn evicted_orders_free_their_labels() {
    let shared = Shared::new(EngineConfig::default(), None);
    let mut p = Partition::new(0, shared.clone());
    // What a partition holds for its life: the default centre and category.
    let baseline = p.labels_held();
    let dec = t("2024-12-20 12:00:00");
    // December's orders, with units and topics seen only there; one busy order.
    for i in 0..50 {
        let o = format!("D{i}");
        apply(
            &mut p,
            &received(
                &format!("{o}-1"),
                &o,
                "2024-12-02 09:00:00",
                &format!("话题{i}"),
            ),
            dec,
        );
        apply(
            &mut p,
            &dispatched(
                &format!("{o}-2"),
                &o,
                "2024-12-02 10:00:00",
                &format!("单位{i}"),
            ),
            dec,
        );
    }
    for i in 0..40 {
        let line = dispatched(
            &format!("D0-x{i}"),
            "D0",
            &format!("2024-12-03 10:{i:02}:00"),
            &format!("忙单位{i}"),
        );
        assert_eq!(apply(&mut p, &line, dec), Outcome::Applied);
    }
    p.snapshot();
    assert_eq!(p.labels_held(), baseline + 50 + 50 + 40);
    // A February order with a unit of its own keeps its labels.
    let feb = t("2025-02-10 12:00:00");
    apply(
        &mut p,
        &received("F-1", "F", "2025-02-10 09:00:00", "二月话题"),
        feb,
    );
    apply(
        &mut p,
        &dispatched("F-2", "F", "2025-02-10 10:00:00", "二月单位"),
        feb,
    );
    p.snapshot();
    assert_eq!(p.len(), 51);
    // As of March, retention (3 months) starts in January: December is evicted.
    p.advance(t("2025-03-02 12:00:00"));
    p.snapshot();
    assert_eq!((p.len(), p.months_held()), (1, 1));
    assert_eq!(
        p.labels_held(),
        baseline + 2,
        "December's labels were all freed"
    );
    assert_eq!(p.tombstones_held(), 50);
}
