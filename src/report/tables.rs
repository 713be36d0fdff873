//! Every table of the bulletin, defined once as a [`Grid`] (columns, rows, total row)
//! that the Markdown and HTML renderers lay out each in their own way.

use super::model::{Bulletin, Share, Table};
use super::text::pct;
use super::week::WeekReport;
use crate::view::ratio;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A cell: text (left), a number (right-aligned, never wrapped) or a short fixed form
/// that should not wrap (a date, an order id, "不纳入考核").
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Num(String),
    Fixed(String),
}

impl Cell {
    pub fn text(&self) -> &str {
        match self {
            Cell::Text(s) | Cell::Num(s) | Cell::Fixed(s) => s,
        }
    }
}

fn t(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn n(v: impl ToString) -> Cell {
    Cell::Num(v.to_string())
}

fn f(s: impl Into<String>) -> Cell {
    Cell::Fixed(s.into())
}

/// A table, independent of the output format.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// The HTML element's id (tests and styles find tables by it).
    pub id: &'static str,
    /// A narrow table (the HTML does not stretch it to the page width).
    pub narrow: bool,
    /// The HTML caption (the Markdown has the section heading instead).
    pub caption: Option<String>,
    pub head: Vec<(&'static str, Align)>,
    /// Rows; `true` marks a row shown muted (a unit that is not assessed).
    pub rows: Vec<(Vec<Cell>, bool)>,
    /// The total row (合计 / 总计).
    pub foot: Option<Vec<Cell>>,
}

fn shares(id: &'static str, what: &'static str, shares: &[Share], whole: i64) -> Grid {
    use Align::*;
    let sum: i64 = shares.iter().map(|s| s.count).sum();
    Grid {
        id,
        narrow: true,
        caption: None,
        head: vec![(what, Left), ("件数", Right), ("占比", Right)],
        rows: shares
            .iter()
            .map(|s| (vec![t(&s.label), n(s.count), n(pct(s.share))], false))
            .collect(),
        foot: Some(vec![t("合计"), n(sum), n(pct(ratio(sum as f64, whole)))]),
    }
}

pub fn purposes(b: &Bulletin) -> Grid {
    shares("purposes", "目的分类", &b.purposes, b.valid_records)
}

pub fn categories(b: &Bulletin) -> Grid {
    shares("categories", "诉求分类", &b.categories, b.valid_records)
}

fn rank_cell(rank: Option<usize>) -> Cell {
    f(rank.map_or_else(|| "不纳入考核".to_owned(), |r| r.to_string()))
}

fn ranking(
    id: &'static str,
    caption: String,
    t_: &Table,
    head: [&'static str; 5],
    total: &str,
) -> Grid {
    use Align::*;
    Grid {
        id,
        narrow: false,
        caption: Some(caption),
        head: vec![
            (head[0], Right),
            (head[1], Left),
            (head[2], Right),
            (head[3], Right),
            (head[4], Right),
        ],
        rows: t_
            .rows
            .iter()
            .map(|r| {
                let cells = vec![
                    rank_cell(r.rank),
                    t(&r.unit),
                    n(r.a),
                    n(r.b),
                    n(pct(r.ratio)),
                ];
                (cells, r.rank.is_none())
            })
            .collect(),
        foot: Some(vec![
            t(""),
            t(total),
            n(t_.total_a),
            n(t_.total_b),
            n(pct(t_.total_ratio)),
        ]),
    }
}

/// 四、各单位工单办结率排序表.
pub fn completion(b: &Bulletin) -> Grid {
    ranking(
        "completion",
        format!("各单位工单办结率排序表（{}）", b.month),
        &b.completion,
        ["序号", "单位名称", "工单量", "办结量", "办结率"],
        "合计",
    )
}

/// 五、各单位回访满意度排序表.
pub fn satisfaction(b: &Bulletin) -> Grid {
    ranking(
        "satisfaction",
        format!("各单位回访满意度排序表（{}）", b.month),
        &b.satisfaction,
        ["序号", "单位名称", "回访工单数量", "满意工单数量", "满意度"],
        "总计",
    )
}

/// 六、超期工单一览表.
pub fn overdue(b: &Bulletin) -> Grid {
    use Align::*;
    Grid {
        id: "overdue",
        narrow: false,
        caption: None,
        head: vec![
            ("序号", Right),
            ("工单编号", Left),
            ("承办单位", Left),
            ("应回复时间", Left),
            ("实际回复日期", Left),
            ("备注", Left),
        ],
        rows: b
            .overdue
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let cells = vec![
                    n(i + 1),
                    f(&r.order_id),
                    t(&r.units),
                    f(&r.due),
                    f(&r.replied),
                    t(&r.remark),
                ];
                (cells, false)
            })
            .collect(),
        foot: None,
    }
}

