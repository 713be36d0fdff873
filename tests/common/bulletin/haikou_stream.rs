//! The Haikou stream: 228,673 records whose figures are the bulletin's (centre figures,
//! the six unit lists, overdue by purpose, and the analysis of section 二), laid out by
//! `haikou_plan.rs`.

use chrono::Duration;

use super::events::{at, received_fields, Gen};
use super::haikou::{HaikouLists, HAIKOU, HAIKOU_ANALYSIS, HAIKOU_OVERDUE_UNITS};
use super::haikou_plan::{
    plan_units, First, Labels, NOT_ANSWERED, NOT_ANSWERED_OTHER, NOT_FIRST_TIME_OTHER,
    UNSATISFIED_OTHER,
};

/// Generates the Haikou stream into `sink`.
pub fn haikou_stream(lists: &HaikouLists, sink: &mut dyn FnMut(String)) {
    let f = &HAIKOU;
    let a = &HAIKOU_ANALYSIS;
    let mut units = plan_units(lists);
    let unsatisfied_total = f.callbacks - f.satisfied;
    assert_eq!(unsatisfied_total, a.unsatisfied);
    let desk_callbacks = f.callbacks - f.completed;
    let desk_unsatisfied = unsatisfied_total
        - units
            .iter()
            .map(|u| u.unsatisfied.len() as i64)
            .sum::<i64>();
    assert!((0..=desk_callbacks).contains(&desk_unsatisfied));
    // 未一次办结 that are not completed: returned, not yet dispatched again. With the
    // completed ones (completed − first-time resolved) they make the bulletin's 12656.
    let waiting = a.not_first_time - (f.completed - f.first_time);
    assert!(waiting >= 0);

    let mut g = Gen { n: 0, sink };
    let mut k = 0i64;
    let received = |k: i64| at(2023, 1, 1 + (k % 31) as u32, 8 + (k % 10) as u32, 0);
    let named_dispatched: i64 = units.iter().map(|u| u.named.0).sum();
    let mut free_consult = f.consultations - f.direct - named_dispatched;
    let mut complaints = f.complaints;
    let named_late = |i: usize| {
        HAIKOU_OVERDUE_UNITS
            .iter()
            .map(|u| [u.1, u.2][i])
            .sum::<i64>()
    };
    let mut consult_late = First(f.consultations_overdue - named_late(0));
    let mut complaint_late = First(f.complaints_overdue - named_late(1));
    let mut not_answered = Labels::new(&NOT_ANSWERED, &NOT_ANSWERED_OTHER);
    let mut again_labels = Labels::new(&a.not_first_time_problems, &NOT_FIRST_TIME_OTHER);
    let mut unsatisfied_other = Labels::new(&[], &UNSATISFIED_OTHER);
    let mut again_unresolved = First(a.not_first_time_unresolved);
    let mut unsatisfied_unresolved = First(a.unsatisfied_unresolved);
    for u in &mut units {
        let plain_end = u.orders - u.unsatisfied.len() as i64;
        for j in 0..u.orders {
            let order = format!("HK{k}");
            let t = received(k);
            k += 1;
            let again = (u.named.0..u.named.0 + u.again).contains(&j);
            let unsatisfied = (j >= plain_end).then(|| u.unsatisfied[(j - plain_end) as usize]);
            let plain = !again && unsatisfied.is_none();
            let (purpose, named) = if j < u.named.0 {
                ("consultation", true)
            } else if plain && free_consult > 0 {
                free_consult -= 1;
                ("consultation", false)
            } else if complaints > 0 {
                complaints -= 1;
                ("complaint", false)
            } else {
                ("help", false)
            };
            let late = match (purpose, &mut u.late) {
                ("consultation", Some((c, _))) => c.take(),
                ("complaint", Some((_, c))) => c.take(),
                ("consultation", None) => consult_late.take(),
                ("complaint", None) => complaint_late.take(),
                _ => false,
            };
            let topic = match (purpose, again, unsatisfied) {
                ("consultation", _, _) => Some(not_answered.next()),
                (_, true, _) => Some(again_labels.next()),
                (_, _, Some(p)) => Some(p),
                _ => None,
            };
            let mut extra = String::new();
            if let Some(t) = topic {
                extra.push_str(&format!(r#","topic":"{t}""#));
            }
            if named {
                extra.push_str(&format!(r#","unit":"{}""#, u.name));
            }
            g.ev(
                &order,
                "received",
                t,
                &received_fields("phone", purpose, "dispatch", &extra),
            );
            let due = t + Duration::days(5) + Duration::hours(10);
            g.dispatched(&order, t + Duration::minutes(30), &u.name, due);
            if again {
                let back = t + Duration::days(1);
                g.unit_event(&order, "returned", back, &u.name);
                g.dispatched(&order, back + Duration::hours(1), &u.name, due);
            }
            let done = if late {
                due + Duration::hours(16)
            } else {
                t + Duration::days(2)
            };
            g.unit_event(&order, "completed", done, &u.name);
            let (rating, resolved) = if unsatisfied.is_some() {
                // Unresolved when the citizen said so; else not asked.
                let unresolved = unsatisfied_unresolved.take();
                ("unsatisfied", unresolved.then_some(false))
            } else {
                let rating = if j % 7 == 6 {
                    "basically_satisfied"
                } else {
                    "satisfied"
                };
                (rating, Some(!(again && again_unresolved.take())))
            };
            g.callback(&order, done + Duration::days(1), rating, None, resolved);
        }
    }
    assert_eq!((free_consult, complaints), (0, 0));
    assert!(
        consult_late.0 <= 0 && complaint_late.0 <= 0,
        "every late order placed"
    );
    for u in &units {
        if let Some((c, p)) = &u.late {
            assert!(
                c.0 <= 0 && p.0 <= 0,
                "{}: not enough orders to be late",
                u.name
            );
        }
    }
    assert!(
        again_unresolved.0 <= 0,
        "enough orders not resolved the first time"
    );

    // Returned and waiting at the hotline to be dispatched again: 未一次办结, not
    // completed, not overdue (returned before the deadline), no callback.
    let holder = &units[0].name;
    for _ in 0..waiting {
        let order = format!("HK{k}");
        let t = at(2023, 1, 31, 9, 0);
        k += 1;
        let extra = format!(r#","topic":"{}""#, again_labels.next());
        g.ev(
            &order,
            "received",
            t,
            &received_fields("phone", "help", "dispatch", &extra),
        );
        g.dispatched(
            &order,
            t + Duration::minutes(30),
            holder,
            t + Duration::days(5),
        );
        g.unit_event(&order, "returned", t + Duration::hours(4), holder);
    }

    // Answered at the desk: the named ones first (per-unit instant resolution), then
    // the rest; the first ones are called back too.
    let named_direct = units
        .iter()
        .flat_map(|u| std::iter::repeat_n(Some(u.name.clone()), u.named.1 as usize));
    let desk = named_direct.chain(std::iter::repeat(None));
    for (i, unit) in desk.take(f.direct as usize).enumerate() {
        let i = i as i64;
        let order = format!("HK{k}");
        let t = received(k);
        k += 1;
        let unhappy = i < desk_unsatisfied;
        let mut extra = unit.map_or_else(String::new, |u| format!(r#","unit":"{u}""#));
        if unhappy {
            extra.push_str(&format!(r#","topic":"{}""#, unsatisfied_other.next()));
        }
        g.ev(
            &order,
            "received",
            t,
            &received_fields("phone", "consultation", "direct_answer", &extra),
        );
        if i < desk_callbacks {
            let (rating, resolved) = if unhappy {
                let unresolved = unsatisfied_unresolved.take();
                ("unsatisfied", unresolved.then_some(false))
            } else {
                ("satisfied", Some(true))
            };
            g.callback(&order, t + Duration::days(1), rating, None, resolved);
        }
    }
    assert!(
        unsatisfied_unresolved.0 <= 0,
        "enough unsatisfied callbacks to be unresolved"
    );
    // The rest of the records: help answered at the desk and invalid calls.
    let rest = f.records - k;
    assert!(rest >= 0);
    let help = rest / 2;
    for i in 0..rest {
        let order = format!("HK{k}");
        let t = received(k);
        k += 1;
        let (purpose, disposition) = if i < help {
            ("help", "direct_answer")
        } else {
            ("other", "invalid")
        };
        g.ev(
            &order,
            "received",
            t,
            &received_fields("phone", purpose, disposition, ""),
        );
    }
    assert_eq!(k, f.records);
}
