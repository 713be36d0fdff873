//! Property tests of the engine's invariants: results depend only on the set of
//! events (any order, any duplicates), and applying a stream incrementally equals
//! recomputing every order from scratch.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;

use common::engine::{ev, Harness};
use hotline_pulse::event::{decode, DecodeCtx, TimeZone};
use hotline_pulse::source::AsOf;
use hotline_pulse::view::Scope;
use proptest::prelude::*;

const UNITS: [&str; 3] = ["A", "B", "市公安局"];

/// One random event of one of a few orders, at one of a few times (so ties happen).
fn event() -> impl Strategy<Value = (u8, u8, u8, u8, u8, u8)> {
    (0u8..6, 0u8..7, 0u8..40, 0u8..3, 0u8..8, 0u8..6)
}

fn line(seq: usize, (order, kind, t, unit, due, extra): (u8, u8, u8, u8, u8, u8)) -> String {
    // Times spread from late October into November, every 12 hours.
    let at = |slot: u8| {
        let base = chrono::NaiveDate::from_ymd_opt(2024, 10, 29)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        (base + chrono::Duration::hours(12 * i64::from(slot)))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    let id = format!("e{seq}");
    let o = format!("O{order}");
    let u = UNITS[unit as usize];
    let due = at(t.saturating_add(due * 2 + 1));
    let when = at(t);
    match kind {
        0 => {
            let purpose = ["consultation", "help", "complaint"][extra as usize % 3];
            let disp = ["direct_answer", "dispatch", "invalid"][extra as usize / 2 % 3];
            ev(
                &id,
                &o,
                "received",
                &when,
                &format!(
                    r#""channel":"phone","purpose":"{purpose}","disposition":"{disp}","unit":"{u}","category":"c{extra}""#
                ),
            )
        }
        1 => ev(
            &id,
            &o,
            "dispatched",
            &when,
            &format!(r#""unit":"{u}","due_at":"{due}""#),
        ),
        2 => ev(
            &id,
            &o,
            "returned",
            &when,
            &format!(r#""unit":"{u}","reason":"r{extra}""#),
        ),
        3 => ev(
            &id,
            &o,
            "extended",
            &when,
            &format!(r#""unit":"{u}","due_at":"{due}""#),
        ),
        4 => ev(&id, &o, "completed", &when, &format!(r#""unit":"{u}""#)),
        5 => {
            let sat = ["satisfied", "basically_satisfied", "unsatisfied"][extra as usize % 3];
            match extra {
                0 => ev(&id, &o, "callback", &when, r#""contacted":false"#),
                1 => ev(
                    &id,
                    &o,
                    "callback",
                    &when,
                    &format!(r#""satisfaction":"{sat}","unit":"{u}""#),
                ),
                _ => ev(
                    &id,
                    &o,
                    "callback",
                    &when,
                    &format!(r#""satisfaction":"{sat}","resolved":{}"#, extra % 2 == 0),
                ),
            }
        }
        _ => ev(
            &id,
            &o,
            "reopened",
            &when,
            &format!(r#""unit":"{u}","due_at":"{due}""#),
        ),
    }
}

fn stream() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(event(), 1..40).prop_map(|evs| {
        evs.into_iter()
            .enumerate()
            .map(|(i, e)| line(i, e))
            .collect()
    })
}

/// Everything the read side can see, as comparable data.
fn observe(h: &Harness) -> String {
    let agg = h.agg();
    let mut out = String::new();
    for (center, month) in hotline_pulse::view::months(&agg) {
        let figures = hotline_pulse::view::month_figures(
            &agg,
            &h.shared.config,
            &center,
            month,
            h.as_of,
            &h.assessment,
        );
        let overdue = agg
            .month(&center, month)
            .map(|m| hotline_pulse::view::overdue_list(m, h.shared.config.tz));
        out.push_str(&serde_json::to_string(&(month.to_string(), figures, overdue)).unwrap());
    }
    out
}

/// Every counter of the partition's published snapshot, as comparable data.
fn flatten(h: &Harness) -> String {
    let mut out = String::new();
    for snap in h.board.snapshots(Scope::Local) {
        for (key, view) in &snap.months {
            out.push_str(&format!("{key:?}"));
            out.push_str(&serde_json::to_string(&**view).unwrap());
        }
        out.push_str(&serde_json::to_string(&*snap.live).unwrap());
    }
    out
}

fn run(lines: &[String], as_of: AsOf) -> Harness {
    let mut h = Harness::new();
    h.apply_as_of(lines, as_of);
    h
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn order_and_duplicates_do_not_matter(lines in stream(), seed in any::<u64>(), dups in prop::collection::vec(any::<prop::sample::Index>(), 0..10)) {
        let mut shuffled = lines.clone();
        for d in &dups {
            shuffled.push(lines[d.index(lines.len())].clone());
        }
        // A deterministic shuffle driven by the seed.
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        for as_of in [AsOf::Watermark, AsOf::Fixed(hotline_pulse::event::parse_timestamp("2024-11-20 12:00:00", TimeZone::CHINA).unwrap())] {
            let a = run(&lines, as_of);
            let b = run(&shuffled, as_of);
            prop_assert_eq!(observe(&a), observe(&b));
            prop_assert_eq!(flatten(&a), flatten(&b));
            prop_assert_eq!(b.shared.stats.duplicates.load(Relaxed), dups.len() as u64);
        }
    }

    #[test]
    fn incremental_equals_recompute(lines in stream(), seed in any::<u64>()) {
        let mut shuffled = lines.clone();
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let h = run(&shuffled, AsOf::Watermark);
        // Recompute: group by order, sort each order's events, and apply order after
        // order at the final as-of from the start (no time passes: every order is
        // derived once from its whole history).
        let ctx = DecodeCtx::unguarded(TimeZone::CHINA);
        let mut orders: BTreeMap<String, Vec<(i64, u8, String, String)>> = BTreeMap::new();
        for l in &lines {
            let e = decode(l.as_bytes(), &ctx).unwrap();
            orders.entry(e.order_id.to_string()).or_default().push((
                e.at,
                e.kind.event_type() as u8,
                e.event_id.to_string(),
                l.clone(),
            ));
        }
        let mut sorted = Vec::new();
        for events in orders.values_mut() {
            events.sort();
            events.dedup_by(|a, b| a.2 == b.2);
            sorted.extend(events.iter().map(|e| e.3.clone()));
        }
        let fresh = run(&sorted, AsOf::Fixed(h.as_of));
        prop_assert_eq!(flatten(&h), flatten(&fresh));
        prop_assert_eq!(observe(&h), observe(&fresh));
        prop_assert_eq!(h.partition.len(), orders.len());
    }
}
