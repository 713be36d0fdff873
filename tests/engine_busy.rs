//! Busy orders (32 events and more) take another path through the engine: their new
//! events are stashed and settled in bulk (src/engine/partition/busy.rs). These tests
//! hold that path to the same invariants as the rest: the figures depend only on the
//! set of events and the as-of time — not on arrival order, duplicates, or when the
//! partition happened to publish (settle) in between.

mod common;

use std::sync::atomic::Ordering::Relaxed;

use common::engine::ev;
use hotline_pulse::config::EngineConfig;
use hotline_pulse::engine::{Outcome, Partition, Shared};
use hotline_pulse::event::{decode, parse_timestamp, DecodeCtx, TimeZone};
use hotline_pulse::source::replay::apply_lines;
use hotline_pulse::source::AsOf;
use proptest::prelude::*;
use proptest::sample::Index;

const UNITS: [&str; 4] = ["A", "B", "市公安局", "供电局"];

/// One event of the busy order `B1` (or, one time in eight, of the small `S1`).
fn line(seq: usize, (small, kind, t, unit, due, extra): (u8, u8, u8, u8, u8, u8)) -> String {
    // Every 6 hours from 28 October: deadlines fall due while the stream plays.
    let at = |slot: u8| {
        let base = chrono::NaiveDate::from_ymd_opt(2024, 10, 28)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        (base + chrono::Duration::hours(6 * i64::from(slot)))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    let order = if small == 0 { "S1" } else { "B1" };
    let id = format!("{order}-{seq}");
    let u = UNITS[unit as usize % UNITS.len()];
    let due = at(t.saturating_add(due * 3 + 1));
    let when = at(t);
    let f = match kind {
        0 => format!(
            r#""channel":"phone","purpose":"{}","disposition":"dispatch","unit":"{u}","topic":"t{extra}""#,
            ["consultation", "complaint"][extra as usize % 2]
        ),
        1 | 3 | 6 => format!(r#""unit":"{u}","due_at":"{due}""#),
        2 => format!(r#""unit":"{u}","reason":"r{extra}""#),
        4 => format!(r#""unit":"{u}""#),
        _ => match extra % 3 {
            0 => r#""contacted":false"#.to_owned(),
            1 => format!(r#""satisfaction":"unsatisfied","unit":"{u}""#),
            _ => r#""satisfaction":"satisfied","resolved":true"#.to_owned(),
        },
    };
    let kind = [
        "received",
        "dispatched",
        "returned",
        "extended",
        "completed",
        "callback",
        "reopened",
    ][kind as usize];
    ev(&id, order, kind, &when, &f)
}

fn stream() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec((0u8..8, 0u8..7, 0u8..120, 0u8..4, 0u8..8, 0u8..5), 40..160).prop_map(
        |evs| {
            evs.into_iter()
                .enumerate()
                .map(|(i, e)| line(i, e))
                .collect()
        },
    )
}

/// Applies `lines` in chunks (cut at positions `cuts`), taking a snapshot after each
/// chunk as a live worker publishes; returns every counter of the final snapshot, the
/// duplicates counted and the labels held.
fn run(lines: &[String], as_of: AsOf, cuts: &[usize]) -> (String, u64, usize) {
    let shared = Shared::new(EngineConfig::default(), None);
    let mut p = Partition::new(0, shared.clone());
    let mut bounds = cuts.to_vec();
    bounds.extend([0, lines.len()]);
    bounds.sort_unstable();
    for w in bounds.windows(2) {
        apply_lines(
            lines[w[0]..w[1]].iter().map(|l| l.as_bytes()),
            &shared,
            &mut p,
            as_of,
        );
        p.snapshot();
    }
    let snap = p.snapshot();
    let mut out = String::new();
    for (key, view) in &snap.months {
        out.push_str(&format!("{key:?}"));
        out.push_str(&serde_json::to_string(&**view).unwrap());
    }
    out.push_str(&serde_json::to_string(&*snap.live).unwrap());
    (out, shared.stats.duplicates.load(Relaxed), p.labels_held())
}

fn shuffle(lines: &mut [String], seed: u64) {
    let mut s = seed | 1;
    for i in (1..lines.len()).rev() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        lines.swap(i, (s % (i as u64 + 1)) as usize);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn a_busy_order_depends_only_on_its_events(
        lines in stream(),
        seed in any::<u64>(),
        dups in prop::collection::vec(any::<Index>(), 0..40),
        cuts in prop::collection::vec(any::<Index>(), 0..6),
    ) {
        // The reference: in time order, published after every event (each event
        // settled at once, as the eager path did).
        let ctx = DecodeCtx::unguarded(TimeZone::CHINA);
        let mut sorted = lines.clone();
        sorted.sort_by_key(|l| {
            let e = decode(l.as_bytes(), &ctx).unwrap();
            (e.order_id.to_string(), e.at, e.kind.event_type(), e.event_id.to_string())
        });
        let every: Vec<usize> = (1..sorted.len()).collect();
        let mut noisy = lines.clone();
        for d in &dups {
            noisy.push(lines[d.index(lines.len())].clone());
        }
        shuffle(&mut noisy, seed);
        let cuts: Vec<usize> = cuts.iter().map(|c| c.index(noisy.len() + 1)).collect();
        let fixed = parse_timestamp("2024-11-12 12:00:00", TimeZone::CHINA).unwrap();
        for as_of in [AsOf::Watermark, AsOf::Fixed(fixed)] {
            let (want, _, labels) = run(&sorted, as_of, &every);
            let (got, duplicates, got_labels) = run(&noisy, as_of, &cuts);
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(duplicates, dups.len() as u64);
            prop_assert_eq!(got_labels, labels);
            let (once, _, _) = run(&noisy, as_of, &[]);
            prop_assert_eq!(&once, &want);
        }
    }
}

/// A busy order whose late `received` shows it belongs to a month already out of
/// retention goes as that month did — exactly as a small order does.
#[test]
fn a_late_received_evicts_a_busy_order_as_it_does_a_small_one() {
    for events in [3usize, 40] {
        let shared = Shared::new(EngineConfig::default(), None);
        let mut p = Partition::new(0, shared.clone());
        // Retention 3 months: as of February, November is the cutoff.
        let as_of = parse_timestamp("2025-01-20 12:00:00", TimeZone::CHINA).unwrap();
        let ctx = DecodeCtx::unguarded(TimeZone::CHINA);
        let apply =
            |p: &mut Partition, line: &str| p.apply(&decode(line.as_bytes(), &ctx).unwrap(), as_of);
        for i in 0..events {
            let cb = ev(
                &format!("O-{i}"),
                "O",
                "callback",
                &format!("2024-11-20 10:{:02}:{:02}", i / 60, i % 60),
                r#""satisfaction":"satisfied""#,
            );
            assert_eq!(apply(&mut p, &cb), Outcome::Applied);
        }
        p.snapshot();
        assert_eq!(p.len(), 1);
        let received = ev(
            "O-r",
            "O",
            "received",
            "2024-10-31 09:00:00",
            r#""channel":"phone","purpose":"help","disposition":"dispatch""#,
        );
        assert_eq!(apply(&mut p, &received), Outcome::Late, "{events} events");
        assert_eq!(p.len(), 0, "{events} events: the order is evicted");
        assert_eq!(p.months_held(), 0);
        // Its later events are late too (tombstone).
        let again = ev(
            "O-x",
            "O",
            "completed",
            "2024-11-21 10:00:00",
            r#""unit":"A""#,
        );
        assert_eq!(apply(&mut p, &again), Outcome::Late);
    }
}
