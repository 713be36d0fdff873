//! Property tests of the engine's invariants: results depend only on the set of
//! events (any order, any duplicates), and applying a stream incrementally equals
//! recomputing every order from scratch.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;

use common::engine::{ev, Harness};
use hotline_pulse::engine::{
    derive, insert_sorted_for_tests as insert_sorted, Contribution, Counters, Ctx, Shared,
};
use hotline_pulse::event::{decode, TimeZone};
use hotline_pulse::source::AsOf;
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
    let mut out = String::new();
    for (center, month) in hotline_pulse::view::months(&h.shared) {
        let c = h.shared.centers.get(&center).unwrap();
        let figures =
            hotline_pulse::view::month_figures(&h.shared, c, month, h.as_of, &h.assessment);
        let overdue = hotline_pulse::view::overdue_list(&h.shared, c, month);
        out.push_str(&serde_json::to_string(&(month.to_string(), figures, overdue)).unwrap());
    }
    out
}

fn flatten(c: &Counters, shared: &Shared) -> BTreeMap<String, i64> {
    let unit = |id| shared.units.name(id).to_string();
    let cat = |id| shared.categories.name(id).to_string();
    let mut m = BTreeMap::new();
    let mut put = |k: String, v: i64| {
        if v != 0 {
            m.insert(k, v);
        }
    };
    for e in c.units.iter() {
        let k = format!("{}/{}", e.key().month, unit(e.key().unit));
        let u = e.value();
        for (name, v) in [
            ("assigned", &u.assigned),
            ("completed", &u.completed),
            ("on_time", &u.completed_on_time),
            ("overdue", &u.overdue),
            ("returned", &u.returned),
            ("reopened", &u.reopened),
            ("first_time", &u.first_time_resolved),
            ("late_ext", &u.late_extensions),
            ("cb0", &u.callbacks[0]),
            ("cb1", &u.callbacks[1]),
            ("cb2", &u.callbacks[2]),
            ("cbr", &u.callbacks_resolved),
            ("consult", &u.consultations),
            ("direct", &u.consultations_answered_directly),
            ("handling_n", &u.handling.count),
            ("handling_sum", &u.handling.sum_ms),
        ] {
            put(format!("{k}.{name}"), v.load(Relaxed));
        }
        let h = u.handling.histogram();
        put(format!("{k}.hdr_len"), h.len() as i64);
        put(format!("{k}.hdr_max"), h.max() as i64);
    }
    for e in c.live.iter() {
        let k = unit(e.key().unit);
        put(format!("{k}.open"), e.value().open.load(Relaxed));
        put(
            format!("{k}.open_overdue"),
            e.value().open_overdue.load(Relaxed),
        );
        put(format!("{k}.due_soon"), e.value().due_soon.load(Relaxed));
    }
    for e in c.centre.iter() {
        let k = e.key().month.to_string();
        let s = e.value();
        for (i, r) in s.records.iter().enumerate() {
            put(format!("{k}.rec{i}"), r.load(Relaxed));
        }
        for x in s.categories.iter() {
            put(
                format!("{k}.cat.{}", cat(*x.key())),
                x.value().load(Relaxed),
            );
        }
        for (name, v) in [
            ("dispatched", &s.dispatched),
            ("completed", &s.completed),
            ("first_time", &s.first_time_resolved),
            ("overdue", &s.overdue),
            ("cb0", &s.callbacks[0]),
            ("cb1", &s.callbacks[1]),
            ("cb2", &s.callbacks[2]),
            ("cbr", &s.callbacks_resolved),
        ] {
            put(format!("{k}.{name}"), v.load(Relaxed));
        }
        for (i, v) in s.overdue_by_purpose.iter().enumerate() {
            put(format!("{k}.overdue_p{i}"), v.load(Relaxed));
        }
    }
    m
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
            prop_assert_eq!(flatten(&a.shared.views()[0].counters, &a.shared), flatten(&b.shared.views()[0].counters, &b.shared));
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
        // Recompute: group by order, sort, derive once at the final as-of, add up.
        let fresh = Counters::default();
        let mut orders: BTreeMap<String, Vec<_>> = BTreeMap::new();
        for l in &lines {
            let e = decode(l.as_bytes(), TimeZone::CHINA).unwrap();
            let order = orders.entry(e.order_id.clone()).or_default();
            let (stored, _) = h.shared.store(e.event_id, e.at, e.kind);
            insert_sorted(order, stored);
        }
        let ctx = Ctx { tz: TimeZone::CHINA, as_of: h.as_of, due_soon_window_ms: 86_400_000 };
        for events in orders.values() {
            let d = derive(events, &ctx);
            fresh.update(0, &Contribution::default(), &d.contribution);
        }
        prop_assert_eq!(flatten(&h.shared.views()[0].counters, &h.shared), flatten(&fresh, &h.shared));
        prop_assert_eq!(h.partition.len(), orders.len());
    }
}
