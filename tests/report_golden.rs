//! The live bulletin against the office's hand-written ones: streams rebuilt from the
//! Golmud (2024-11) and Haikou (2023-01) seed bulletins must render their figures, in
//! their tables and sentences (Haikou's analysis, Golmud's month-over-month change, the
//! weekly report of the Golmud overdue list). The CLI and `/report`: report_cli.rs.

#[path = "common/bulletin/mod.rs"]
mod bulletin;
mod common;

use std::collections::BTreeMap;

use bulletin::*;
use chrono::{NaiveDate, NaiveDateTime};
use common::seeds;
use hotline_pulse::report::{self, Format, Week};

fn pct(num: i64, den: i64) -> String {
    // The seed's own rounding (half up, two decimals), written out independently of the
    // renderer: integer basis points.
    let bp = (num * 1_000_000 / den + 50) / 100;
    format!("{}.{:02}%", bp / 100, bp % 100)
}

fn date((y, m, d): (i32, u32, u32)) -> String {
    format!("{y} 年 {m} 月 {d} 日")
}

/// Rows by unit name.
fn by_unit(rows: &[Vec<String>]) -> BTreeMap<String, Vec<String>> {
    rows.iter()
        .filter(|r| r.len() >= 2)
        .map(|r| (r[1].clone(), r.clone()))
        .collect()
}

