//! Rankings, threshold lists and escaping, on hand-made figures.

use super::*;
use crate::config::Assessment;
use crate::event::TimeZone;
use crate::report::{render, Format, Report};
use crate::view::{
    CentreFigures, ChannelDisposition, MonthFigures, OverdueItem, Ratios, UnitFigures,
};

/// A unit with `assigned` orders of which `completed` are done, and callbacks.
pub(super) fn unit(
    name: &str,
    assigned: i64,
    completed: i64,
    callbacks: (i64, i64),
) -> UnitFigures {
    let a = Assessment::default();
    let (total, satisfied) = callbacks;
    let mut u = UnitFigures {
        unit: name.to_owned(),
        assigned,
        completed,
        completed_on_time: completed,
        overdue: 0,
        returned: 0,
        reopened: 0,
        first_time_resolved: completed,
        late_extensions: 0,
        callbacks: Default::default(),
        consultations: 0,
        consultations_answered_directly: 0,
        handling_time: Default::default(),
        ratios: Ratios {
            completion: ratio(completed as f64, assigned),
            satisfaction: ratio(satisfied as f64, total),
            first_time_resolution: ratio(completed as f64, completed),
            ..Default::default()
        },
        assessed: assigned >= a.min_assigned as i64,
        score: Some(50.0 + assigned as f64),
        open: 0,
        open_overdue: 0,
        due_soon: 0,
    };
    // The callback type is the view's own; its fields are public.
    u.callbacks.satisfied = satisfied;
    u.callbacks.unsatisfied = total - satisfied;
    u.callbacks.total = total;
    u
}

pub(super) fn report(units: Vec<UnitFigures>) -> Report {
    let summary = CentreFigures {
        center: "12345".to_owned(),
        month: "2024-11".to_owned(),
        // 2024-12-12T10:00:00+08:00
        as_of: 1_733_968_800_000,
        records: 10,
        by_channel_disposition: vec![
            ChannelDisposition {
                channel: "gov_website".to_owned(),
                disposition: "dispatch".to_owned(),
                count: 2,
            },
            ChannelDisposition {
                channel: "phone".to_owned(),
                disposition: "dispatch".to_owned(),
                count: 5,
            },
            ChannelDisposition {
                channel: "phone".to_owned(),
                disposition: "invalid".to_owned(),
                count: 3,
            },
        ],
        ..Default::default()
    };
    Report {
        figures: MonthFigures { summary, units },
        overdue: vec![],
        assessment: Assessment::default(),
        tz: TimeZone::CHINA,
        previous: Some(CentreFigures {
            records: 8,
            ..Default::default()
        }),
        analysis: Default::default(),
        incomplete: None,
    }
}

#[test]
fn assessed_units_rank_by_volume_then_name_and_the_rest_follow_unranked() {
    let b = Bulletin::new(&report(vec![
        unit("乙", 36, 36, (0, 0)),
        unit("甲", 36, 35, (0, 0)),
        unit("小", 9, 9, (0, 0)),
        unit("大", 236, 234, (0, 0)),
        unit("零", 0, 0, (3, 3)),
    ]));
    let rows: Vec<(Option<usize>, &str, i64)> = b
        .completion
        .rows
        .iter()
        .map(|r| (r.rank, r.unit.as_str(), r.a))
        .collect();
    assert_eq!(
        rows,
        vec![
            (Some(1), "大", 236),
            (Some(2), "乙", 36),
            (Some(3), "甲", 36),
            (None, "小", 9),
        ],
        "a unit with no orders has no completion row"
    );
    assert_eq!(
        (b.completion.total_a, b.completion.total_b),
        (317, 314),
        "the total sums the rows shown, assessed or not"
    );
    assert_eq!(b.not_assessed, vec!["小".to_owned(), "零".to_owned()]);
}

#[test]
fn the_satisfaction_table_ranks_by_callbacks_and_counts_basically_satisfied() {
    let mut a = unit("甲", 50, 50, (20, 18));
    a.callbacks.basically_satisfied = 1;
    a.callbacks.unsatisfied = 1;
    let b = Bulletin::new(&report(vec![
        a,
        unit("乙", 40, 40, (30, 30)),
        unit("丙", 40, 40, (0, 0)),
        unit("丁", 5, 5, (40, 40)),
    ]));
    let rows: Vec<(Option<usize>, &str, i64, i64)> = b
        .satisfaction
        .rows
        .iter()
        .map(|r| (r.rank, r.unit.as_str(), r.a, r.b))
        .collect();
    assert_eq!(
        rows,
        vec![
            (Some(1), "乙", 30, 30),
            (Some(2), "甲", 20, 19),
            (None, "丁", 40, 40),
        ],
        "units without callbacks have no row; unassessed ones come last whatever their volume"
    );
    assert_eq!((b.satisfaction.total_a, b.satisfaction.total_b), (90, 89));
}

