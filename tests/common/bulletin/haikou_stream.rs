//! The Haikou stream: 228,673 records whose figures are the bulletin's (centre figures,
//! the six unit lists, overdue by purpose, and the analysis of section 二).
//!
//! Every dispatched order is received, dispatched, completed and called back. Per unit,
//! its orders are laid out in this order: consultations naming the unit (instant
//! resolution lists), orders returned once and dispatched again (未一次办结), plain
//! orders, unsatisfied ones last; so the analysed sets never overlap and each takes its
//! problem (topic) from its own sequence. Dispatched consultations are plain orders;
//! the units with the most overdue orders come first, so that they have both
//! consultations and complaints to be late with.

use chrono::Duration;

use super::events::{at, received_fields, Gen};
use super::haikou::{
    haikou_units, HaikouLists, HAIKOU, HAIKOU_ANALYSIS, HAIKOU_NOISE_UNITS, HAIKOU_OVERDUE_UNITS,
};

/// Problems of the unsatisfied callbacks besides the two the bulletin names (each
/// fewer than its 105 噪音扰民).
const UNSATISFIED_OTHER: [&str; 10] = [
    "城市管理",
    "交通出行",
    "市场监管",
    "教育培训",
    "医疗卫生",
    "环境保护",
    "住房保障",
    "劳动保障",
    "水电气暖",
    "道路交通",
];
/// Problems of the orders not resolved the first time besides 物业服务 and 噪音扰民.
const NOT_FIRST_TIME_OTHER: [&str; 20] = [
    "拆迁安置",
    "违章建筑",
    "市政设施",
    "供水",
    "供电",
    "燃气",
    "公交",
    "出租车",
    "养老服务",
    "农贸市场",
    "校外培训",
    "停车管理",
    "绿化养护",
    "占道经营",
    "油烟污染",
    "工程质量",
    "房屋漏水",
    "电梯安全",
    "宠物管理",
    "路灯照明",
];
/// The consultations not answered at the desk: the bulletin's three, then others.
const NOT_ANSWERED: [(&str, i64); 3] = [
    ("社保业务", 6000),
    ("户口身份登记", 4500),
    ("医疗医保", 3500),
];
const NOT_ANSWERED_OTHER: [&str; 6] = [
    "公积金",
    "出入境",
    "税务办理",
    "企业开办",
    "不动产登记",
    "交通违章",
];
/// The seed's 社会治安与综合治理 and 噪音扰民 among unsatisfied callbacks, by unit.
const POLICE: &str = "市公安局";
const NOISE_BY_UNIT: [i64; 3] = [40, 30, 20];
/// Other units with one unsatisfied 噪音扰民 callback each (105 = 40 + 30 + 20 + 15).
const NOISE_ELSEWHERE: i64 = 15;

/// Hands out problems: the named ones with their counts first, then the others in turn.
struct Labels {
    named: Vec<(&'static str, i64)>,
    others: &'static [&'static str],
    n: usize,
}