#[test]
fn golmud_bulletin_reproduces_the_seed_tables() {
    let (h, g) = golmud_harness();
    let md = render(&h, GOLMUD_MONTH, Format::Markdown);
    let seed = seeds::read(seeds::GOLMUD);

    assert!(
        md.contains("截至时间：2024 年 12 月 12 日 10 时"),
        "the as-of time heads the bulletin:\n{md}"
    );

    // Section 一: the overview, shares of all records.
    let overview = section(&md, "一、热线运行总体情况");
    for (label, n) in [
        ("中国政府网转办", GOLMUD_GOV_WEBSITE),
        ("省州系统转办", GOLMUD_PROVINCIAL),
        ("微信端转办", 0),
        ("直接答复", GOLMUD_DIRECT),
        ("工单转办", GOLMUD_DISPATCH),
        ("其他（无效、骚扰、系统测试等）", GOLMUD_INVALID),
    ] {
        let want = format!("{label} {n} 件，占比 {}", pct(n, GOLMUD_RECORDS));
        assert!(overview.contains(&want), "{want} in:\n{overview}");
    }
    assert!(overview.contains(&format!("共计 {GOLMUD_RECORDS} 件")));
    // "较上月上升 2.52%": October's count is the only one that gives 2.52%, and the
    // stream's October holds exactly it.
    let octobers: Vec<i64> = (1000..10_000)
        .filter(|&c| pct(GOLMUD_RECORDS - c, c) == "2.52%")
        .collect();
    assert_eq!(octobers, [GOLMUD_PREVIOUS]);
    let sentence = format!("共计 {GOLMUD_RECORDS} 件，较上月上升 2.52%");
    assert!(seed.contains(&sentence), "the seed says {sentence}");
    assert!(overview.contains(&sentence), "{sentence} in:\n{overview}");
    let trends = hotline_pulse::report::analysis(&build(&h, GOLMUD_MONTH)).trends;
    assert_eq!(trends.previous_month, "2024-10");
    assert_eq!(trends.previous_records, Some(GOLMUD_PREVIOUS));
    let change = trends.records_change.expect("October is retained");
    assert!((change - (4151.0 / 4049.0 - 1.0)).abs() < 1e-12, "{change}");
    // October has no callbacks nor dispatched orders: no trend for the rates.
    assert_eq!(trends.satisfaction_ratio_change, None);
    assert!(
        overview.contains(&format!(
            "日均受理 {} 件（按 30 天计）",
            (GOLMUD_RECORDS + 15) / 30
        )),
        "{overview}"
    );
    let (orders, done) = g.completion_total;
    assert!(seed.contains(&format!(
        "共转派各类工单 {orders} 件，已办结 {done} 件，办结率 99.45%，其中超期工单 41 件"
    )));
    assert!(
        overview.contains(&format!(
            "本月共转派工单 {orders} 件，已办结 {done} 件，办结率 99.45%，其中超期工单 {} 件",
            g.overdue.len()
        )),
        "{overview}"
    );

    // Section 四: every row of the completion table, as printed in the seed.
    let table = md_table(section(&md, "四、各单位工单办结率排序表"));
    let (total, rows) = table.split_last().expect("rows and a 合计 row");
    let rows_by_unit = by_unit(rows);
    let mut want_ranked = vec![];
    for r in &g.completion {
        let unit = golmud_canonical(&r.unit);
        // 其他单位 in the seed also holds the units the overdue list names alone.
        let carved: i64 = if unit == "其他单位" {
            g.carved.iter().map(|c| c.1).sum()
        } else {
            0
        };
        let (a, b) = (r.a - carved, r.b - carved);
        let row = rows_by_unit
            .get(&unit)
            .unwrap_or_else(|| panic!("no row for {unit}:\n{md}"));
        assert_eq!(
            row[2..],
            [a.to_string(), b.to_string(), r.ratio.clone()],
            "{unit}"
        );
        if r.a >= 10 {
            assert!(row[0].parse::<usize>().is_ok(), "{unit} is ranked: {row:?}");
            want_ranked.push((unit, r.a));
        } else {
            assert_eq!(row[0], "不纳入考核", "{unit} has {} orders", r.a);
        }
    }
    for (unit, n) in &g.carved {
        let row = &rows_by_unit[unit];
        assert_eq!(
            row[0..4],
            ["不纳入考核", unit, &n.to_string(), &n.to_string()]
        );
    }
    assert_eq!(rows.len(), g.completion.len() + g.carved.len());
    // Ranked in the seed's order: by orders, 其他单位 last; ties (two units with 36)
    // may come either way, so compare the order counts rank by rank.
    let ranked: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] != "不纳入考核").collect();
    assert_eq!(ranked.len(), want_ranked.len());
    for (i, (row, (unit, n))) in ranked.iter().zip(&want_ranked).enumerate() {
        assert_eq!(row[0], (i + 1).to_string());
        let got = if row[1] == "其他单位" {
            row[2].parse::<i64>().unwrap() + g.carved.iter().map(|c| c.1).sum::<i64>()
        } else {
            row[2].parse().unwrap()
        };
        assert_eq!(got, *n, "rank {} is {} in the seed", i + 1, unit);
    }
    assert_eq!(
        total,
        &vec![
            String::new(),
            "合计".to_owned(),
            orders.to_string(),
            done.to_string(),
            "99.45%".to_owned()
        ]
    );

    // Section 五: the satisfaction table, alias spellings under the canonical names.
    let table = md_table(section(&md, "五、各单位回访满意度排序表"));
    let (total, rows) = table.split_last().expect("rows and a 总计 row");
    assert_eq!(rows.len(), g.satisfaction.len());
    let rows_by_unit = by_unit(rows);
    let orders_of: BTreeMap<String, i64> = g
        .completion
        .iter()
        .map(|r| (golmud_canonical(&r.unit), r.a))
        .collect();
    for r in &g.satisfaction {
        let unit = golmud_canonical(&r.unit);
        let row = &rows_by_unit[&unit];
        assert_eq!(
            row[2..],
            [r.a.to_string(), r.b.to_string(), r.ratio.clone()],
            "{unit}"
        );
        let assessed = orders_of[&unit] >= 10;
        assert_eq!(row[0] != "不纳入考核", assessed, "{unit}: {row:?}");
    }
    let counts: Vec<i64> = rows
        .iter()
        .filter(|r| r[0] != "不纳入考核")
        .map(|r| r[2].parse().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    let (calls, satisfied) = g.satisfaction_total;
    assert_eq!(
        total[1..],
        [
            "总计".to_owned(),
            calls.to_string(),
            satisfied.to_string(),
            "95.28%".to_owned()
        ]
    );
    assert!(seed.contains("回访满意率 95.28%"));
    let rates = section(&md, "三、“三率”情况");
    assert!(
        rates.contains(&format!(
            "回访办件 {calls} 件，回访满意 {satisfied} 件，满意率 95.28%"
        )),
        "{rates}"
    );

    // Units under 10 orders: not ranked, named as not assessed.
    let not_assessed = section(&md, "不纳入考核的单位");
    for r in g.completion.iter().filter(|r| r.a < 10) {
        assert!(
            not_assessed.contains(&r.unit),
            "{} in:\n{not_assessed}",
            r.unit
        );
    }
    for (unit, _) in &g.carved {
        assert!(not_assessed.contains(unit.as_str()));
    }

    // Section 六: all 41 overdue orders with their units, dates and remarks.
    let overdue = section(&md, "六、超期工单一览表");
    assert!(overdue.contains("截至时间：2024 年 12 月 12 日 10 时"));
    let rows = md_table(overdue);
    assert_eq!(rows.len(), g.overdue.len(), "{overdue}");
    assert_eq!(g.overdue.len(), 41);
    for o in &g.overdue {
        let row = rows
            .iter()
            .find(|r| r[1] == o.order_id)
            .unwrap_or_else(|| panic!("{} missing:\n{overdue}", o.order_id));
        assert_eq!(row[2], overdue_units(&o.units).join(" "), "{}", o.order_id);
        assert_eq!(row[3], date(o.due), "{}", o.order_id);
        assert_eq!(row[4], date(o.replied), "{}", o.order_id);
        assert!(row[5].contains(&o.remark), "{}: {row:?}", o.order_id);
    }
    let numbers: Vec<String> = rows.iter().map(|r| r[0].clone()).collect();
    let want: Vec<String> = (1..=rows.len()).map(|i| i.to_string()).collect();
    assert_eq!(numbers, want);

    // Section 二: purposes (the 48 transfers are 其他类 here, see docs/report.md) and
    // categories of the 3896 valid records.
    let valid = GOLMUD_RECORDS - GOLMUD_INVALID;
    let purposes = md_table(section(&md, "（一）目的分类"));
    let transfers = GOLMUD_GOV_WEBSITE + GOLMUD_PROVINCIAL;
    for (label, n) in [
        ("咨询类", 2547),
        ("求助类", 762),
        ("投诉类", 483),
        ("建议类", 19),
        ("其他类（其他、表扬等）", 37 + transfers),
        ("合计", valid),
    ] {
        assert!(
            purposes.contains(&vec![label.to_owned(), n.to_string(), pct(n, valid)]),
            "{label} {n}: {purposes:?}"
        );
    }
    let categories = md_table(section(&md, "（二）诉求分类"));
    for (label, n) in GOLMUD_CATEGORIES {
        assert!(
            categories.contains(&vec![label.to_string(), n.to_string(), pct(*n, valid)]),
            "{label} {n}: {categories:?}"
        );
    }
    assert_eq!(categories[0][0], "政务咨询", "largest first");

    // Section 七: hot spots.
    let hot = section(&md, "七、主要热点");
    assert!(hot.contains("1. 政务咨询：1543 件"), "{hot}");
    assert!(hot.contains("1. 薪资拖欠：304 件"), "{hot}");
}

