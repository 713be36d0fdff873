//! The analysis (数据分析) depends only on the set of events, like every other figure:
//! delivered out of order or twice it comes out the same; its counts agree with the
//! centre's; and a late event moves an order between its sets.

#[path = "common/bulletin/mod.rs"]
mod bulletin;
mod common;

use bulletin::{as_of, center, golmud, golmud_registry, GOLMUD_AS_OF, GOLMUD_MONTH};
use common::engine::{ev, Harness};
use hotline_pulse::simulate::{write_jsonl, Profile, SimConfig};
use hotline_pulse::view;
use hotline_pulse::view::AnalysisFigures;

fn analysis(h: &Harness, month: &str) -> AnalysisFigures {
    let month = month.parse().expect("month");
    let agg = h.agg();
    view::analysis(agg.month(center(h), month).expect("data"), month)
}

/// A deterministic shuffle (xorshift), so a failure can be replayed.
fn shuffled(lines: &[String], seed: u64) -> Vec<String> {
    let mut v = lines.to_vec();
    let mut x = seed.max(1);
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
    v
}

#[test]
fn the_golmud_analysis_does_not_depend_on_arrival_order_or_duplicates() {
    let g = golmud();
    let mut sorted = Harness::with_registry(&golmud_registry());
    sorted.apply_as_of(&g.lines, as_of(GOLMUD_AS_OF));
    let want = analysis(&sorted, GOLMUD_MONTH);
    assert!(want.unsatisfied.total > 0 && want.not_first_time.total > 0);
    assert!(want.consultations_not_answered.total > 0);

    for seed in [1, 2, 3] {
        let mut lines = shuffled(&g.lines, seed);
        // Every 20th event twice, the copy far from the original.
        let copies: Vec<String> = lines.iter().step_by(20).cloned().collect();
        lines.extend(copies);
        let lines = shuffled(&lines, seed + 100);
        let mut h = Harness::with_registry(&golmud_registry());
        h.apply_as_of(&lines, as_of(GOLMUD_AS_OF));
        assert_eq!(analysis(&h, GOLMUD_MONTH), want, "shuffle {seed}");
    }
}

#[test]
fn the_analysis_agrees_with_the_centre_figures_of_a_simulated_month() {
    for disorder in [0.0, 0.3] {
        let cfg = SimConfig {
            seed: 7,
            orders: 20_000,
            month: (2024, 11),
            profile: Profile::Haikou,
            disorder,
            duplicates: 0.05,
            ..SimConfig::default()
        };
        let mut out = Vec::new();
        write_jsonl(cfg, &mut out).expect("simulate");
        let lines: Vec<String> = String::from_utf8(out)
            .expect("UTF-8")
            .lines()
            .map(str::to_owned)
            .collect();
        let mut h = Harness::new();
        h.apply(&lines);
        let a = analysis(&h, "2024-11");
        let s = h.summary("2024-11");
        assert_eq!(a.unsatisfied.total, s.callbacks.unsatisfied);
        assert!(a.unsatisfied.total > 0);
        assert_eq!(
            a.consultations_not_answered.total,
            s.consultations - s.consultations_answered_directly
        );
        assert!(
            a.not_first_time.total >= s.completed - s.first_time_resolved,
            "every completed order not resolved the first time is 未一次办结"
        );
        assert_eq!(a.records_by_day.iter().sum::<i64>(), s.records);
        let by_problem: i64 = a.unsatisfied.problems.iter().map(|p| p.count).sum();
        assert_eq!(
            by_problem, a.unsatisfied.total,
            "every record has a problem"
        );
        assert!(a.unsatisfied.unresolved <= a.unsatisfied.total);
    }
}

#[test]
fn late_events_move_an_order_between_the_analysed_sets() {
    let at = |d: u32, h: u32| format!("2024-11-{d:02} {h:02}:00:00");
    let received = |id: &str, order: &str, purpose: &str, disposition: &str| {
        ev(
            id,
            order,
            "received",
            &at(4, 9),
            &format!(
                r#""channel":"phone","purpose":"{purpose}","disposition":"{disposition}","topic":"噪音扰民""#
            ),
        )
    };
    let mut h = Harness::new();
    // A callback before the completion it rates (upstream clocks differ): the unit is
    // known only once the completion arrives.
    h.apply(&[
        received("a1", "A", "complaint", "dispatch"),
        ev(
            "a2",
            "A",
            "dispatched",
            &at(4, 10),
            r#""unit":"市公安局","due_at":"2024-11-08 18:00:00""#,
        ),
        ev(
            "a4",
            "A",
            "callback",
            &at(6, 9),
            r#""satisfaction":"unsatisfied","resolved":false"#,
        ),
    ]);
    let a = analysis(&h, "2024-11");
    assert_eq!((a.unsatisfied.total, a.unsatisfied.unresolved), (1, 1));
    assert!(
        a.unsatisfied.problems[0].units.is_empty(),
        "no unit rated yet"
    );
    h.apply(&[ev(
        "a3",
        "A",
        "completed",
        &at(5, 9),
        r#""unit":"市公安局""#,
    )]);
    let a = analysis(&h, "2024-11");
    assert_eq!(a.unsatisfied.problems[0].problem, "噪音扰民");
    assert_eq!(a.unsatisfied.problems[0].units[0].unit, "市公安局");
    assert_eq!(a.not_first_time.total, 0);

    // Returned after all, and called back again, satisfied: it leaves the unsatisfied
    // set and joins 未一次办结 (with the latest callback's resolved, not given).
    h.apply(&[
        ev("a5", "A", "returned", &at(4, 12), r#""unit":"市公安局""#),
        ev(
            "a6",
            "A",
            "callback",
            &at(7, 9),
            r#""satisfaction":"satisfied""#,
        ),
    ]);
    let a = analysis(&h, "2024-11");
    assert_eq!(a.unsatisfied.total, 0);
    assert!(a.unsatisfied.problems.is_empty());
    assert_eq!(
        (a.not_first_time.total, a.not_first_time.unresolved),
        (1, 0)
    );
    assert_eq!(a.records_by_day[3], 1, "received on the 4th");

    // A consultation dispatched, then its record corrected to a desk answer.
    h.apply(&[received("b1", "B", "consultation", "dispatch")]);
    assert_eq!(analysis(&h, "2024-11").consultations_not_answered.total, 1);
    let earlier = ev(
        "b0",
        "B",
        "received",
        &at(3, 9),
        r#""channel":"phone","purpose":"consultation","disposition":"direct_answer""#,
    );
    h.apply(&[earlier]);
    let a = analysis(&h, "2024-11");
    assert_eq!(
        a.consultations_not_answered.total, 0,
        "the first record counts"
    );
    assert_eq!((a.records_by_day[2], a.records_by_day[3]), (1, 1));
}
