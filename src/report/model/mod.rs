//! The bulletin's sections, decided once from a month's figures: shares, rankings,
//! threshold lists, the analysis, the overdue rows, hot spots and appendices. The
//! renderers only lay them out.

mod analysis;
mod rank;

use std::cmp::Ordering;

pub use analysis::{Analysis, Finding};
pub use rank::{SatisfactionRow, Scored};

use super::{text, Report};
use crate::config::Assessment;
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
    /// The centre's figures up to the ratio ("…满意率 98.24%"), without the trend.
    pub summary: String,
    /// A remark after the summary sentence (how 基本满意 is weighted).
    pub note: Option<String>,
    /// The centre's ratio.
    pub ratio: Option<f64>,
    /// Against the previous month, in ratio units (0.003 = 0.30 个百分点).
    pub change: Option<f64>,
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

/// Everything the bulletin prints, in section order.
#[derive(Debug, Clone, PartialEq)]
pub struct Bulletin {
    pub title: String,
    /// "2024 年 11 月"
    pub month: String,
    /// The as-of time, "2024 年 12 月 12 日 10 时".
    pub as_of: String,
    pub overview: Overview,
    /// Records per day of the month (the HTML's chart).
    pub records_by_day: Vec<i64>,
    pub valid_records: i64,
    pub purposes: Vec<Share>,
    pub categories: Vec<Share>,
    pub rates: Vec<Rate>,
    pub not_assessed: Vec<String>,
    /// 数据分析 of the three rates.
    pub analysis: Analysis,
    pub completion: Table,
    pub satisfaction: Table,
    pub overdue: Vec<OverdueRow>,
    /// "咨询类办件总量 135879 件，逾期 545 件，占 0.40%" per purpose.
    pub overdue_by_purpose: Vec<(String, i64, i64, Option<f64>)>,
    /// Units with overdue orders (超期工单), most first, ties by name.
    pub overdue_units: Vec<(String, i64)>,
    pub hot_categories: Vec<Share>,
    pub hot_topics: Vec<Share>,
    /// 附件 1: assessed units by score, with the ratios the score is made of.
    pub scores: Vec<Scored>,
    /// 附件 2: every unit with callbacks, by satisfaction.
    pub satisfaction_detail: Vec<SatisfactionRow>,
    pub assessment: Assessment,
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

/// "2024 年 11 月" from "2024-11".
pub(super) fn month_label(month: &str) -> String {
    month
        .split_once('-')
        .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
        .map_or_else(|| month.to_owned(), |(y, m)| format!("{y} 年 {m} 月"))
}

/// "海口 12345" / "12345": the centre as the titles name it.
pub(super) fn centre_name(center: &str) -> String {
    if center.contains("12345") {
        center.to_owned()
    } else {
        format!("{center} 12345")
    }
}

impl Bulletin {
    pub fn new(report: &Report) -> Bulletin {
        let s = &report.figures.summary;
        let units = &report.figures.units;
        let a = &report.assessment;
        let month = month_label(&s.month);
        let mut not_assessed: Vec<&UnitFigures> = units.iter().filter(|u| !u.assessed).collect();
        not_assessed.sort_by(|x, y| by_volume(x.assigned, y.assigned, &x.unit, &y.unit));
        let mut rates = super::rates::rates(s, units, a);
        if let Some(p) = &report.previous {
            let before = [
                p.satisfaction_ratio,
                p.first_time_resolution_ratio,
                p.instant_resolution_ratio,
            ];
            for (rate, before) in rates.iter_mut().zip(before) {
                rate.change = rate.ratio.zip(before).map(|(now, then)| now - then);
            }
        }
        let mut overdue_units: Vec<(String, i64)> = units
            .iter()
            .filter(|u| u.overdue > 0)
            .map(|u| (u.unit.clone(), u.overdue))
            .collect();
        overdue_units.sort_by(|(x, nx), (y, ny)| by_volume(*nx, *ny, x, y));
        Bulletin {
            title: format!(
                "{} 政务服务便民热线月通报（{month}）",
                centre_name(&s.center)
            ),
            month,
            as_of: match &report.incomplete {
                None => text::hour(report.tz.local(s.as_of)),
                Some(note) => format!("{}（{note}）", text::hour(report.tz.local(s.as_of))),
            },
            overview: overview(report),
            records_by_day: report.analysis.records_by_day.clone(),
            valid_records: s.valid_records,
            purposes: purposes(s),
            categories: shares(&s.by_category, s.valid_records),
            rates,
            not_assessed: not_assessed.iter().map(|u| u.unit.clone()).collect(),
            analysis: Analysis::new(&report.analysis),
            completion: rank::completion_table(units),
            satisfaction: rank::satisfaction_table(units, a.basically_satisfied_weight),
            overdue: overdue_rows(report),
            overdue_by_purpose: s
                .overdue_by_purpose
                .iter()
                .filter(|o| o.records > 0 || o.overdue > 0)
                .map(|o| (format!("{}类", o.label), o.records, o.overdue, o.ratio))
                .collect(),
            overdue_units,
            hot_categories: shares(&s.by_category, s.valid_records)
                .into_iter()
                .take(HOT_CATEGORIES)
                .collect(),
            hot_topics: shares(&s.by_topic, s.valid_records)
                .into_iter()
                .take(HOT_TOPICS)
                .collect(),
            scores: rank::scores(units),
            satisfaction_detail: rank::satisfaction_detail(units, a.basically_satisfied_weight),
            assessment: a.clone(),
        }
    }

    /// The centre's satisfaction ratio (the 三率's first).
    pub fn satisfaction_ratio(&self) -> Option<f64> {
        self.rates.first().and_then(|r| r.ratio)
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
            .previous
            .as_ref()
            .map(|p| p.records)
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

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_sections;
