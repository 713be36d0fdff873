//! Event streams that reproduce the seed bulletins (Golmud 2024-11, Haikou 2023-01) from
//! their own tables and figures, and readers for the rendered Markdown bulletin.
#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use hotline_pulse::event::{parse_timestamp, TimeZone};
use hotline_pulse::report::{self, Format};
use hotline_pulse::source::AsOf;

// Included by the report tests with `#[path]` beside `mod common;` (tests/common/mod.rs
// lists only the helpers every binary may share), hence `crate::common`.
use crate::common::engine::{ev, Harness};
use crate::common::seeds::{self, OverdueRow, Row};

// ---------------------------------------------------------------------------------------
// Writing events.

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(h, min, 0))
        .unwrap_or_else(|| panic!("bad date {y}-{m}-{d} {h}:{min}"))
}

/// Event lines with fresh event ids, handed to a sink (a Vec, or a chunked apply).
struct Gen<'a> {
    n: u64,
    sink: &'a mut dyn FnMut(String),
}

impl Gen<'_> {
    fn ev(&mut self, order: &str, kind: &str, t: NaiveDateTime, fields: &str) {
        self.n += 1;
        let line = ev(
            &format!("e{}", self.n),
            order,
            kind,
            &t.format("%Y-%m-%d %H:%M:%S").to_string(),
            fields,
        );
        (self.sink)(line);
    }

    fn dispatched(&mut self, order: &str, t: NaiveDateTime, unit: &str, due: NaiveDateTime) {
        let due = due.format("%Y-%m-%d %H:%M:%S");
        self.ev(
            order,
            "dispatched",
            t,
            &format!(r#""unit":"{unit}","due_at":"{due}""#),
        );
    }

    fn unit_event(&mut self, order: &str, kind: &str, t: NaiveDateTime, unit: &str) {
        self.ev(order, kind, t, &format!(r#""unit":"{unit}""#));
    }

    fn callback(&mut self, order: &str, t: NaiveDateTime, rating: &str, unit: Option<&str>) {
        let mut f = format!(
            r#""satisfaction":"{rating}","resolved":{}"#,
            rating != "unsatisfied"
        );
        if let Some(u) = unit {
            f.push_str(&format!(r#","unit":"{u}""#));
        }
        self.ev(order, "callback", t, &f);
    }
}

fn received_fields(channel: &str, purpose: &str, disposition: &str, extra: &str) -> String {
    format!(r#""channel":"{channel}","purpose":"{purpose}","disposition":"{disposition}"{extra}"#)
}

/// Cycles through `(label, count)` by index: index `i` gets the label whose cumulative
/// range holds it.
fn nth_label<'a>(table: &[(&'a str, i64)], i: i64) -> Option<&'a str> {
    let mut start = 0;
    for &(label, n) in table {
        if i < start + n {
            return Some(label);
        }
        start += n;
    }
    None
}

// ---------------------------------------------------------------------------------------
// Golmud, November 2024.

pub const GOLMUD_MONTH: &str = "2024-11";
/// The bulletin's 截至时间.
pub const GOLMUD_AS_OF: &str = "2024-12-12T10:00:00+08:00";

/// Section 一 of the bulletin: records by source.
pub const GOLMUD_RECORDS: i64 = 4151;
pub const GOLMUD_GOV_WEBSITE: i64 = 26;
pub const GOLMUD_PROVINCIAL: i64 = 22;
pub const GOLMUD_DIRECT: i64 = 2802;
pub const GOLMUD_DISPATCH: i64 = 1046;
pub const GOLMUD_INVALID: i64 = 255;
/// The bulletin says "较上月上升 2.52%" without October's count; 4049 is the count
/// that gives 2.52% (4151 / 4049 − 1 = 2.519…%).
pub const GOLMUD_PREVIOUS: i64 = 4049;

/// 目的分类 of the phone records (3848 = 2547 + 762 + 483 + 19 + 37), split by us between
/// direct answers and dispatched orders: (purpose, direct answers, dispatched). The
/// bulletin's 37 其他类 are 27 other and 10 praise.
pub const GOLMUD_PURPOSES: &[(&str, i64, i64)] = &[
    ("consultation", 2300, 247),
    ("help", 400, 362),
    ("complaint", 80, 403),
    ("suggestion", 10, 9),
    ("other", 7, 20),
    ("praise", 5, 5),
];
/// The purpose we give the 48 transfers, which the bulletin's 3848 leaves out (its 3896
/// valid records include them): they land in 其他类.
pub const GOLMUD_TRANSFER_PURPOSE: &str = "other";

/// 诉求分类 of the 3896 valid records (section 二（二）); 其他 is written by leaving
/// `category` out.
pub const GOLMUD_CATEGORIES: &[(&str, i64)] = &[
    ("政务咨询", 1543),
    ("公共服务", 630),
    ("社会事业", 557),
    ("城乡建设", 372),
    ("交通运输", 364),
    ("市场监管", 146),
    ("其他", 284),
];
/// Hot topics (section 三 names 薪资拖欠 304; the other two are ours).
pub const GOLMUD_TOPICS: &[(&str, i64)] = &[("薪资拖欠", 304), ("供暖", 156), ("物业服务", 98)];

/// Spellings of the Golmud bulletin that name one unit (as in deploy/config/units.toml).
pub const GOLMUD_ALIASES: &[(&str, &str)] = &[
    ("卫生健康委员会", "市卫生健康委员会"),
    ("人力资源和社会保障", "市人力资源和社会保障局"),
    ("昆仑经济技术开发区 管委会", "昆仑经济技术开发区管委会"),
];

/// The unit registry the Golmud stream is replayed with.
pub fn golmud_registry() -> String {
    let mut by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (alias, name) in GOLMUD_ALIASES {
        by.entry(name).or_default().push(alias);
    }
    by.iter()
        .map(|(name, aliases)| {
            let list: Vec<String> = aliases.iter().map(|a| format!("{a:?}")).collect();
            format!(
                "[[unit]]\nname = {name:?}\naliases = [{}]\n\n",
                list.join(", ")
            )
        })
        .collect()
}

/// The canonical name of a Golmud spelling.
pub fn golmud_canonical(name: &str) -> String {
    GOLMUD_ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, canonical)| canonical)
        .to_owned()
}