impl Labels {
    fn new(named: &[(&'static str, i64)], others: &'static [&'static str]) -> Self {
        Labels {
            named: named.to_vec(),
            others,
            n: 0,
        }
    }

    fn next(&mut self) -> &'static str {
        if let Some(first) = self.named.iter_mut().find(|(_, n)| *n > 0) {
            first.1 -= 1;
            return first.0;
        }
        self.n += 1;
        self.others[(self.n - 1) % self.others.len()]
    }
}

/// A countdown: true for the first `n` calls.
struct First(i64);

impl First {
    fn take(&mut self) -> bool {
        self.0 -= 1;
        self.0 >= 0
    }
}

/// Per unit: orders, named consultations (dispatched, answered at the desk), orders not
/// resolved the first time, unsatisfied callbacks with their problems, and the
/// consultations and complaints it answers late (None: from what is left).
struct U {
    name: String,
    orders: i64,
    named: (i64, i64),
    again: i64,
    unsatisfied: Vec<&'static str>,
    late: Option<(First, First)>,
}

fn plan_units(lists: &HaikouLists) -> Vec<U> {
    let f = &HAIKOU;
    let (assessed, small) = haikou_units(lists);
    let has = |l: &[String], u: &str| l.iter().any(|x| x == u);
    let small_total: i64 = small.iter().map(|s| s.1).sum();
    let big_total = f.completed - small_total;
    let n_big = assessed.len() as i64;
    let a = &HAIKOU_ANALYSIS;
    let (police_problem, police_n, _) = a.unsatisfied_problems[0];
    let noise = a.unsatisfied_problems[1].0;
    let mut unsatisfied_other = Labels::new(&[], &UNSATISFIED_OTHER);
    let mut noise_elsewhere = First(NOISE_ELSEWHERE);
    let mut units: Vec<U> = assessed
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let orders = big_total / n_big + i64::from((i as i64) < big_total % n_big);
            let mut unsatisfied: Vec<&'static str> = vec![];
            if let Some(k) = HAIKOU_NOISE_UNITS.iter().position(|u| u == name) {
                unsatisfied.extend(std::iter::repeat_n(noise, NOISE_BY_UNIT[k] as usize));
            } else if name == POLICE {
                unsatisfied.extend(std::iter::repeat_n(police_problem, police_n as usize));
                unsatisfied.extend(std::iter::repeat_n(noise, NOISE_BY_UNIT[2] as usize));
            } else if !has(&lists.satisfaction_full, name) {
                let n = if has(&lists.satisfaction_below, name) {
                    (orders * 8 + 99) / 100
                } else {
                    (orders / 100).max(1)
                };
                for k in 0..n {
                    let label = if k == 0 && noise_elsewhere.take() {
                        noise
                    } else {
                        unsatisfied_other.next()
                    };
                    unsatisfied.push(label);
                }
            }
            let named = if has(&lists.instant_above, name) {
                (5, 95)
            } else if has(&lists.instant_below, name) {
                (70, 30)
            } else {
                (0, 0)
            };
            let again = if has(&lists.first_time_below, name) {
                (orders * 35 + 99) / 100
            } else {
                0
            };
            U {
                name: name.clone(),
                orders,
                named,
                again,
                unsatisfied,
                late: HAIKOU_OVERDUE_UNITS
                    .iter()
                    .find(|u| u.0 == name)
                    .map(|u| (First(u.1), First(u.2))),
            }
        })
        .collect();
    assert!(noise_elsewhere.0 <= 0, "enough units for 噪音扰民");
    let again_left = f.completed - f.first_time - units.iter().map(|u| u.again).sum::<i64>();
    let spread: Vec<usize> = (0..units.len())
        .filter(|&i| {
            !has(&lists.first_time_full, &units[i].name)
                && !has(&lists.first_time_below, &units[i].name)
        })
        .collect();
    for (k, &i) in spread.iter().enumerate() {
        let n = spread.len() as i64;
        let u = &mut units[i];
        u.again = again_left / n + i64::from((k as i64) < again_left % n);
        assert!(u.again >= 1 && u.again * 10 <= u.orders * 3);
    }
    for u in &units {
        let used = u.named.0 + u.again + u.unsatisfied.len() as i64;
        assert!(
            used <= u.orders,
            "{}: {used} of {} orders",
            u.name,
            u.orders
        );
    }
    // Stable: the others keep their order.
    units.sort_by_key(|u| {
        HAIKOU_OVERDUE_UNITS
            .iter()
            .position(|o| o.0 == u.name)
            .unwrap_or(usize::MAX)
    });
    units.extend(small.iter().map(|(name, n)| U {
        name: name.clone(),
        orders: *n,
        named: (0, 0),
        again: 0,
        unsatisfied: vec![],
        late: None,
    }));
    units
}

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
