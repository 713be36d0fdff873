//! The assignment rules of metrics.md, one hand-made case each, through the public API.

mod common;

use common::engine::{ev, Harness};
use hotline_pulse::config::EngineConfig;
use hotline_pulse::event::parse_timestamp;
use hotline_pulse::event::TimeZone;
use hotline_pulse::source::AsOf;

const WJ: &str = "市卫生健康委员会";

fn at(s: &str) -> i64 {
    parse_timestamp(s, TimeZone::CHINA).unwrap()
}

fn received(id: &str, order: &str, t: &str, purpose: &str, disposition: &str) -> String {
    ev(
        id,
        order,
        "received",
        t,
        &format!(r#""channel":"phone","purpose":"{purpose}","disposition":"{disposition}""#),
    )
}

fn to(unit: &str, due: &str) -> String {
    format!(r#""unit":"{unit}","due_at":"{due}""#)
}

fn unit(u: &str) -> String {
    format!(r#""unit":"{u}""#)
}

#[test]
fn the_spec_worked_example() {
    let lines = vec![
        r#"{"event_id":"e1","order_id":"HX24110160350008","type":"received","at":"2024-11-01T09:12:00+08:00","channel":"phone","purpose":"help","disposition":"dispatch","category":"社会事业"}"#.to_owned(),
        r#"{"event_id":"e2","order_id":"HX24110160350008","type":"dispatched","at":"2024-11-01T09:40:00+08:00","unit":"市卫生健康委员会","due_at":"2024-11-12T18:00:00+08:00"}"#.to_owned(),
        r#"{"event_id":"e3","order_id":"HX24110160350008","type":"completed","at":"2024-11-13T10:05:00+08:00","unit":"市卫生健康委员会","result":"resolved"}"#.to_owned(),
        r#"{"event_id":"e4","order_id":"HX24110160350008","type":"callback","at":"2024-11-15T15:00:00+08:00","satisfaction":"satisfied","resolved":true}"#.to_owned(),
    ];
    let mut h = Harness::new();
    h.apply(&lines);
    let u = h.unit("2024-11", WJ);
    assert_eq!(
        (u.assigned, u.completed, u.overdue, u.first_time_resolved),
        (1, 1, 1, 1)
    );
    assert_eq!(
        (
            u.callbacks.total,
            u.callbacks.satisfied,
            u.callbacks.resolved
        ),
        (1, 1, 1)
    );
    assert_eq!(u.completed_on_time, 0, "completed after the deadline");
    assert_eq!(u.ratios.completion, Some(1.0));
    assert_eq!(u.ratios.on_time, Some(0.0));
    assert_eq!(u.handling_time.count, 1);
    let s = h.summary("2024-11");
    assert_eq!(
        (s.records, s.dispatched, s.completed, s.overdue),
        (1, 1, 1, 1)
    );
    let help = s
        .overdue_by_purpose
        .iter()
        .find(|o| o.purpose == "help")
        .unwrap();
    assert_eq!((help.records, help.overdue, help.ratio), (1, 1, Some(1.0)));
    let list = h.overdue("2024-11");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].order_id, "HX24110160350008");
    assert_eq!(list[0].units, vec![WJ.to_owned()]);
    assert_eq!(list[0].due_at.as_deref(), Some("2024-11-12 18:00"));
    assert_eq!(list[0].replied_at.as_deref(), Some("2024-11-13 10:05"));
}

#[test]
fn a_return_after_the_deadline_stays_overdue_and_the_next_unit_is_judged_on_its_own() {
    let mut h = Harness::new();
    h.apply(&[
        received("r", "O1", "2024-11-01 09:00:00", "complaint", "dispatch"),
        ev(
            "d1",
            "O1",
            "dispatched",
            "2024-11-01 10:00:00",
            &to("A", "2024-11-18 18:00:00"),
        ),
        ev(
            "x1",
            "O1",
            "returned",
            "2024-11-19 09:00:00",
            r#""unit":"A","reason":"11月18日工单到期之后退回""#,
        ),
        ev(
            "d2",
            "O1",
            "dispatched",
            "2024-11-19 10:00:00",
            &to("B", "2024-11-25 18:00:00"),
        ),
        ev("c2", "O1", "completed", "2024-11-21 10:00:00", &unit("B")),
    ]);
    let a = h.unit("2024-11", "A");
    assert_eq!(
        (a.assigned, a.completed, a.returned, a.overdue),
        (0, 0, 1, 1)
    );
    assert_eq!(a.ratios.return_, Some(1.0));
    let b = h.unit("2024-11", "B");
    assert_eq!(
        (b.assigned, b.completed, b.completed_on_time, b.overdue),
        (1, 1, 1, 0)
    );
    assert_eq!(b.first_time_resolved, 0, "the order was returned once");
    let s = h.summary("2024-11");
    assert_eq!((s.completed, s.overdue, s.first_time_resolved), (1, 1, 0));
    let list = h.overdue("2024-11");
    assert_eq!(list[0].units, vec!["A".to_owned(), "B".to_owned()]);
    assert_eq!(list[0].due_at.as_deref(), Some("2024-11-18 18:00"));
    assert!(
        list[0].remark.contains("退回 1 次") && list[0].remark.contains("到期之后退回"),
        "{}",
        list[0].remark
    );
}

#[test]
fn a_return_before_the_deadline_is_not_overdue_and_a_unit_that_gets_it_back_counts_it() {
    let mut h = Harness::new();
    h.apply(&[
        ev(
            "d1",
            "O1",
            "dispatched",
            "2024-11-01 10:00:00",
            &to("A", "2024-11-08 18:00:00"),
        ),
        ev("x1", "O1", "returned", "2024-11-02 09:00:00", &unit("A")),
        ev(
            "d2",
            "O1",
            "dispatched",
            "2024-11-03 10:00:00",
            &to("A", "2024-11-10 18:00:00"),
        ),
        ev("c2", "O1", "completed", "2024-11-09 10:00:00", &unit("A")),
    ]);
    let a = h.unit("2024-11", "A");
    assert_eq!(
        (
            a.assigned,
            a.completed,
            a.returned,
            a.overdue,
            a.completed_on_time
        ),
        (1, 1, 1, 0, 1)
    );
    assert_eq!(a.ratios.return_, Some(0.5));
    // Handling time runs from the dispatch that re-opened the assignment.
    assert_eq!(a.handling_time.mean_seconds, Some(6.0 * 24.0 * 3600.0));
}

#[test]
fn joint_handling_completes_when_every_unit_has_completed() {
    let mut h = Harness::new();
    let base = vec![
        ev(
            "d1",
            "O1",
            "dispatched",
            "2024-11-01 10:00:00",
            &to("A", "2024-11-08 18:00:00"),
        ),
        ev(
            "d2",
            "O1",
            "dispatched",
            "2024-11-01 10:05:00",
            &to("B", "2024-11-08 18:00:00"),
        ),
        ev("c1", "O1", "completed", "2024-11-03 10:00:00", &unit("A")),
    ];
    h.apply(&base);
    assert_eq!(
        (
            h.unit("2024-11", "A").completed,
            h.unit("2024-11", "B").assigned
        ),
        (1, 1)
    );
    assert_eq!(h.summary("2024-11").completed, 0, "B still holds the order");
    h.apply(&[ev(
        "c2",
        "O1",
        "completed",
        "2024-11-04 10:00:00",
        &unit("B"),
    )]);
    let s = h.summary("2024-11");
    assert_eq!(
        (s.dispatched, s.completed, s.first_time_resolved),
        (1, 1, 1)
    );
    // The callback rates the unit that completed last.
    h.apply(&[ev(
        "cb",
        "O1",
        "callback",
        "2024-11-05 10:00:00",
        r#""satisfaction":"unsatisfied""#,
    )]);
    assert_eq!(h.unit("2024-11", "B").callbacks.unsatisfied, 1);
    assert_eq!(h.unit("2024-11", "A").callbacks.total, 0);
}

#[test]
fn an_extension_counts_only_if_asked_before_the_deadline() {
    let run = |ext_at: &str| {
        let mut h = Harness::new();
        h.apply(&[
            ev(
                "d",
                "O1",
                "dispatched",
                "2024-11-01 10:00:00",
                &to("A", "2024-11-08 18:00:00"),
            ),
            ev(
                "x",
                "O1",
                "extended",
                ext_at,
                &to("A", "2024-11-15 18:00:00"),
            ),
            ev("c", "O1", "completed", "2024-11-12 10:00:00", &unit("A")),
        ]);
        h.unit("2024-11", "A")
    };
    let in_time = run("2024-11-08 17:00:00");
    assert_eq!(
        (
            in_time.overdue,
            in_time.completed_on_time,
            in_time.late_extensions
        ),
        (0, 1, 0)
    );
    let late = run("2024-11-09 09:00:00");
    assert_eq!(
        (late.overdue, late.completed_on_time, late.late_extensions),
        (1, 0, 1)
    );
}

#[test]
fn a_reopen_uncompletes_until_completed_again_and_the_latest_callback_counts() {
    let mut h = Harness::new();
    h.apply(&[
        received("r", "O1", "2024-11-01 09:00:00", "help", "dispatch"),
        ev(
            "d",
            "O1",
            "dispatched",
            "2024-11-01 10:00:00",
            &to("A", "2024-11-08 18:00:00"),
        ),
        ev("c", "O1", "completed", "2024-11-03 10:00:00", &unit("A")),
        ev(
            "cb1",
            "O1",
            "callback",
            "2024-11-04 10:00:00",
            r#""satisfaction":"unsatisfied","resolved":false"#,
        ),
        ev(
            "ro",
            "O1",
            "reopened",
            "2024-11-04 11:00:00",
            &to("A", "2024-11-11 18:00:00"),
        ),
    ]);
    let a = h.unit("2024-11", "A");
    assert_eq!(
        (a.assigned, a.completed, a.reopened, a.first_time_resolved),
        (1, 0, 1, 0)
    );
    assert_eq!(a.open, 1);
    assert_eq!(h.summary("2024-11").completed, 0);
    h.apply(&[
        ev("c2", "O1", "completed", "2024-11-06 10:00:00", &unit("A")),
        ev(
            "cb2",
            "O1",
            "callback",
            "2024-11-07 10:00:00",
            r#""satisfaction":"satisfied","resolved":true"#,
        ),
    ]);
    let a = h.unit("2024-11", "A");
    assert_eq!((a.completed, a.first_time_resolved, a.open), (1, 0, 0));
    assert_eq!(
        (
            a.callbacks.total,
            a.callbacks.satisfied,
            a.callbacks.unsatisfied
        ),
        (1, 1, 0)
    );
    let s = h.summary("2024-11");
    assert_eq!(
        (s.completed, s.first_time_resolved, s.callbacks.total),
        (1, 0, 1)
    );
}

#[test]
fn an_unreachable_callback_is_not_a_valid_callback() {
    let mut h = Harness::new();
    h.apply(&[
        ev(
            "d",
            "O1",
            "dispatched",
            "2024-11-01 10:00:00",
            &to("A", "2024-11-08 18:00:00"),
        ),
        ev("c", "O1", "completed", "2024-11-03 10:00:00", &unit("A")),
        ev(
            "cb",
            "O1",
            "callback",
            "2024-11-04 10:00:00",
            r#""contacted":false"#,
        ),
    ]);
    let a = h.unit("2024-11", "A");
    assert_eq!(a.callbacks.total, 0);
    assert_eq!(
        a.ratios.satisfaction, None,
        "absent, not 0, without valid callbacks"
    );
}

#[test]
fn aliases_count_under_the_canonical_name_and_unknown_units_are_counted() {
    let mut h = Harness::with_registry(
        "[[unit]]\nname = \"市卫生健康委员会\"\naliases = [\"卫生健康委员会\"]\n",
    );
    h.apply(&[
        ev(
            "d",
            "O1",
            "dispatched",
            "2024-11-01 10:00:00",
            &to("卫生健康委员会", "2024-11-08 18:00:00"),
        ),
        ev(
            "c",
            "O1",
            "completed",
            "2024-11-03 10:00:00",
            &unit(" 市卫生健康委员会 "),
        ),
        ev(
            "d2",
            "O2",
            "dispatched",
            "2024-11-01 10:00:00",
            &to("市公安局", "2024-11-08 18:00:00"),
        ),
    ]);
    let u = h.unit("2024-11", WJ);
    assert_eq!((u.assigned, u.completed), (1, 1));
    assert!(h
        .month("2024-11")
        .units
        .iter()
        .all(|u| u.unit != "卫生健康委员会"));
    assert_eq!(
        h.unit("2024-11", "市公安局").assigned,
        1,
        "unknown names are kept"
    );
    assert_eq!(
        h.shared
            .stats
            .unknown_units
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}

#[test]
fn an_explicit_callback_unit_wins_and_an_early_callback_finds_its_completion() {
    let mut h = Harness::new();
    h.apply(&[
        ev(
            "d",
            "O1",
            "dispatched",
            "2024-11-01 10:00:00",
            &to("A", "2024-11-08 18:00:00"),
        ),
        // Clock skew: the callback system stamped its call before the completion.
        ev(
            "cb",
            "O1",
            "callback",
            "2024-11-03 09:59:00",
            r#""satisfaction":"satisfied""#,
        ),
        ev("c", "O1", "completed", "2024-11-03 10:00:00", &unit("A")),
        ev(
            "d2",
            "O2",
            "dispatched",
            "2024-11-01 10:00:00",
            &to("A", "2024-11-08 18:00:00"),
        ),
        ev("c2", "O2", "completed", "2024-11-03 10:00:00", &unit("A")),
        ev(
            "cb2",
            "O2",
            "callback",
            "2024-11-04 10:00:00",
            r#""satisfaction":"basically_satisfied","unit":"B""#,
        ),
    ]);
    assert_eq!(h.unit("2024-11", "A").callbacks.satisfied, 1);
    let b = h.unit("2024-11", "B");
    assert_eq!((b.callbacks.basically_satisfied, b.assigned), (1, 0));
}

#[test]
fn open_orders_become_due_soon_then_overdue_as_time_passes() {
    let mut h = Harness::new();
    let lines = [ev(
        "d",
        "O1",
        "dispatched",
        "2024-11-01 10:00:00",
        &to("A", "2024-11-08 18:00:00"),
    )];
    h.apply_as_of(&lines, AsOf::Fixed(at("2024-11-05 12:00:00")));
    let a = h.unit("2024-11", "A");
    assert_eq!(
        (a.open, a.due_soon, a.open_overdue, a.overdue),
        (1, 0, 0, 0)
    );
    h.advance(at("2024-11-07 18:00:00"));
    let a = h.unit("2024-11", "A");
    assert_eq!(
        (a.open, a.due_soon, a.open_overdue, a.overdue),
        (1, 1, 0, 0),
        "exactly 24 h before the deadline"
    );
    h.advance(at("2024-11-08 18:00:00"));
    assert_eq!(
        h.unit("2024-11", "A").open_overdue,
        0,
        "at the deadline it is not yet missed"
    );
    h.advance(at("2024-11-08 18:00:01"));
    let a = h.unit("2024-11", "A");
    assert_eq!(
        (a.open, a.due_soon, a.open_overdue, a.overdue),
        (1, 0, 1, 1)
    );
    assert_eq!(h.overdue("2024-11").len(), 1);
    assert_eq!(h.overdue("2024-11")[0].replied_at, None);
    // Completed late: no longer open, still overdue.
    h.apply_as_of(
        &[ev(
            "c",
            "O1",
            "completed",
            "2024-11-10 10:00:00",
            &unit("A"),
        )],
        AsOf::Fixed(at("2024-11-10 10:00:00")),
    );
    let a = h.unit("2024-11", "A");
    assert_eq!(
        (a.open, a.open_overdue, a.overdue, a.completed),
        (0, 0, 1, 1)
    );
}

#[test]
fn the_cohort_month_is_the_received_month_in_the_configured_zone() {
    let mut h = Harness::new();
    h.apply(&[
        ev(
            "r",
            "O1",
            "received",
            "2024-10-31T15:30:00Z",
            r#""channel":"wechat","purpose":"complaint","disposition":"dispatch""#,
        ),
        ev(
            "d",
            "O1",
            "dispatched",
            "2024-11-01 10:00:00",
            &to("A", "2024-11-08 18:00:00"),
        ),
        // No received: the earliest event decides.
        ev(
            "d2",
            "O2",
            "dispatched",
            "2024-10-31 23:00:00",
            &to("A", "2024-11-08 18:00:00"),
        ),
        ev("c2", "O2", "completed", "2024-11-02 10:00:00", &unit("A")),
    ]);
    assert_eq!(h.unit("2024-10", "A").assigned, 2);
    assert!(!h.has_month("2024-11"));
    // A received that arrives late moves the order to its month.
    h.apply(&[ev(
        "r2",
        "O2",
        "received",
        "2024-11-01 08:00:00",
        r#""channel":"phone","purpose":"help","disposition":"dispatch""#,
    )]);
    assert_eq!(h.unit("2024-10", "A").assigned, 1);
    assert_eq!(h.unit("2024-11", "A").completed, 1);
}

#[test]
fn duplicates_change_nothing_and_are_counted() {
    let mut h = Harness::new();
    let lines = vec![
        ev(
            "d",
            "O1",
            "dispatched",
            "2024-11-01 10:00:00",
            &to("A", "2024-11-08 18:00:00"),
        ),
        ev("c", "O1", "completed", "2024-11-03 10:00:00", &unit("A")),
    ];
    h.apply(&lines);
    let before = h.month("2024-11");
    // Same event_id, even with other content, is a duplicate.
    h.apply(&[
        lines[1].clone(),
        ev("c", "O1", "completed", "2024-11-03 10:00:00", &unit("B")),
    ]);
    assert_eq!(h.month("2024-11"), before);
    assert_eq!(
        h.shared
            .stats
            .duplicates
            .load(std::sync::atomic::Ordering::Relaxed),
        2
    );
}

#[test]
fn months_leaving_retention_are_evicted_and_their_events_are_late() {
    let mut h = Harness::with(
        EngineConfig {
            retention_months: 2,
            ..EngineConfig::default()
        },
        None,
    );
    h.apply(&[
        ev(
            "d",
            "O1",
            "dispatched",
            "2024-09-10 10:00:00",
            &to("A", "2024-09-18 18:00:00"),
        ),
        ev(
            "d2",
            "O2",
            "dispatched",
            "2024-10-10 10:00:00",
            &to("A", "2024-10-18 18:00:00"),
        ),
    ]);
    assert!(h.has_month("2024-09"));
    h.apply(&[ev(
        "d3",
        "O3",
        "dispatched",
        "2024-11-10 10:00:00",
        &to("A", "2024-11-18 18:00:00"),
    )]);
    assert!(!h.has_month("2024-09"), "September left the window");
    assert_eq!(h.partition.len(), 2);
    h.apply(&[
        ev("c", "O1", "completed", "2024-09-12 10:00:00", &unit("A")),
        ev(
            "x",
            "O9",
            "dispatched",
            "2024-09-12 10:00:00",
            &to("A", "2024-09-18 18:00:00"),
        ),
    ]);
    assert_eq!(
        h.shared
            .stats
            .late
            .load(std::sync::atomic::Ordering::Relaxed),
        2
    );
    assert!(!h.has_month("2024-09"));
    // Open overdue gauges of evicted orders are withdrawn too.
    let a = h.unit("2024-11", "A");
    assert_eq!(a.open, 2, "the October and November orders");
}

#[test]
fn consultations_give_instant_resolution_per_unit_and_centre() {
    let mut h = Harness::new();
    let mut lines = Vec::new();
    for i in 0..10 {
        let disposition = if i < 8 { "direct_answer" } else { "dispatch" };
        lines.push(ev(&format!("r{i}"), &format!("O{i}"), "received", "2024-11-01 09:00:00",
            &format!(r#""channel":"phone","purpose":"consultation","disposition":"{disposition}","unit":"海口供电局","category":"政务咨询""#)));
    }
    lines.push(ev(
        "rx",
        "OX",
        "received",
        "2024-11-01 09:00:00",
        r#""channel":"phone","purpose":"consultation","disposition":"invalid","unit":"海口供电局""#,
    ));
    h.apply(&lines);
    let u = h.unit("2024-11", "海口供电局");
    assert_eq!(
        (u.consultations, u.consultations_answered_directly),
        (10, 8)
    );
    assert_eq!(u.ratios.instant_resolution, Some(0.8));
    let s = h.summary("2024-11");
    assert_eq!((s.records, s.valid_records, s.consultations), (11, 10, 10));
    assert_eq!(s.instant_resolution_ratio, Some(0.8));
    assert_eq!(s.by_category[0].key, "政务咨询");
    assert_eq!(s.by_category[0].count, 10);
}

#[test]
fn units_below_the_minimum_are_not_assessed() {
    let mut h = Harness::new();
    let mut lines = Vec::new();
    for i in 0..10 {
        lines.push(ev(
            &format!("a{i}"),
            &format!("A{i}"),
            "dispatched",
            "2024-11-01 10:00:00",
            &to("Big", "2024-11-08 18:00:00"),
        ));
    }
    for i in 0..9 {
        lines.push(ev(
            &format!("b{i}"),
            &format!("B{i}"),
            "dispatched",
            "2024-11-01 10:00:00",
            &to("Small", "2024-11-08 18:00:00"),
        ));
    }
    h.apply(&lines);
    assert!(h.unit("2024-11", "Big").assessed);
    assert!(!h.unit("2024-11", "Small").assessed);
    assert_eq!(h.summary("2024-11").units_assessed, 1);
}
