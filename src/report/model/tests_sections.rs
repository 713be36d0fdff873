//! The sections added to the seven of the spec: the analysis, the trends, the overdue
//! clearance and the appendices; and the tables' one model laid out twice.

use super::tests::{report, unit};
use super::*;
use crate::report::{prose, render, tables, Format};

/// (problem, count, [(unit, count)]).
type Spec<'a> = (&'a str, i64, &'a [(&'a str, i64)]);

fn problems(list: &[Spec]) -> crate::view::ProblemFigures {
    use crate::view::{ProblemCount, ProblemFigures, UnitCount};
    ProblemFigures {
        total: list.iter().map(|p| p.1).sum(),
        unresolved: 3,
        unresolved_ratio: Some(0.25),
        problems: list
            .iter()
            .map(|(p, n, units)| ProblemCount {
                problem: p.to_string(),
                count: *n,
                units: units
                    .iter()
                    .map(|(u, c)| UnitCount {
                        unit: u.to_string(),
                        count: *c,
                    })
                    .collect(),
            })
            .collect(),
    }
}

#[test]
fn the_analysis_names_the_main_problems_and_their_units_but_never_the_catch_all() {
    let mut r = report(vec![]);
    r.analysis.unsatisfied = problems(&[
        ("其他", 50, &[]),
        ("社会治安与综合治理", 9, &[("市公安局", 9)]),
        ("噪音扰民", 4, &[("甲", 1), ("乙", 1), ("丙", 1), ("丁", 1)]),
        ("物业服务", 2, &[]),
    ]);
    r.analysis.not_first_time = problems(&[("物业服务", 5, &[]), ("噪音扰民", 4, &[])]);
    let b = Bulletin::new(&r);
    let f = &b.analysis.unsatisfied;
    let labels: Vec<&str> = f.main.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(
        labels,
        ["社会治安与综合治理", "噪音扰民"],
        "其他 is no problem"
    );
    assert!(f.more, "物业服务 is left out");
    assert_eq!(f.main[1].units, ["甲", "乙", "丙"]);
    assert!(f.main[1].more_units && !f.main[0].more_units);
    let text = prose::unsatisfied(&b).join("\n");
    for want in [
        "本月回访不满意办件 65 件。不满意办件所涉及的主要问题为：社会治安与综合治理、噪音扰民等。",
        "社会治安与综合治理问题共计 9 件。处理单位：市公安局。",
        "噪音扰民问题共计 4 件。处理单位：甲、乙、丙等。",
        "其中，回访市民表示问题未得到解决件数有 3 件，占不满意办件的 25.00%。",
    ] {
        assert!(text.contains(want), "{want} in:\n{text}");
    }
    let text = prose::not_first_time(&b).join("\n");
    assert!(
        text.contains("未一次性办结涉及的问题主要为：物业服务问题、噪音扰民问题。"),
        "{text}"
    );
    assert!(text.contains("占未一次办结办件的 25.00%"), "{text}");
    assert_eq!(
        prose::not_answered(&b),
        ["本月有效咨询类办件均已前台即时办结。"]
    );
}

#[test]
fn the_three_rates_compare_with_the_previous_month_in_points() {
    let mut r = report(vec![]);
    r.figures.summary.satisfaction_ratio = Some(0.9824);
    r.figures.summary.first_time_resolution_ratio = Some(0.85);
    if let Some(p) = r.previous.as_mut() {
        p.satisfaction_ratio = Some(0.9794);
        p.first_time_resolution_ratio = Some(0.86);
    }
    let b = Bulletin::new(&r);
    let text = prose::rate(&b.rates[0]);
    assert!(
        text.contains("满意率 98.24%，较上月上升 0.30 个百分点。"),
        "{text}"
    );
    let text = prose::rate(&b.rates[1]);
    assert!(
        text.contains("一次办结率 85.00%，较上月下降 1.00 个百分点。"),
        "{text}"
    );
    assert_eq!(b.rates[2].change, None, "no ratio this month, no trend");
    r.previous = None;
    let b = Bulletin::new(&r);
    assert!(b.rates.iter().all(|x| x.change.is_none()) && b.overview.change.is_none());
}

