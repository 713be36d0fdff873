//! The live bulletin against the office's hand-written ones: streams rebuilt from the
//! Golmud (2024-11) and Haikou (2023-01) seed bulletins must render their figures, in
//! their tables; the CLI writes what the library renders; `/report` fails cleanly.

#[path = "common/bulletin.rs"]
mod bulletin;
mod common;

use std::collections::BTreeMap;
use std::process::Command;

use bulletin::*;
use common::http::{fetch, simulated_config, start_service, wait_for_data};
use common::seeds;
use hotline_pulse::report::Format;

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
    assert!(seed.contains("较上月上升 2.52%") && overview.contains("较上月上升 2.52%"));
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
fn haikou_bulletin_reproduces_the_centre_figures_and_unit_lists() {
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
}

#[test]
fn the_cli_writes_what_the_library_renders() {
    let (h, g) = golmud_harness();
    let dir = tempfile::tempdir().expect("temp dir");
    let events = dir.path().join("golmud.jsonl");
    let registry = dir.path().join("units.toml");
    std::fs::write(&events, g.lines.join("\n") + "\n").unwrap();
    std::fs::write(&registry, golmud_registry()).unwrap();
    let replay = |format: &str, out: Option<&std::path::Path>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hotline-pulse"));
        cmd.arg("replay")
            .arg(&events)
            .args(["--report", format, "--month", GOLMUD_MONTH])
            .args(["--as-of", GOLMUD_AS_OF, "--log", "warn"])
            .arg("--unit-registry")
            .arg(&registry);
        if let Some(p) = out {
            cmd.arg("--out").arg(p);
        }
        let output = cmd.output().expect("run hotline-pulse");
        assert!(
            output.status.success(),
            "replay --report {format} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("UTF-8 output")
    };
    let md = replay("md", None);
    assert_eq!(md, render(&h, GOLMUD_MONTH, Format::Markdown));

    let page = dir.path().join("通报.html");
    let stdout = replay("html", Some(&page));
    assert!(stdout.is_empty(), "--out writes the file, not stdout");
    let html = std::fs::read_to_string(&page).expect("the report file");
    assert_eq!(html, render(&h, GOLMUD_MONTH, Format::Html));
    assert!(html.contains("<html lang=\"zh-CN\">"));
}

#[test]
fn report_errors_are_json_messages() {
    let service = start_service(simulated_config(300, (2024, 11)));
    wait_for_data(service.addr);
    // Without a month, the latest retained month (issue 10): not an error.
    assert_eq!(fetch(service.addr, "/report?format=md").0, 200);
    for (path, status) in [
        ("/report?month=2024-13", 400),
        ("/report?month=abc", 400),
        ("/report?month=2024-11&format=pdf", 400),
        ("/report?month=2019-01", 404),
        ("/report?month=2024-11&center=nowhere", 404),
    ] {
        let (got, content_type, body) = fetch(service.addr, path);
        assert_eq!(got, status, "{path}: {body}");
        assert!(
            content_type.starts_with("application/json"),
            "{path}: {content_type}"
        );
        let json: serde_json::Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {body}"));
        let message = json["error"].as_str().unwrap_or("");
        assert!(!message.is_empty(), "{path}: {body}");
    }
    let (status, content_type, body) = fetch(service.addr, "/report?month=2024-11");
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/html; charset=utf-8");
    assert!(body.contains("各单位工单办结率排序表") && body.ends_with("</html>\n"));
    let (status, content_type, body) = fetch(service.addr, "/report?month=2024-11&format=md");
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/markdown; charset=utf-8");
    assert!(body.starts_with("# ") && body.contains("| 序号 | 单位名称 | 工单量 |"));
    service.stop().expect("clean shutdown");
}
