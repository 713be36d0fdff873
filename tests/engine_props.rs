//! Property tests of the engine's invariants: results depend only on the set of
//! events (any order, any duplicates), and applying a stream incrementally equals
//! recomputing every order from scratch.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;

use common::engine::Harness;
use common::lines;
use hotline_pulse::event::{decode, DecodeCtx, TimeZone};
use hotline_pulse::source::AsOf;
use hotline_pulse::view::Scope;
use proptest::prelude::*;

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
    fn order_and_duplicates_do_not_matter(lines in lines::stream(6, 40), seed in any::<u64>(), dups in prop::collection::vec(any::<prop::sample::Index>(), 0..10)) {
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
    fn incremental_equals_recompute(lines in lines::stream(6, 40), seed in any::<u64>()) {
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