/// The units of an overdue row's 承办单位 cell (space-separated, except where a PDF line
/// break split one name: those are registry aliases).
pub fn overdue_units(cell: &str) -> Vec<String> {
    if GOLMUD_ALIASES.iter().any(|(alias, _)| *alias == cell) {
        return vec![golmud_canonical(cell)];
    }
    cell.split_whitespace().map(golmud_canonical).collect()
}

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

/// Reads the seed and builds the stream: every order of the two ranking tables, the 41
/// overdue orders among them, the direct answers and invalid records of the overview,
/// and October's records (for "较上月").
pub fn golmud() -> Golmud {
    let text = seeds::read(seeds::GOLMUD);
    let (completion, completion_total) = seeds::table(&text, "各单位工单办结率排序表");
    let (satisfaction, satisfaction_total) = seeds::table(&text, "各单位回访满意度排序表");
    let overdue = seeds::golmud_overdue(&text);

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
    for r in &satisfaction {
        let unit = golmud_canonical(&r.unit);
        let plan = plans
            .iter_mut()
            .find(|p| p.unit == unit)
            .unwrap_or_else(|| panic!("{unit} rated but has no orders"));
        plan.callbacks = r.a;
        plan.satisfied = r.b;
        plan.spelling = (r.unit != unit).then(|| r.unit.clone());
    }

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
                g.callback(&order, done + Duration::days(1), rating, cb_unit);
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

/// The as-of time of a fixed timestamp.
pub fn as_of(ts: &str) -> AsOf {
    AsOf::Fixed(parse_timestamp(ts, TimeZone::CHINA).expect("timestamp"))
}

/// The Golmud stream replayed with the unit registry, as of the bulletin's 截至时间.
pub fn golmud_harness() -> (Harness, Golmud) {
    let g = golmud();
    let mut h = Harness::with_registry(&golmud_registry());
    h.apply_as_of(&g.lines, as_of(GOLMUD_AS_OF));
    (h, g)
}

/// The bulletin of `month` rendered in-process.
pub fn render(h: &Harness, month: &str, format: Format) -> String {
    let r = report::build(
        &h.agg(),
        &h.shared.config,
        &h.shared.config.default_center,
        month.parse().expect("month"),
        h.as_of,
        &h.assessment,
    )
    .unwrap_or_else(|| panic!("no report for {month}"));
    report::render(&r, format)
}

// ---------------------------------------------------------------------------------------
// Haikou, January 2023.

pub const HAIKOU_MONTH: &str = "2023-01";
/// Any time after the month: the bulletin covers the whole of January.
pub const HAIKOU_AS_OF: &str = "2023-02-10T10:00:00+08:00";

/// The centre figures of the Haikou bulletin.
pub struct HaikouFigures {
    pub records: i64,
    pub daily_average: i64,
    pub callbacks: i64,
    pub satisfied: i64,
    pub satisfaction: &'static str,
    pub first_time: i64,
    pub first_time_ratio: &'static str,
    /// Not printed: 82426 / 86.71% (the only count that gives both).
    pub completed: i64,
    pub direct: i64,
    pub instant: &'static str,
    pub consultations: i64,
    pub consultations_overdue: i64,
    pub consultations_overdue_ratio: &'static str,
    pub complaints: i64,
    pub complaints_overdue: i64,
    pub complaints_overdue_ratio: &'static str,
    pub units: usize,
    pub not_assessed: usize,
}

pub const HAIKOU: HaikouFigures = HaikouFigures {
    records: 228_673,
    daily_average: 7377,
    callbacks: 101_592,
    satisfied: 99_809,
    satisfaction: "98.24%",
    first_time: 82_426,
    first_time_ratio: "86.71%",
    completed: 95_060,
    direct: 110_698,
    instant: "81.47%",
    consultations: 135_879,
    consultations_overdue: 545,
    consultations_overdue_ratio: "0.40%",
    complaints: 47_676,
    complaints_overdue: 657,
    complaints_overdue_ratio: "1.38%",
    units: 87,
    not_assessed: 25,
};

/// The unit lists of the Haikou bulletin's section (二).
#[derive(Debug, Clone, Default)]
pub struct HaikouLists {
    pub satisfaction_full: Vec<String>,
    pub satisfaction_below: Vec<String>,
    pub first_time_full: Vec<String>,
    pub first_time_below: Vec<String>,
    pub instant_above: Vec<String>,
    pub instant_below: Vec<String>,
}

/// Items of the lists under every heading that contains `title` ("1. 名称" or
/// "- 1、名称"), up to the next heading.
fn seed_list(text: &str, title: &str) -> Vec<String> {
    let mut out = vec![];
    let mut active = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') {
            active = line.contains(title);
            continue;
        }
        if !active {
            continue;
        }
        let item = line.trim_start_matches("- ");
        let Some(pos) = item.find(['.', '、']) else {
            continue;
        };
        if item[..pos].chars().all(|c| c.is_ascii_digit()) && pos > 0 {
            let sep = item[pos..].chars().next().map_or(1, char::len_utf8);
            out.push(item[pos + sep..].trim().to_owned());
        }
    }
    out
}