#[test]
fn the_overdue_clearance_names_the_units_with_the_most_overdue_orders() {
    let mut units = vec![];
    for (i, name) in ["甲", "乙", "丙", "丁", "戊", "己"].iter().enumerate() {
        let mut u = unit(name, 20, 20, (0, 0));
        u.overdue = [3, 5, 5, 1, 2, 4][i];
        units.push(u);
    }
    let b = Bulletin::new(&report(units));
    let order: Vec<(&str, i64)> = b
        .overdue_units
        .iter()
        .map(|(u, n)| (u.as_str(), *n))
        .collect();
    assert_eq!(
        order,
        [
            ("丙", 5),
            ("乙", 5),
            ("己", 4),
            ("甲", 3),
            ("戊", 2),
            ("丁", 1)
        ],
        "most first, ties by name"
    );
    let s = prose::overdue_units(&b);
    assert!(
        s.starts_with("丙（5 件）、乙（5 件）、己（4 件）、甲（3 件）、戊（2 件）等 5 家热线成员单位逾期办件较多。"),
        "{s}"
    );
}

#[test]
fn the_appendices_rank_scores_with_their_ratios_and_satisfaction() {
    let mut a = unit("甲", 30, 30, (10, 9));
    a.score = Some(90.0);
    let mut b_ = unit("乙", 30, 30, (10, 10));
    b_.score = Some(95.0);
    let c = unit("丙", 5, 5, (4, 4));
    let b = Bulletin::new(&report(vec![a, b_, c]));
    let scores: Vec<(usize, &str)> = b.scores.iter().map(|s| (s.rank, s.unit.as_str())).collect();
    assert_eq!(
        scores,
        [(1, "乙"), (2, "甲")],
        "assessed units only, best first"
    );
    assert_eq!(b.scores[1].ratios.satisfaction, Some(0.9));
    let sat: Vec<(Option<usize>, &str)> = b
        .satisfaction_detail
        .iter()
        .map(|r| (r.rank, r.unit.as_str()))
        .collect();
    assert_eq!(sat, [(Some(1), "乙"), (Some(2), "甲"), (None, "丙")]);
    let md = render(&report(vec![]), Format::Markdown);
    assert!(md.contains("## 附件 1：成员单位绩效考核得分明细表（2024 年 11 月）"));
    assert!(md.contains("## 附件 2：成员单位满意率情况表（2024 年 11 月）"));
}

#[test]
fn every_table_is_one_grid_laid_out_twice() {
    let r = report(vec![unit("甲", 30, 29, (10, 9)), unit("乙", 5, 5, (0, 0))]);
    let b = Bulletin::new(&r);
    let md = render(&r, Format::Markdown);
    let html = render(&r, Format::Html);
    for g in [
        tables::completion(&b),
        tables::satisfaction(&b),
        tables::scores(&b),
        tables::satisfaction_detail(&b),
    ] {
        let at = html
            .find(&format!("<table id=\"{}\"", g.id))
            .unwrap_or_else(|| panic!("no table {} in the page", g.id));
        let table = &html[at..at + html[at..].find("</table>").expect("end")];
        for cells in g.rows.iter().map(|(c, _)| c).chain(g.foot.iter()) {
            let md_row = format!(
                "| {} |",
                cells
                    .iter()
                    .map(|c| c.text())
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
            assert!(md.contains(&md_row), "{md_row} in the Markdown");
            let html_row: String = cells
                .iter()
                .map(|c| format!("<td>{}</td>", c.text()))
                .collect();
            let plain = table
                .replace("<td class=\"n\">", "<td>")
                .replace("<td class=\"d\">", "<td>");
            assert!(plain.contains(&html_row), "{html_row} in the page");
        }
    }
}
