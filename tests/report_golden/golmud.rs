//! Golmud, November 2024: every table row, the overview, the overdue list.

use std::collections::BTreeMap;

use crate::bulletin::*;
use crate::common::seeds;
use crate::{by_unit, date, pct};
use hotline_pulse::report::Format;

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