pub fn haikou_lists() -> HaikouLists {
    let text = seeds::read(seeds::HAIKOU);
    HaikouLists {
        satisfaction_full: seed_list(&text, "回访满意率达 100%"),
        satisfaction_below: seed_list(&text, "回访满意率低于 95%"),
        first_time_full: seed_list(&text, "一次办结率达 100%"),
        first_time_below: seed_list(&text, "一次办结率低于 70%"),
        instant_above: seed_list(&text, "即时办结率高于 90%"),
        instant_below: seed_list(&text, "即时办结率低于 40%"),
    }
}

/// The assessed units: every unit the lists name, then fillers (the bulletin names 43 of
/// its 62 assessed units); and the 25 units under 10 orders with their counts.
pub fn haikou_units(lists: &HaikouLists) -> (Vec<String>, Vec<(String, i64)>) {
    let mut assessed: Vec<String> = vec![];
    for l in [
        &lists.satisfaction_full,
        &lists.satisfaction_below,
        &lists.first_time_full,
        &lists.first_time_below,
        &lists.instant_above,
        &lists.instant_below,
    ] {
        for u in l {
            if !assessed.contains(u) {
                assessed.push(u.clone());
            }
        }
    }
    let want = HAIKOU.units - HAIKOU.not_assessed;
    assert!(assessed.len() <= want, "{} named units", assessed.len());
    for i in assessed.len()..want {
        assessed.push(format!("成员单位{:02}", i + 1));
    }
    let small = (0..HAIKOU.not_assessed)
        .map(|i| (format!("联系单位{:02}", i + 1), (i % 9) as i64 + 1))
        .collect();
    (assessed, small)
}