#[test]
fn threshold_lists_hold_assessed_units_only_and_respect_strict_bounds() {
    let b = Bulletin::new(&report(vec![
        unit("满分", 20, 20, (10, 10)),
        unit("刚好", 20, 20, (20, 19)),
        unit("偏低", 20, 20, (20, 18)),
        unit("更低", 20, 20, (10, 5)),
        unit("不考核", 9, 9, (10, 1)),
    ]));
    let sat = &b.rates[0];
    let names = |l: &UnitList| l.units.iter().map(|(u, _)| u.clone()).collect::<Vec<_>>();
    assert_eq!(sat.lists[0].title, "回访满意率达 100% 的单位");
    assert_eq!(names(&sat.lists[0]), vec!["满分"]);
    assert_eq!(sat.lists[1].title, "回访满意率低于 95% 的单位");
    assert_eq!(
        names(&sat.lists[1]),
        vec!["更低", "偏低"],
        "19/20 is exactly 95%, not below; worst first; unassessed units never listed"
    );
    assert_eq!(
        sat.lists[0].units[0].1, None,
        "no ratio beside a 100% entry"
    );
    assert_eq!(sat.lists[1].units[0].1, Some(0.5));
}

#[test]
fn instant_lists_are_above_and_below() {
    let mut units = vec![];
    for (name, direct) in [("高", 19), ("界", 18), ("中", 10), ("低", 7)] {
        let mut u = unit(name, 20, 20, (0, 0));
        u.consultations = 20;
        u.consultations_answered_directly = direct;
        u.ratios.instant_resolution = ratio(direct as f64, 20);
        units.push(u);
    }
    let b = Bulletin::new(&report(units));
    let instant = &b.rates[2];
    assert_eq!(instant.lists[0].title, "即时办结率高于 90% 的单位");
    assert_eq!(instant.lists[0].units.len(), 1, "18/20 = 90% is not above");
    assert_eq!(instant.lists[0].units[0].0, "高");
    assert_eq!(instant.lists[1].title, "即时办结率低于 40% 的单位");
    assert_eq!(instant.lists[1].units[0].0, "低");
}

#[test]
fn the_overview_splits_transfers_by_channel_and_the_rest_by_disposition() {
    let b = Bulletin::new(&report(vec![]));
    let got: Vec<(&str, i64)> = b
        .overview
        .sources
        .iter()
        .map(|s| (s.label.as_str(), s.count))
        .collect();
    assert_eq!(
        got,
        vec![
            ("中国政府网转办", 2),
            ("省州系统转办", 0),
            ("微信端转办", 0),
            ("直接答复", 0),
            ("工单转办", 5),
            ("其他（无效、骚扰、系统测试等）", 3),
        ]
    );
    assert_eq!(b.overview.change, Some(0.25));
    assert_eq!(b.as_of, "2024 年 12 月 12 日 10 时");
}

#[test]
fn data_strings_are_escaped_in_html_and_markdown() {
    let mut r = report(vec![unit("<script>alert(1)</script>", 20, 20, (1, 1))]);
    r.overdue.push(OverdueItem {
        order_id: "HX\"1".to_owned(),
        units: vec!["A&B".to_owned()],
        due_at: Some("2024-11-12 18:00".to_owned()),
        replied_at: None,
        remark: "退回|<img src=x onerror=alert(1)>".to_owned(),
        purpose: None,
        due_at_ms: Some(1_731_405_600_000),
    });
    let page = render(&r, Format::Html);
    assert!(!page.contains("<script>"), "{page}");
    assert!(!page.contains("<img"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("HX&quot;1") && page.contains("A&amp;B"));
    assert!(page.contains("<td class=\"d\">未回复</td>"));
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"zh-CN\">"));
    assert!(page.contains("<meta charset=\"utf-8\">"));
    assert!(!page.contains("http://") && !page.contains("https://"));
    let text = render(&r, Format::Markdown);
    let row = text
        .lines()
        .find(|l| l.contains("HX"))
        .expect("overdue row");
    assert_eq!(
        row.matches(" | ").count() + 2,
        7,
        "a | in a remark must not add a column: {row}"
    );
    assert!(row.contains("| 2024 年 11 月 12 日 | 未回复 |"), "{row}");
}

#[test]
fn other_units_close_the_ranked_group_like_the_golmud_table() {
    let b = Bulletin::new(&report(vec![
        unit("其他单位", 63, 63, (0, 0)),
        unit("甲", 20, 20, (0, 0)),
        unit("乙", 5, 5, (0, 0)),
    ]));
    let rows: Vec<(Option<usize>, &str)> = b
        .completion
        .rows
        .iter()
        .map(|r| (r.rank, r.unit.as_str()))
        .collect();
    assert_eq!(
        rows,
        vec![(Some(1), "甲"), (Some(2), "其他单位"), (None, "乙")]
    );
}
