//! The Golmud stream: the seed's two ranking tables, its 41 overdue orders, its overview
//! and October's records (for "较上月上升 2.52%"), read from the seed itself.

use chrono::{Duration, NaiveDateTime};

use super::events::{at, nth_label, received_fields, Gen};
use super::golmud::*;
use crate::common::seeds::{self, OverdueRow, Row};

/// The Golmud tables as parsed from the seed, and the stream that reproduces them.
pub struct Golmud {
    pub lines: Vec<String>,
    pub completion: Vec<Row>,
    pub completion_total: (i64, i64),
    pub satisfaction: Vec<Row>,
    pub satisfaction_total: (i64, i64),
    pub overdue: Vec<OverdueRow>,
    /// Units the overdue list names but the completion table folds into 其他单位, with
    /// their order counts (taken out of 其他单位's).
    pub carved: Vec<(String, i64)>,
}

struct Plan {
    unit: String,
    assigned: i64,
    completed: i64,
    callbacks: i64,
    satisfied: i64,
    /// The satisfaction table's spelling, named on callbacks when it differs.
    spelling: Option<String>,
    /// Overdue rows (indexes) whose order this unit holds in the end.
    overdue: Vec<usize>,
}

fn seed_date((y, m, d): (i32, u32, u32), h: u32) -> NaiveDateTime {
    at(y, m, d, h, 0)
}

/// One plan per row of the completion table, the overdue orders each unit holds in the
/// end, and its callbacks; units the overdue list names alone are carved out of 其他单位.
fn plans(
    completion: &[Row],
    satisfaction: &[Row],
    overdue: &[OverdueRow],
) -> (Vec<Plan>, Vec<(String, i64)>) {
    let mut plans: Vec<Plan> = completion
        .iter()
        .map(|r| Plan {
            unit: golmud_canonical(&r.unit),
            assigned: r.a,
            completed: r.b,
            callbacks: 0,
            satisfied: 0,
            spelling: None,
            overdue: vec![],
        })
        .collect();
    let mut carved: Vec<(String, i64)> = vec![];
    for (i, row) in overdue.iter().enumerate() {
        let units = overdue_units(&row.units);
        let holder = units.last().expect("an overdue row names a unit").clone();
        if !plans.iter().any(|p| p.unit == holder) {
            // The table's 其他单位 row sums the units it does not list.
            let other = plans
                .iter_mut()
                .find(|p| p.unit == "其他单位")
                .expect("the table has 其他单位");
            other.assigned -= 1;
            other.completed -= 1;
            carved.push((holder.clone(), 1));
            plans.push(Plan {
                unit: holder.clone(),
                assigned: 1,
                completed: 1,
                callbacks: 0,
                satisfied: 0,
                spelling: None,
                overdue: vec![],
            });
        }
        let plan = plans.iter_mut().find(|p| p.unit == holder).expect("plan");
        plan.overdue.push(i);
    }
    for r in satisfaction {
        let unit = golmud_canonical(&r.unit);
        let plan = plans
            .iter_mut()
            .find(|p| p.unit == unit)
            .unwrap_or_else(|| panic!("{unit} rated but has no orders"));
        plan.callbacks = r.a;
        plan.satisfied = r.b;
        plan.spelling = (r.unit != unit).then(|| r.unit.clone());
    }
    (plans, carved)
}