/// Generates the Haikou stream into `sink`: 545,653 events, the fewest that give the
/// bulletin's figures (a desk answer is one `received`; a dispatched order is received,
/// dispatched, completed and called back; an order that was not resolved the first time
/// adds a return and a new dispatch).
pub fn haikou_stream(lists: &HaikouLists, sink: &mut dyn FnMut(String)) {
    let f = &HAIKOU;
    let (assessed, small) = haikou_units(lists);
    let has = |l: &[String], u: &str| l.iter().any(|x| x == u);
    let small_total: i64 = small.iter().map(|s| s.1).sum();
    let big_total = f.completed - small_total;
    let n_big = assessed.len() as i64;

    // Per unit: orders, not-first-time orders, unsatisfied callbacks, named
    // consultations (dispatched, answered at the desk).
    struct U {
        name: String,
        orders: i64,
        again: i64,
        unsatisfied: i64,
        named: (i64, i64),
    }
    let mut units: Vec<U> = assessed
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let orders = big_total / n_big + i64::from((i as i64) < big_total % n_big);
            let unsatisfied = if has(&lists.satisfaction_full, name) {
                0
            } else if has(&lists.satisfaction_below, name) {
                (orders * 8 + 99) / 100
            } else {
                (orders / 50).max(1)
            };
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
                again,
                unsatisfied,
                named,
            }
        })
        .collect();
    let again_left = f.completed - f.first_time - units.iter().map(|u| u.again).sum::<i64>();
    let spread: Vec<usize> = (0..units.len())
        .filter(|&i| {
            !has(&lists.first_time_full, &units[i].name)
                && !has(&lists.first_time_below, &units[i].name)
        })
        .collect();
    for (k, &i) in spread.iter().enumerate() {
        let n = spread.len() as i64;
        units[i].again = again_left / n + i64::from((k as i64) < again_left % n);
        assert!(units[i].again >= 1 && units[i].again * 10 <= units[i].orders * 3);
    }
    units.extend(small.iter().map(|(name, n)| U {
        name: name.clone(),
        orders: *n,
        again: 0,
        unsatisfied: 0,
        named: (0, 0),
    }));

    let unsatisfied_total = f.callbacks - f.satisfied;
    let desk_callbacks = f.callbacks - f.completed;
    let desk_unsatisfied = unsatisfied_total - units.iter().map(|u| u.unsatisfied).sum::<i64>();
    assert!((0..=desk_callbacks).contains(&desk_unsatisfied));

    let mut g = Gen { n: 0, sink };
    let mut k = 0i64;
    let received = |k: i64| at(2023, 1, 1 + (k % 31) as u32, 8 + (k % 10) as u32, 0);
    let named_dispatched: i64 = units.iter().map(|u| u.named.0).sum();
    let mut free_consult = f.consultations - f.direct - named_dispatched;
    let mut complaints = f.complaints;
    let mut consult_late = f.consultations_overdue;
    let mut complaint_late = f.complaints_overdue;
    for u in &units {
        for j in 0..u.orders {
            let order = format!("HK{k}");
            let t = received(k);
            k += 1;
            let (purpose, named) = if j < u.named.0 {
                ("consultation", true)
            } else if free_consult > 0 {
                free_consult -= 1;
                ("consultation", false)
            } else if complaints > 0 {
                complaints -= 1;
                ("complaint", false)
            } else {
                ("help", false)
            };
            let late = match purpose {
                "consultation" if consult_late > 0 => {
                    consult_late -= 1;
                    true
                }
                "complaint" if complaint_late > 0 => {
                    complaint_late -= 1;
                    true
                }
                _ => false,
            };
            let extra = if named {
                format!(r#","unit":"{}""#, u.name)
            } else {
                String::new()
            };
            g.ev(
                &order,
                "received",
                t,
                &received_fields("phone", purpose, "dispatch", &extra),
            );
            let due = t + Duration::days(5) + Duration::hours(10);
            g.dispatched(&order, t + Duration::minutes(30), &u.name, due);
            if j < u.again {
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
            let rating = if j < u.unsatisfied {
                "unsatisfied"
            } else if j % 7 == 6 {
                "basically_satisfied"
            } else {
                "satisfied"
            };
            g.callback(&order, done + Duration::days(1), rating, None);
        }
    }
    assert_eq!(
        (free_consult, complaints, consult_late, complaint_late),
        (0, 0, 0, 0)
    );

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
        let extra = unit.map_or_else(String::new, |u| format!(r#","unit":"{u}""#));
        g.ev(
            &order,
            "received",
            t,
            &received_fields("phone", "consultation", "direct_answer", &extra),
        );
        if i < desk_callbacks {
            let rating = if i < desk_unsatisfied {
                "unsatisfied"
            } else {
                "satisfied"
            };
            g.callback(&order, t + Duration::days(1), rating, None);
        }
    }
    // The rest of the records: help answered at the desk and invalid calls.
    let rest = f.records - f.completed - f.direct;
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

/// The Haikou stream replayed (in chunks, to bound memory) as of after the month.
pub fn haikou_harness(lists: &HaikouLists) -> Harness {
    let mut h = Harness::new();
    let as_of = as_of(HAIKOU_AS_OF);
    let mut chunk: Vec<String> = Vec::with_capacity(100_000);
    let flush = |h: &mut Harness, chunk: &mut Vec<String>| {
        h.apply_as_of(chunk, as_of);
        chunk.clear();
    };
    {
        let mut sink = |line: String| {
            chunk.push(line);
            if chunk.len() == 100_000 {
                flush(&mut h, &mut chunk);
            }
        };
        haikou_stream(lists, &mut sink);
    }
    flush(&mut h, &mut chunk);
    h
}

// ---------------------------------------------------------------------------------------
// Reading the rendered Markdown.

fn heading_level(line: &str) -> Option<usize> {
    let n = line.chars().take_while(|&c| c == '#').count();
    (n > 0 && line[n..].starts_with(' ')).then_some(n)
}

/// The section under the first heading that contains `title`, up to the next heading of
/// the same or a higher level (the heading line included).
pub fn section<'a>(md: &'a str, title: &str) -> &'a str {
    let mut start = None;
    let mut level = 0;
    let mut offset = 0;
    for line in md.split_inclusive('\n') {
        if let Some(l) = heading_level(line) {
            match start {
                None if line.contains(title) => {
                    start = Some(offset);
                    level = l;
                }
                Some(s) if l <= level => return &md[s..offset],
                _ => {}
            }
        }
        offset += line.len();
    }
    match start {
        Some(s) => &md[s..],
        None => panic!("no heading with {title:?} in:\n{md}"),
    }
}

/// Cells of a Markdown table row, split at unescaped `|` and unescaped.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|');
    let mut out = vec![];
    let mut cur = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '|' => out.push(std::mem::take(&mut cur).trim().to_owned()),
            c => cur.push(c),
        }
    }
    out
}

/// The body rows of the first Markdown table in `text` (header and rule left out).
pub fn md_table(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(cells)
        .collect()
}

/// Items of the numbered list under the `####` heading containing `title` in `text`.
pub fn md_list(text: &str, title: &str) -> Vec<String> {
    section(text, title)
        .lines()
        .skip(1)
        .filter_map(|l| {
            let (n, rest) = l.split_once(". ")?;
            n.chars()
                .all(|c| c.is_ascii_digit())
                .then(|| rest.to_owned())
        })
        .collect()
}