#[test]
fn haikou_bulletin_reproduces_the_centre_figures_unit_lists_and_analysis() {
    let lists = haikou_lists();
    // The parser read the bulletin's lists (32 units at 100% under two headings).
    assert_eq!(
        [
            lists.satisfaction_full.len(),
            lists.satisfaction_below.len(),
            lists.first_time_full.len(),
            lists.first_time_below.len(),
            lists.instant_above.len(),
            lists.instant_below.len()
        ],
        [32, 3, 3, 5, 5, 5]
    );
    let seed = seeds::read(seeds::HAIKOU);
    let f = &HAIKOU;
    for figure in [
        format!("**{}**", f.callbacks),
        format!("**{}**", f.satisfied),
        format!("**{}**", f.satisfaction),
        format!("**{}**", f.first_time),
        format!("**{}**", f.first_time_ratio),
        format!("**{}**", f.direct),
        format!("**{}**", f.instant),
        format!(
            "共受理热线办件 {} 件，日均受理 {} 件",
            f.records, f.daily_average
        ),
        format!(
            "咨询类办件总量 {} 件，逾期 {} 件，占 {}",
            f.consultations, f.consultations_overdue, f.consultations_overdue_ratio
        ),
        format!(
            "投诉类办件总量 {} 件，逾期 {} 件，占 {}",
            f.complaints, f.complaints_overdue, f.complaints_overdue_ratio
        ),
        format!("成员单位 {} 家，其中有 {} 家", f.units, f.not_assessed),
    ] {
        assert!(
            seed.contains(&figure),
            "the constants say {figure}, the seed does not"
        );
    }

    let started = std::time::Instant::now();
    let h = haikou_harness(&lists);
    let md = render(&h, HAIKOU_MONTH, Format::Markdown);
    eprintln!(
        "Haikou: {} records replayed and rendered in {:?}",
        f.records,
        started.elapsed()
    );

    let overview = section(&md, "一、热线运行总体情况");
    assert!(
        overview.contains(&format!("共计 {} 件", f.records))
            && overview.contains(&format!("日均受理 {} 件（按 31 天计）", f.daily_average)),
        "{overview}"
    );
    let assessed = f.units - f.not_assessed;
    assert!(overview.contains(&format!(
        "应参加考核的成员单位 {} 家，其中有 {} 家成员单位月度总办件量少于 10 件不纳入考核，实际参与考核的成员单位共计 {assessed} 家",
        f.units, f.not_assessed
    )), "{overview}");

    let rates = section(&md, "三、“三率”情况");
    for want in [
        format!(
            "共回访办件 {} 件，回访满意 {} 件，满意率 {}",
            f.callbacks, f.satisfied, f.satisfaction
        ),
        format!(
            "已办结工单 {} 件，一次性办结 {} 件，一次办结率 {}",
            f.completed, f.first_time, f.first_time_ratio
        ),
        format!(
            "有效咨询类办件 {} 件，前台即时办结 {} 件，即时办结率 {}",
            f.consultations, f.direct, f.instant
        ),
        format!(
            "{} 家成员单位月度总办件量少于 10 件不纳入考核",
            f.not_assessed
        ),
    ] {
        assert!(rates.contains(&want), "{want} in:\n{rates}");
    }
    let names = |title: &str| -> Vec<String> {
        let mut v: Vec<String> = md_list(rates, title)
            .into_iter()
            .map(|item| match item.rsplit_once('（') {
                Some((name, r)) if r.ends_with("%）") => name.to_owned(),
                _ => item,
            })
            .collect();
        v.sort();
        v
    };
    let sorted = |l: &[String]| {
        let mut v = l.to_vec();
        v.sort();
        v
    };
    assert_eq!(
        names("回访满意率达 100% 的单位"),
        sorted(&lists.satisfaction_full)
    );
    assert_eq!(
        names("回访满意率低于 95% 的单位"),
        sorted(&lists.satisfaction_below)
    );
    assert_eq!(
        names("一次办结率达 100% 的单位"),
        sorted(&lists.first_time_full)
    );
    assert_eq!(
        names("一次办结率低于 70% 的单位"),
        sorted(&lists.first_time_below)
    );
    assert_eq!(
        names("即时办结率高于 90% 的单位"),
        sorted(&lists.instant_above)
    );
    assert_eq!(
        names("即时办结率低于 40% 的单位"),
        sorted(&lists.instant_below)
    );

    let overdue = section(&md, "六、超期工单一览表");
    for want in [
        format!(
            "咨询类办件总量 {} 件，逾期 {} 件，占 {}",
            f.consultations, f.consultations_overdue, f.consultations_overdue_ratio
        ),
        format!(
            "投诉类办件总量 {} 件，逾期 {} 件，占 {}",
            f.complaints, f.complaints_overdue, f.complaints_overdue_ratio
        ),
    ] {
        assert!(overdue.contains(&want), "{want}");
    }
    assert_eq!(
        md_table(overdue).len() as i64,
        f.consultations_overdue + f.complaints_overdue
    );
    let table = md_table(section(&md, "四、各单位工单办结率排序表"));
    let (total, rows) = table.split_last().unwrap();
    assert_eq!(rows.len(), f.units);
    assert_eq!(
        rows.iter().filter(|r| r[0] == "不纳入考核").count(),
        f.not_assessed
    );
    assert_eq!(total[2], f.completed.to_string());

    haikou_analysis(&h, &md, &seed);
}