/// Reads the seed and builds the stream: every order of the two ranking tables, the 41
/// overdue orders among them, the direct answers and invalid records of the overview,
/// and October's records (for "较上月").
pub fn golmud() -> Golmud {
    let text = seeds::read(seeds::GOLMUD);
    let (completion, completion_total) = seeds::table(&text, "各单位工单办结率排序表");
    let (satisfaction, satisfaction_total) = seeds::table(&text, "各单位回访满意度排序表");
    let overdue = seeds::golmud_overdue(&text);

    let (plans, carved) = plans(&completion, &satisfaction, &overdue);

    let mut lines = Vec::new();
    let mut push = |l: String| lines.push(l);
    let mut g = Gen {
        n: 0,
        sink: &mut push,
    };

    for i in 0..GOLMUD_PREVIOUS {
        let t = at(2024, 10, 1 + (i % 31) as u32, 8 + (i % 10) as u32, 0);
        g.ev(
            &format!("GO{i:05}"),
            "received",
            t,
            &received_fields("phone", "consultation", "direct_answer", ""),
        );
    }

    // Category and topic of the n-th valid record.
    let mut valid = 0i64;
    let mut next_labels = || {
        let mut extra = String::new();
        match nth_label(GOLMUD_CATEGORIES, valid) {
            Some("其他") | None => {}
            Some(c) => extra.push_str(&format!(r#","category":"{c}""#)),
        }
        if let Some(t) = nth_label(GOLMUD_TOPICS, valid) {
            extra.push_str(&format!(r#","topic":"{t}""#));
        }
        valid += 1;
        extra
    };
    let mut direct_purposes: Vec<&str> = GOLMUD_PURPOSES
        .iter()
        .flat_map(|&(p, n, _)| std::iter::repeat_n(p, n as usize))
        .collect();
    let mut dispatch_purposes = GOLMUD_PURPOSES
        .iter()
        .flat_map(|&(p, _, n)| std::iter::repeat_n(p, n as usize));

    let mut dispatched = 0i64;
    for (pi, plan) in plans.iter().enumerate() {
        let open = plan.assigned - plan.completed;
        assert!(
            plan.overdue.len() as i64 <= plan.completed && open <= plan.assigned,
            "{}: the overdue list and the table disagree",
            plan.unit
        );
        let rated_orders = plan.callbacks.min(plan.completed);
        let mut ratings = (0..plan.callbacks).map(|k| {
            if k >= plan.satisfied {
                "unsatisfied"
            } else if k % 5 == 4 {
                "basically_satisfied"
            } else {
                "satisfied"
            }
        });
        let cb_unit = plan.spelling.as_deref();
        let mut rated = 0;
        for j in 0..plan.assigned {
            let (channel, purpose) = match dispatched {
                n if n < GOLMUD_GOV_WEBSITE => ("gov_website", GOLMUD_TRANSFER_PURPOSE),
                n if n < GOLMUD_GOV_WEBSITE + GOLMUD_PROVINCIAL => {
                    ("provincial", GOLMUD_TRANSFER_PURPOSE)
                }
                _ => (
                    "phone",
                    dispatch_purposes.next().expect("dispatch purposes"),
                ),
            };
            dispatched += 1;
            let fields = received_fields(channel, purpose, "dispatch", &next_labels());
            let completed_at;
            let order;
            if let Some(&oi) = plan.overdue.get(j as usize) {
                let row = &overdue[oi];
                order = row.order_id.clone();
                let digits = &order[2..8];
                let day: u32 = digits[4..6].parse().expect("order id date");
                let received = at(2024, 11, day, 9, 0);
                let due = seed_date(row.due, 18);
                let reply = seed_date(row.replied, 10);
                assert!(reply > due, "{order}: replied before its deadline");
                let units = overdue_units(&row.units);
                g.ev(&order, "received", received, &fields);
                g.dispatched(&order, received + Duration::minutes(30), &units[0], due);
                let returned = due + Duration::hours(15);
                assert!(returned < reply, "{order}");
                let reason = format!(r#""unit":"{}","reason":"{}""#, units[0], row.remark);
                if units.len() > 1 {
                    // Passed between units: the first sent it back after its deadline.
                    assert!(!row.remark.is_empty(), "{order}: two units, no remark");
                    g.ev(&order, "returned", returned, &reason);
                    g.dispatched(&order, returned + Duration::hours(1), &units[1], reply);
                } else if !row.remark.is_empty() {
                    // Returned after the deadline, then sent back to the same unit.
                    g.ev(&order, "returned", returned, &reason);
                    g.dispatched(&order, returned + Duration::hours(1), &units[0], reply);
                }
                let holder = units.last().expect("unit");
                g.unit_event(&order, "completed", reply, holder);
                completed_at = Some(reply);
            } else {
                order = format!("GM{pi:02}{j:04}");
                let synthetic = j - plan.overdue.len() as i64;
                let remaining = plan.assigned - plan.overdue.len() as i64 - synthetic;
                let is_open = remaining <= open;
                let day = if is_open {
                    28
                } else {
                    1 + ((dispatched + j) % 27) as u32
                };
                let received = at(2024, 11, day, 8 + (j % 9) as u32, 0);
                g.ev(&order, "received", received, &fields);
                let due = if is_open {
                    at(2024, 12, 20, 18, 0)
                } else {
                    received + Duration::days(7)
                };
                g.dispatched(&order, received + Duration::minutes(30), &plan.unit, due);
                if is_open {
                    completed_at = None;
                } else {
                    let done = received + Duration::days(2);
                    g.unit_event(&order, "completed", done, &plan.unit);
                    completed_at = Some(done);
                }
            }
            if let Some(done) = completed_at.filter(|_| rated < rated_orders) {
                rated += 1;
                let rating = ratings.next().expect("rating");
                g.callback(
                    &order,
                    done + Duration::days(1),
                    rating,
                    cb_unit,
                    Some(rating != "unsatisfied"),
                );
            }
        }
        // More callbacks than completed orders (市生态环境局: 10 for 7): the citizen
        // rated the unit on consultations answered at the desk.
        for k in rated_orders..plan.callbacks {
            let pos = direct_purposes
                .iter()
                .position(|p| *p == "consultation")
                .expect("a direct consultation left");
            direct_purposes.remove(pos);
            let order = format!("GD{pi:02}{k:04}");
            let received = at(2024, 11, 10 + k as u32, 10, 0);
            let extra = format!(r#"{},"unit":"{}""#, next_labels(), plan.unit);
            g.ev(
                &order,
                "received",
                received,
                &received_fields("phone", "consultation", "direct_answer", &extra),
            );
            let rating = ratings.next().expect("rating");
            g.callback(
                &order,
                received + Duration::days(1),
                rating,
                Some(&plan.unit),
                Some(rating != "unsatisfied"),
            );
        }
    }
    assert_eq!(dispatched, completion_total.0, "orders = the table's 合计");
    assert_eq!(
        dispatched,
        GOLMUD_GOV_WEBSITE + GOLMUD_PROVINCIAL + GOLMUD_DISPATCH
    );

    for (i, purpose) in direct_purposes.iter().enumerate() {
        let t = at(2024, 11, 1 + (i % 30) as u32, 8 + (i % 10) as u32, 15);
        let extra = next_labels();
        g.ev(
            &format!("GA{i:05}"),
            "received",
            t,
            &received_fields("phone", purpose, "direct_answer", &extra),
        );
    }
    for i in 0..GOLMUD_INVALID {
        let t = at(2024, 11, 1 + (i % 30) as u32, 20, 0);
        g.ev(
            &format!("GX{i:05}"),
            "received",
            t,
            &received_fields("phone", "other", "invalid", ""),
        );
    }
    let valid_total: i64 = GOLMUD_CATEGORIES.iter().map(|c| c.1).sum();
    assert_eq!(valid, valid_total, "every valid record has its category");
    assert_eq!(
        valid,
        GOLMUD_RECORDS - GOLMUD_INVALID,
        "the overview's counts add up"
    );
    Golmud {
        lines,
        completion,
        completion_total,
        satisfaction,
        satisfaction_total,
        overdue,
        carved,
    }
}