/// 附件 1：绩效考核得分明细表.
pub fn scores(b: &Bulletin) -> Grid {
    use Align::*;
    Grid {
        id: "scores-table",
        narrow: false,
        caption: Some(format!("成员单位绩效考核得分明细表（{}）", b.month)),
        head: vec![
            ("序号", Right),
            ("单位名称", Left),
            ("工单量", Right),
            ("办结率", Right),
            ("按时办结率", Right),
            ("回访满意率", Right),
            ("一次办结率", Right),
            ("即时办结率", Right),
            ("综合得分", Right),
        ],
        rows: b
            .scores
            .iter()
            .map(|s| {
                let r = &s.ratios;
                let cells = vec![
                    n(s.rank),
                    t(&s.unit),
                    n(s.assigned),
                    n(pct(r.completion)),
                    n(pct(r.on_time)),
                    n(pct(r.satisfaction)),
                    n(pct(r.first_time_resolution)),
                    n(pct(r.instant_resolution)),
                    n(format!("{:.1}", s.score)),
                ];
                (cells, false)
            })
            .collect(),
        foot: None,
    }
}

/// 附件 2：满意率情况表.
pub fn satisfaction_detail(b: &Bulletin) -> Grid {
    use Align::*;
    let rows = &b.satisfaction_detail;
    let sum = |f: fn(&super::model::SatisfactionRow) -> i64| rows.iter().map(f).sum::<i64>();
    let (total, satisfied, basic, unsatisfied) = (
        sum(|r| r.total),
        sum(|r| r.satisfied),
        sum(|r| r.basically_satisfied),
        sum(|r| r.unsatisfied),
    );
    let w = b.assessment.basically_satisfied_weight;
    Grid {
        id: "satisfaction-detail",
        narrow: false,
        caption: Some(format!("成员单位满意率情况表（{}）", b.month)),
        head: vec![
            ("序号", Right),
            ("单位名称", Left),
            ("回访工单数量", Right),
            ("满意", Right),
            ("基本满意", Right),
            ("不满意", Right),
            ("满意率", Right),
        ],
        rows: rows
            .iter()
            .map(|r| {
                let cells = vec![
                    rank_cell(r.rank),
                    t(&r.unit),
                    n(r.total),
                    n(r.satisfied),
                    n(r.basically_satisfied),
                    n(r.unsatisfied),
                    n(pct(r.ratio)),
                ];
                (cells, r.rank.is_none())
            })
            .collect(),
        foot: Some(vec![
            t(""),
            t("合计"),
            n(total),
            n(satisfied),
            n(basic),
            n(unsatisfied),
            n(pct(ratio(satisfied as f64 + w * basic as f64, total))),
        ]),
    }
}

/// 周通报: long-overdue orders by unit.
pub fn week_units(r: &WeekReport) -> Grid {
    use Align::*;
    Grid {
        id: "week-units",
        narrow: false,
        caption: Some("各单位逾期未办结工单".to_owned()),
        head: vec![
            ("序号", Right),
            ("单位名称", Left),
            ("逾期未办结件数", Right),
            ("最长逾期天数", Right),
        ],
        rows: r
            .units
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let cells = vec![n(i + 1), t(&u.unit), n(u.orders), n(u.longest_days)];
                (cells, false)
            })
            .collect(),
        foot: Some(vec![
            t(""),
            t("合计"),
            n(r.orders.len()),
            n(r.orders.first().map_or(0, |o| o.days)),
        ]),
    }
}

/// 周通报: every long-overdue order, longest first.
pub fn week_orders(r: &WeekReport) -> Grid {
    use Align::*;
    Grid {
        id: "week-orders",
        narrow: false,
        caption: Some("逾期未办结工单明细".to_owned()),
        head: vec![
            ("序号", Right),
            ("工单编号", Left),
            ("承办单位", Left),
            ("应回复时间", Left),
            ("逾期天数", Right),
        ],
        rows: r
            .orders
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let cells = vec![
                    n(i + 1),
                    f(&o.order_id),
                    t(o.units.join(" ")),
                    f(&o.due_date),
                    n(o.days),
                ];
                (cells, false)
            })
            .collect(),
        foot: None,
    }
}
