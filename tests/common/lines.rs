//! Random contract-v1 lines for the property tests: a few orders, a few units, times
//! every 12 hours from late October into November, every event type.

use proptest::prelude::*;

use super::engine::ev;

const UNITS: [&str; 3] = ["A", "B", "市公安局"];

/// One random event of one of `orders` orders, at one of a few times (so ties happen).
fn event(orders: u8) -> impl Strategy<Value = (u8, u8, u8, u8, u8, u8)> {
    (0..orders, 0u8..7, 0u8..40, 0u8..3, 0u8..8, 0u8..6)
}

pub fn line(seq: usize, (order, kind, t, unit, due, extra): (u8, u8, u8, u8, u8, u8)) -> String {
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

/// Up to `max_len` events of `orders` orders.
pub fn stream(orders: u8, max_len: usize) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(event(orders), 1..max_len).prop_map(|evs| {
        evs.into_iter()
            .enumerate()
            .map(|(i, e)| line(i, e))
            .collect()
    })
}
