//! The bulletin's sections, decided once from a month's figures: shares, rankings,
//! threshold lists, the overdue rows and the hot spots. The renderers only lay them out.

use std::cmp::Ordering;

use super::{text, Report};
use crate::config::ScoreWeights;
use crate::units::OTHER_UNITS;
use crate::view::{ratio, CentreFigures, Count, UnitFigures};

/// How many categories and topics the 主要热点 section names.
const HOT_CATEGORIES: usize = 6;
const HOT_TOPICS: usize = 10;

/// Channels the bulletins list as transfers (转办), in their order; every other
/// channel's records are split by disposition instead (the Golmud overview).
const TRANSFERS: [(&str, &str); 3] = [
    ("gov_website", "中国政府网转办"),
    ("provincial", "省州系统转办"),
    ("wechat", "微信端转办"),
];
const DISPOSITIONS: [(&str, &str); 3] = [
    ("direct_answer", "直接答复"),
    ("dispatch", "工单转办"),
    ("invalid", "其他（无效、骚扰、系统测试等）"),
];

/// A count with its share of a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    pub label: String,
    pub count: i64,
    pub share: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    pub records: i64,
    pub days: u32,
    pub daily_average: Option<i64>,
    /// Relative change against the previous month's records.
    pub change: Option<f64>,
    /// Transfers by channel, then the remaining records by disposition.
    pub sources: Vec<Share>,
    pub dispatched: i64,
    pub completed: i64,
    pub completion: Option<f64>,
    pub overdue: i64,
    pub units_total: usize,
    pub units_assessed: usize,
}

/// One of the 三率: the centre's figure and the unit lists around it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    pub title: &'static str,
    pub summary: String,
    pub lists: Vec<UnitList>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnitList {
    pub title: String,
    /// Units with their ratio; the ratio is shown for threshold lists only.
    pub units: Vec<(String, Option<f64>)>,
}

/// A ranking-table row; `rank` is `None` for units that are not assessed.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub rank: Option<usize>,
    pub unit: String,
    pub a: i64,
    pub b: i64,
    pub ratio: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub rows: Vec<Row>,
    pub total_a: i64,
    pub total_b: i64,
    pub total_ratio: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OverdueRow {
    pub order_id: String,
    pub units: String,
    pub due: String,
    pub replied: String,
    pub remark: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub rank: usize,
    pub unit: String,
    pub score: f64,
}

/// Everything the bulletin prints, in section order.
#[derive(Debug, Clone, PartialEq)]
pub struct Bulletin {
    pub title: String,
    /// "2024 年 11 月"
    pub month: String,
    /// The as-of time, "2024 年 12 月 12 日 10 时".
    pub as_of: String,
    pub overview: Overview,
    pub valid_records: i64,
    pub purposes: Vec<Share>,
    pub categories: Vec<Share>,
    pub rates: Vec<Rate>,
    pub min_assigned: u64,
    pub not_assessed: Vec<String>,
    pub completion: Table,
    pub satisfaction: Table,
    pub overdue: Vec<OverdueRow>,
    /// "咨询类办件总量 135879 件，逾期 545 件，占 0.40%" per purpose.
    pub overdue_by_purpose: Vec<(String, i64, i64, Option<f64>)>,
    pub hot_categories: Vec<Share>,
    pub hot_topics: Vec<Share>,
    pub scores: Vec<Scored>,
    pub weights: ScoreWeights,
}

fn share(label: &str, count: i64, whole: i64) -> Share {
    Share {
        label: label.to_owned(),
        count,
        share: ratio(count as f64, whole),
    }
}

fn shares(counts: &[Count], whole: i64) -> Vec<Share> {
    counts
        .iter()
        .map(|c| share(&c.label, c.count, whole))
        .collect()
}

