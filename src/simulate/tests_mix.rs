//! Tests of the simulator against the bulletins: the mix of records and work-order
//! outcomes, and the shape of every order's life.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Timelike, Weekday};
use serde_json::{Map, Value};

use super::tests::{config, object, run, text, time};
use super::{Profile, SimEvent};

#[derive(Default, Debug)]
struct Mix {
    records: f64,
    channel: HashMap<String, f64>,
    disposition: HashMap<String, f64>,
    purpose_valid: HashMap<String, f64>,
    topic_valid: HashMap<String, f64>,
    valid: f64,
    consultations: f64,
    consultations_direct: f64,
    transfers_not_dispatched: usize,
    work_orders: f64,
    overdue: f64,
    returned: f64,
    reopened: usize,
    joint: usize,
    extended: usize,
    late_extended: usize,
    open: f64,
    completed: f64,
    first_time: f64,
    work_callbacks: f64,
    satisfaction: HashMap<String, f64>,
    unreached: usize,
    named_alias: f64,
    named_canonical: f64,
}

fn canonical(unit: &str) -> &str {
    match unit {
        "卫生健康委员会" => "市卫生健康委员会",
        "人力资源和社会保障" => "市人力资源和社会保障局",
        u => u,
    }
}

fn mix(events: &[SimEvent]) -> Mix {
    let mut orders: HashMap<&str, Vec<Map<String, Value>>> = HashMap::new();
    for e in events {
        orders.entry(&e.order_id).or_default().push(object(&e.line));
    }
    let mut m = Mix::default();
    let bump =
        |map: &mut HashMap<String, f64>, k: &str| *map.entry(k.to_owned()).or_default() += 1.0;
    for evs in orders.values() {
        let r = &evs[0];
        let disposition = text(r, "disposition");
        m.records += 1.0;
        bump(&mut m.channel, text(r, "channel"));
        bump(&mut m.disposition, disposition);
        if disposition != "invalid" {
            m.valid += 1.0;
            bump(&mut m.purpose_valid, text(r, "purpose"));
            bump(&mut m.topic_valid, text(r, "topic"));
        }
        if text(r, "purpose") == "consultation" {
            m.consultations += 1.0;
            m.consultations_direct += f64::from(u8::from(disposition == "direct_answer"));
        }
        let transfer = matches!(text(r, "channel"), "gov_website" | "provincial");
        m.transfers_not_dispatched += usize::from(transfer && disposition != "dispatch");
        for e in evs {
            if let Some(u) = e.get("unit").and_then(Value::as_str) {
                if canonical(u) == "市卫生健康委员会" {
                    if u == "卫生健康委员会" {
                        m.named_alias += 1.0;
                    } else {
                        m.named_canonical += 1.0;
                    }
                }
            }
        }
        if disposition != "dispatch" {
            continue;
        }
        m.work_orders += 1.0;
        let mut due: HashMap<&str, i64> = HashMap::new();
        let (mut overdue, mut returned, mut reopened, mut completed) = (false, false, false, false);
        let dispatches = evs
            .iter()
            .filter(|e| text(e, "type") == "dispatched")
            .count();
        for e in evs {
            let at = time(text(e, "at")).timestamp_millis();
            let unit = canonical(text(e, "unit"));
            match text(e, "type") {
                "dispatched" | "reopened" => {
                    due.insert(unit, time(text(e, "due_at")).timestamp_millis());
                    reopened |= text(e, "type") == "reopened";
                }
                "extended" if at <= due[unit] => {
                    due.insert(unit, time(text(e, "due_at")).timestamp_millis());
                    m.extended += 1;
                }
                "extended" => m.late_extended += 1,
                "returned" | "completed" => {
                    overdue |= at > due[unit];
                    returned |= text(e, "type") == "returned";
                    completed |= text(e, "type") == "completed";
                }
                "callback" => {
                    m.work_callbacks += 1.0;
                    match e.get("satisfaction").and_then(Value::as_str) {
                        Some(s) => bump(&mut m.satisfaction, s),
                        None => m.unreached += 1,
                    }
                }
                _ => {}
            }
        }
        m.joint += usize::from(dispatches >= 2 && !returned);
        m.overdue += f64::from(u8::from(overdue));
        m.returned += f64::from(u8::from(returned));
        m.reopened += usize::from(reopened);
        m.open += f64::from(u8::from(!completed));
        m.completed += f64::from(u8::from(completed));
        m.first_time += f64::from(u8::from(completed && !returned && !reopened));
    }
    m
}

fn near(what: &str, value: f64, target: f64, tolerance: f64) {
    assert!(
        (value - target).abs() <= tolerance,
        "{what}: {value:.4}, expected {target} ± {tolerance}"
    );
}

fn share(map: &HashMap<String, f64>, key: &str, of: f64) -> f64 {
    map.get(key).copied().unwrap_or(0.0) / of
}