/// Section 二 of the Haikou bulletin (数据分析): every figure it prints, rebuilt from
/// events, in its own sentences.
fn haikou_analysis(h: &common::engine::Harness, md: &str, seed: &str) {
    let a = &HAIKOU_ANALYSIS;
    let f = &HAIKOU;
    // The constants are the seed's, and their denominators are what the shares imply.
    assert_eq!(a.unsatisfied, f.callbacks - f.satisfied);
    assert_eq!(
        pct(a.unsatisfied_unresolved, a.unsatisfied),
        a.unsatisfied_share
    );
    assert_eq!(
        pct(a.not_first_time_unresolved, a.not_first_time),
        a.not_first_time_share
    );
    assert_ne!(
        pct(a.not_first_time_unresolved, f.completed - f.first_time),
        a.not_first_time_share,
        "completed − first-time resolved is not the bulletin's denominator"
    );
    let (p1, p2) = (&a.unsatisfied_problems[0], &a.unsatisfied_problems[1]);
    let (q1, q2) = (&a.not_first_time_problems[0], &a.not_first_time_problems[1]);
    let [c1, c2, c3] = a.not_answered_problems;
    let sentences = [
        format!("不满意办件所涉及的主要问题为：{}、{}等。", p1.0, p2.0),
        format!("{}问题共计 {} 件。处理单位：{}。", p1.0, p1.1, p1.2),
        format!("{}问题共计 {} 件。处理单位：{}。", p2.0, p2.1, p2.2),
        format!(
            "其中，回访市民表示问题未得到解决件数有 {} 件，占不满意办件的 {}。",
            a.unsatisfied_unresolved, a.unsatisfied_share
        ),
        format!("未一次性办结涉及的问题主要为：{}问题、{}问题", q1.0, q2.0),
        format!("{}问题共计 {} 件。", q1.0, q1.1),
        format!("{}问题共计 {} 件。", q2.0, q2.1),
        format!(
            "其中，市民诉求未得到解决 {} 件，占未一次办结办件的 {}。",
            a.not_first_time_unresolved, a.not_first_time_share
        ),
        format!("未即时办结件涉及的问题主要为：{c1}、{c2}、{c3}"),
    ];
    // The seed's text has page breaks and spaces where ours has none.
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    let (seed, analysis) = (squeeze(seed), section(md, "“三率”数据分析"));
    for s in &sentences {
        assert!(seed.contains(&squeeze(s)), "the seed says {s}");
        assert!(analysis.contains(s.as_str()), "{s} in:\n{analysis}");
    }
    assert!(analysis.contains(&format!("本月回访不满意办件 {} 件。", a.unsatisfied)));
    assert!(analysis.contains(&format!(
        "未一次办结办件（转派后被退回或重办的工单，含尚未办结的）{} 件。",
        a.not_first_time
    )));

    // 逾期件专项清理: the overdue shares by purpose, and the units named.
    let clearance = section(md, "逾期件专项清理");
    for (purpose, n, late, share) in [
        (
            "咨询类",
            f.consultations,
            f.consultations_overdue,
            f.consultations_overdue_ratio,
        ),
        (
            "投诉类",
            f.complaints,
            f.complaints_overdue,
            f.complaints_overdue_ratio,
        ),
    ] {
        let want = format!("{purpose}办件总量 {n} 件，逾期 {late} 件，占 {share}");
        assert!(
            seed.contains(&squeeze(&want)) && clearance.contains(&want),
            "{want}"
        );
    }
    // The seed's five units, most overdue first, named as the seed names them.
    let named: Vec<&str> = HAIKOU_OVERDUE_UNITS.iter().map(|u| u.0).collect();
    let want = format!("{}等5家热线成员单位逾期办件较多", named.join("、"));
    assert!(seed.contains(&want), "the seed says {want}");
    let mut ours = clearance.to_owned();
    for (unit, consultations, complaints) in HAIKOU_OVERDUE_UNITS {
        let counted = format!("{unit}（{} 件）", consultations + complaints);
        assert!(ours.contains(&counted), "{counted} in:\n{clearance}");
        ours = ours.replace(&counted, unit);
    }
    assert!(squeeze(&ours).contains(&want), "{want} in:\n{clearance}");

    // The same figures in the API's analysis object.
    let api = hotline_pulse::report::analysis(&build(h, HAIKOU_MONTH));
    assert_eq!(
        (
            api.figures.unsatisfied.total,
            api.figures.unsatisfied.unresolved
        ),
        (a.unsatisfied, a.unsatisfied_unresolved)
    );
    assert_eq!(
        (
            api.figures.not_first_time.total,
            api.figures.not_first_time.unresolved
        ),
        (a.not_first_time, a.not_first_time_unresolved)
    );
    let top = &api.figures.unsatisfied.problems[0];
    assert_eq!((top.problem.as_str(), top.count), (p1.0, p1.1));
    assert_eq!(top.units.len(), 1, "only {} handled {}", p1.2, p1.0);
    assert_eq!(
        api.figures.consultations_not_answered.total,
        f.consultations - f.direct
    );
    assert_eq!(api.figures.records_by_day.len(), 31);
    assert_eq!(api.figures.records_by_day.iter().sum::<i64>(), f.records);
    let overdue: i64 = api.overdue_units.iter().map(|u| u.count).sum();
    assert_eq!(overdue, f.consultations_overdue + f.complaints_overdue);
}