impl Bulletin {
    pub fn new(report: &Report) -> Bulletin {
        let s = &report.figures.summary;
        let units = &report.figures.units;
        let a = &report.assessment;
        let month = s
            .month
            .split_once('-')
            .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
            .map_or_else(|| s.month.clone(), |(y, m)| format!("{y} 年 {m} 月"));
        let name = if s.center.contains("12345") {
            s.center.clone()
        } else {
            format!("{} 12345", s.center)
        };
        let mut not_assessed: Vec<&UnitFigures> = units.iter().filter(|u| !u.assessed).collect();
        not_assessed.sort_by(|x, y| by_volume(x.assigned, y.assigned, &x.unit, &y.unit));
        Bulletin {
            title: format!("{name} 政务服务便民热线月通报（{month}）"),
            month,
            as_of: text::hour(report.tz.local(s.as_of)),
            overview: overview(report),
            valid_records: s.valid_records,
            purposes: purposes(s),
            categories: shares(&s.by_category, s.valid_records),
            rates: super::rates::rates(s, units, a),
            min_assigned: a.min_assigned,
            not_assessed: not_assessed.iter().map(|u| u.unit.clone()).collect(),
            completion: completion_table(units),
            satisfaction: satisfaction_table(units, a.basically_satisfied_weight),
            overdue: overdue_rows(report),
            overdue_by_purpose: s
                .overdue_by_purpose
                .iter()
                .filter(|o| o.records > 0 || o.overdue > 0)
                .map(|o| (format!("{}类", o.label), o.records, o.overdue, o.ratio))
                .collect(),
            hot_categories: shares(&s.by_category, s.valid_records)
                .into_iter()
                .take(HOT_CATEGORIES)
                .collect(),
            hot_topics: shares(&s.by_topic, s.valid_records)
                .into_iter()
                .take(HOT_TOPICS)
                .collect(),
            scores: scores(units),
            weights: a.score_weights.clone(),
        }
    }
}

/// Larger volume first, then by name, so that equal volumes always list the same way.
pub(super) fn by_volume(a: i64, b: i64, name_a: &str, name_b: &str) -> Ordering {
    b.cmp(&a).then_with(|| name_a.cmp(name_b))
}

fn overview(report: &Report) -> Overview {
    let s = &report.figures.summary;
    let cell = |channel: Option<&str>, disposition: Option<&str>| -> i64 {
        s.by_channel_disposition
            .iter()
            .filter(|c| channel.is_none_or(|x| x == c.channel))
            .filter(|c| disposition.is_none_or(|x| x == c.disposition))
            .filter(|c| channel.is_some() || !TRANSFERS.iter().any(|(t, _)| *t == c.channel))
            .map(|c| c.count)
            .sum()
    };
    let sources = TRANSFERS
        .iter()
        .map(|(ch, label)| share(label, cell(Some(ch), None), s.records))
        .chain(
            DISPOSITIONS
                .iter()
                .map(|(d, label)| share(label, cell(None, Some(d)), s.records)),
        )
        .collect();
    Overview {
        records: s.records,
        days: s.days,
        daily_average: s.daily_average.map(|d| d.round() as i64),
        change: report
            .previous_records
            .filter(|&p| p > 0)
            .map(|p| s.records as f64 / p as f64 - 1.0),
        sources,
        dispatched: s.dispatched,
        completed: s.completed,
        completion: s.completion_ratio,
        overdue: s.overdue,
        units_total: s.units_total,
        units_assessed: s.units_assessed,
    }
}

/// 目的分类 as the Golmud bulletin groups it: 其他类 is other and praise together.
fn purposes(s: &CentreFigures) -> Vec<Share> {
    let of = |key: &str| {
        s.by_purpose
            .iter()
            .filter(|c| c.key == key)
            .map(|c| c.count)
            .sum()
    };
    let v = s.valid_records;
    vec![
        share("咨询类", of("consultation"), v),
        share("求助类", of("help"), v),
        share("投诉类", of("complaint"), v),
        share("建议类", of("suggestion"), v),
        share("其他类（其他、表扬等）", of("other") + of("praise"), v),
    ]
}