#[test]
fn golmud_mix_matches_its_bulletin() {
    let m = mix(&run(config(Profile::Golmud, 20_000, 21)));
    near(
        "direct_answer",
        share(&m.disposition, "direct_answer", m.records),
        0.675,
        0.015,
    );
    near(
        "dispatch",
        share(&m.disposition, "dispatch", m.records),
        0.264,
        0.015,
    );
    near(
        "invalid",
        share(&m.disposition, "invalid", m.records),
        0.0614,
        0.008,
    );
    near(
        "gov_website",
        share(&m.channel, "gov_website", m.records),
        0.006,
        0.003,
    );
    near(
        "provincial",
        share(&m.channel, "provincial", m.records),
        0.005,
        0.003,
    );
    near("phone", share(&m.channel, "phone", m.records), 0.963, 0.01);
    assert_eq!(
        m.transfers_not_dispatched, 0,
        "transfers are always dispatched"
    );
    near(
        "consultation",
        share(&m.purpose_valid, "consultation", m.valid),
        0.6619,
        0.015,
    );
    near(
        "help",
        share(&m.purpose_valid, "help", m.valid),
        0.198,
        0.012,
    );
    near(
        "complaint",
        share(&m.purpose_valid, "complaint", m.valid),
        0.1255,
        0.01,
    );
    near(
        "薪资拖欠",
        share(&m.topic_valid, "薪资拖欠", m.valid),
        0.078,
        0.01,
    );
    near("overdue", m.overdue / m.work_orders, 0.0375, 0.01);
    near("returned", m.returned / m.work_orders, 0.02, 0.007);
    near("open", m.open / m.work_orders, 0.005, 0.004);
    near(
        "callbacks per completed",
        m.work_callbacks / m.completed,
        0.75,
        0.03,
    );
    let contacted = m.work_callbacks - m.unreached as f64;
    near(
        "satisfied",
        share(&m.satisfaction, "satisfied", contacted),
        0.93,
        0.02,
    );
    near(
        "basically",
        share(&m.satisfaction, "basically_satisfied", contacted),
        0.025,
        0.01,
    );
    near(
        "unsatisfied",
        share(&m.satisfaction, "unsatisfied", contacted),
        0.045,
        0.015,
    );
    near(
        "alias share",
        m.named_alias / (m.named_alias + m.named_canonical),
        0.3,
        0.06,
    );
    assert!(m.reopened > 0 && m.joint > 0 && m.extended > 0 && m.late_extended > 0);
    assert!(m.unreached > 0);
}

#[test]
fn haikou_mix_matches_its_bulletin() {
    let m = mix(&run(config(Profile::Haikou, 20_000, 22)));
    near(
        "consultation",
        share(&m.purpose_valid, "consultation", m.valid),
        0.606,
        0.015,
    );
    near(
        "complaint",
        share(&m.purpose_valid, "complaint", m.valid),
        0.213,
        0.012,
    );
    near(
        "instant resolution",
        m.consultations_direct / m.consultations,
        0.8147,
        0.02,
    );
    // ~95,000 of 228,673 records dispatched.
    near(
        "dispatch",
        share(&m.disposition, "dispatch", m.records),
        0.42,
        0.02,
    );
    near(
        "first-time resolution",
        m.first_time / m.completed,
        0.8671,
        0.025,
    );
    near("overdue", m.overdue / m.work_orders, 0.016, 0.006);
    let contacted = m.work_callbacks - m.unreached as f64;
    let content = share(&m.satisfaction, "satisfied", contacted)
        + share(&m.satisfaction, "basically_satisfied", contacted);
    near("satisfaction", content, 0.978, 0.01);
}

#[test]
fn order_lives_are_causal_and_deadlines_fall_on_working_days() {
    for profile in [Profile::Golmud, Profile::Haikou] {
        let events = run(config(profile, 6_000, 4));
        let mut orders: HashMap<&str, Vec<Map<String, Value>>> = HashMap::new();
        for e in &events {
            orders.entry(&e.order_id).or_default().push(object(&e.line));
        }
        assert_eq!(orders.len(), 6_000, "one order id per record");
        for (id, evs) in &orders {
            let r = &evs[0];
            assert_eq!(text(r, "type"), "received");
            let received = time(text(r, "at"));
            assert_eq!(
                &id[2..8],
                received.format("%y%m%d").to_string(),
                "order id carries its received date"
            );
            let mut held = HashSet::new();
            let mut completed = false;
            let mut unhappy = false;
            for (n, e) in evs.iter().enumerate() {
                assert_eq!(text(e, "event_id"), format!("{id}-{}", n + 1));
                assert!(time(text(e, "at")) >= received);
                let unit = canonical(text(e, "unit"));
                match text(e, "type") {
                    "received" => assert_eq!(n, 0, "one received per order"),
                    "dispatched" | "reopened" | "extended" => {
                        assert_eq!(text(r, "disposition"), "dispatch");
                        let due = time(text(e, "due_at"));
                        let late = matches!(due.weekday(), Weekday::Sat | Weekday::Sun);
                        assert!(!late && (due.hour(), due.minute()) == (18, 0), "{due}");
                        if text(e, "type") == "reopened" {
                            assert!(unhappy, "reopened only after an unsatisfied callback");
                        }
                        if text(e, "type") == "extended" {
                            assert!(held.contains(unit));
                        }
                        held.insert(unit);
                    }
                    "returned" | "completed" => {
                        assert!(held.contains(unit), "{id}: {unit} never held the order");
                        completed |= text(e, "type") == "completed";
                    }
                    "callback" => {
                        let direct = text(r, "disposition") == "direct_answer";
                        assert!(direct || completed, "{id}: callback before completion");
                        unhappy |= text(e, "satisfaction") == "unsatisfied";
                    }
                    other => panic!("unknown type {other}"),
                }
            }
            if text(r, "disposition") == "invalid" {
                assert_eq!(evs.len(), 1);
            }
            let consultation = text(r, "purpose") == "consultation";
            assert_eq!(r.contains_key("unit"), consultation);
        }
    }
}