/// Local time of a seed date at `hour` (the Golmud stream's deadlines are at 18:00, its
/// replies at 10:00).
fn seed_time((y, m, d): (i32, u32, u32), hour: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(hour, 0, 0))
        .expect("seed date")
}

#[test]
fn the_weekly_report_lists_the_golmud_orders_still_open_past_their_deadline() {
    let (h, g) = golmud_harness();
    let week: Week = "2024-W47".parse().expect("week");
    // The end of the week: Monday 25 November, 0:00.
    let cutoff = seed_time((2024, 11, 25), 0);
    let mut want: Vec<(String, String, String)> = g
        .overdue
        .iter()
        .filter(|o| seed_time(o.due, 18) < cutoff && seed_time(o.replied, 10) > cutoff)
        .map(|o| {
            let late = cutoff - seed_time(o.due, 18);
            let days = (late.num_minutes() + 24 * 60 - 1) / (24 * 60);
            let units = overdue_units(&o.units).join(" ");
            (o.order_id.clone(), units, days.to_string())
        })
        .collect();
    want.sort();
    assert!(
        want.len() >= 3,
        "the seed has orders open over that weekend: {want:?}"
    );

    let r = report::build_week(&h.shared, center(&h), week, h.as_of).expect("a past week");
    let md = report::render_week(&r, Format::Markdown);
    assert!(
        md.contains("逾期未办结工单周通报（2024 年第 47 周）"),
        "{md}"
    );
    assert!(md.contains("统计时段：2024 年 11 月 18 日 至 2024 年 11 月 24 日"));
    assert!(md.contains("截至时间：2024 年 11 月 25 日 0 时"));
    let rows = md_table(section(&md, "二、逾期未办结工单明细"));
    let mut got: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r[1].clone(), r[2].clone(), r[4].clone()))
        .collect();
    let days: Vec<i64> = got.iter().map(|r| r.2.parse().unwrap()).collect();
    assert!(
        days.windows(2).all(|w| w[0] >= w[1]),
        "longest first: {days:?}"
    );
    got.sort();
    assert_eq!(got, want);
    assert!(md.contains(&format!("共有 {} 件工单超过办理期限仍未办结", want.len())));

    // By unit: the unit each order was last sent to; the total counts every order.
    let by_unit = md_table(section(&md, "一、各单位逾期未办结工单"));
    let (total, units) = by_unit.split_last().expect("rows and 合计");
    assert_eq!(total[1..3], ["合计".to_owned(), want.len().to_string()]);
    let mut holders: BTreeMap<String, i64> = BTreeMap::new();
    for (_, units, _) in &want {
        let last = units.rsplit(' ').next().expect("a unit").to_owned();
        *holders.entry(last).or_default() += 1;
    }
    let got: BTreeMap<String, i64> = units
        .iter()
        .map(|r| (r[1].clone(), r[2].parse().unwrap()))
        .collect();
    assert_eq!(got, holders);

    // The week of the as-of time is cut at the as-of time; later weeks have no report.
    let now = report::build_week(&h.shared, center(&h), "2024-W50".parse().unwrap(), h.as_of)
        .expect("the current week");
    assert_eq!(now.as_of, "2024 年 12 月 12 日 10 时");
    assert!(
        report::build_week(&h.shared, center(&h), "2024-W51".parse().unwrap(), h.as_of).is_none()
    );
}