/// Assessed units ranked by volume, then the others, unranked, in the same order.
/// 其他单位 (the overflow of the unit-label cap, and the bulletins' name for the small
/// fry) is a sum of many units, so it closes its group as in the Golmud table.
fn ranked(mut rows: Vec<(bool, Row)>) -> Vec<Row> {
    rows.sort_by(|(ax, x), (ay, y)| {
        ay.cmp(ax)
            .then_with(|| (x.unit == OTHER_UNITS).cmp(&(y.unit == OTHER_UNITS)))
            .then_with(|| by_volume(x.a, y.a, &x.unit, &y.unit))
    });
    let mut rank = 0;
    rows.into_iter()
        .map(|(assessed, mut row)| {
            if assessed {
                rank += 1;
                row.rank = Some(rank);
            }
            row
        })
        .collect()
}

fn completion_table(units: &[UnitFigures]) -> Table {
    let rows = ranked(
        units
            .iter()
            .filter(|u| u.assigned > 0 || u.completed > 0)
            .map(|u| {
                let row = Row {
                    rank: None,
                    unit: u.unit.clone(),
                    a: u.assigned,
                    b: u.completed,
                    ratio: u.ratios.completion,
                };
                (u.assessed, row)
            })
            .collect(),
    );
    let total_a = rows.iter().map(|r| r.a).sum();
    let total_b = rows.iter().map(|r| r.b).sum();
    Table {
        rows,
        total_a,
        total_b,
        total_ratio: ratio(total_b as f64, total_a),
    }
}

/// 满意工单数量 counts 满意 and 基本满意 (as the bulletins do); the weight of 基本满意
/// applies to the ratio only.
fn satisfaction_table(units: &[UnitFigures], w: f64) -> Table {
    let rated: Vec<&UnitFigures> = units.iter().filter(|u| u.callbacks.total > 0).collect();
    let rows = ranked(
        rated
            .iter()
            .map(|u| {
                let row = Row {
                    rank: None,
                    unit: u.unit.clone(),
                    a: u.callbacks.total,
                    b: u.callbacks.satisfied + u.callbacks.basically_satisfied,
                    ratio: u.ratios.satisfaction,
                };
                (u.assessed, row)
            })
            .collect(),
    );
    let total_a = rated.iter().map(|u| u.callbacks.total).sum();
    let satisfied: i64 = rated.iter().map(|u| u.callbacks.satisfied).sum();
    let basic: i64 = rated.iter().map(|u| u.callbacks.basically_satisfied).sum();
    Table {
        rows,
        total_a,
        total_b: satisfied + basic,
        total_ratio: ratio(satisfied as f64 + w * basic as f64, total_a),
    }
}

fn overdue_rows(report: &Report) -> Vec<OverdueRow> {
    report
        .overdue
        .iter()
        .map(|o| OverdueRow {
            order_id: o.order_id.clone(),
            units: o.units.join(" "),
            due: match o.due_at_ms {
                Some(t) => text::date(report.tz.local(t)),
                None => "—".to_owned(),
            },
            replied: o
                .replied_at
                .as_deref()
                .map(|r| text::date_of_local(r).unwrap_or_else(|| r.to_owned()))
                .unwrap_or_else(|| "未回复".to_owned()),
            remark: o.remark.clone(),
        })
        .collect()
}

fn scores(units: &[UnitFigures]) -> Vec<Scored> {
    let mut v: Vec<(&UnitFigures, f64)> = units
        .iter()
        .filter(|u| u.assessed)
        .filter_map(|u| u.score.map(|s| (u, s)))
        .collect();
    v.sort_by(|(x, sx), (y, sy)| sy.total_cmp(sx).then_with(|| x.unit.cmp(&y.unit)));
    v.into_iter()
        .enumerate()
        .map(|(i, (u, score))| Scored {
            rank: i + 1,
            unit: u.unit.clone(),
            score,
        })
        .collect()
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
