//! The bulletin's charts, decided once (which bars, which reference lines, the axis);
//! `svg` lays them out. Only the HTML shows them: the Markdown's tables carry the
//! same figures.

use super::model::Bulletin;
use super::text::{pct, threshold};

/// How many units the overdue chart shows.
const OVERDUE_BARS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Vertical bars with short labels under them (the days of the month).
    Columns,
    /// Horizontal bars with long labels beside them (unit names).
    Rows,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Count,
    Ratio,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// The value as printed beside the bar.
    pub text: String,
    /// Drawn in the alert colour (past a threshold, or overdue orders).
    pub alert: bool,
}

/// A reference line across the bars: a configured threshold or the centre's figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub value: f64,
    pub label: String,
    /// A threshold of the assessment config (else the centre's figure).
    pub threshold: bool,
}

/// The value axis: from `min` to `max`, a tick every `step`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Axis {
    pub min: f64,
    pub max: f64,
    pub step: f64,
    pub scale: Scale,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub id: &'static str,
    pub title: String,
    pub layout: Layout,
    pub axis: Axis,
    pub bars: Vec<Bar>,
    pub rules: Vec<Rule>,
    /// A line under the chart (what was left out, how the axis starts).
    pub note: Option<String>,
}

/// A count axis from 0 with about five ticks of 1, 2 or 5 × 10ⁿ.
fn count_axis(max: f64) -> Axis {
    let max = max.max(1.0);
    let raw = max / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
        .max(1.0);
    Axis {
        min: 0.0,
        max: (max / step).ceil() * step,
        step,
        scale: Scale::Count,
    }
}

/// A ratio axis ending at 100% and starting low enough that the smallest bar (and
/// every rule) still shows, with at most six ticks.
fn ratio_axis(lowest: f64) -> Axis {
    let lowest = lowest.clamp(0.0, 1.0);
    for step in [0.01, 0.02, 0.05, 0.1, 0.2] {
        let min = (((lowest - step * 0.25) / step).floor() * step).max(0.0);
        if (1.0 - min) / step <= 6.0 + 1e-9 {
            return Axis {
                min,
                max: 1.0,
                step,
                scale: Scale::Ratio,
            };
        }
    }
    Axis {
        min: 0.0,
        max: 1.0,
        step: 0.2,
        scale: Scale::Ratio,
    }
}

fn axis_note(axis: &Axis) -> Option<String> {
    (axis.scale == Scale::Ratio && axis.min > 0.0)
        .then(|| format!("横轴自 {} 起。", threshold(axis.min)))
}

/// 图 1: records taken in per day, with the daily average.
pub fn daily(b: &Bulletin) -> Chart {
    let max = b.records_by_day.iter().copied().max().unwrap_or(0) as f64;
    let mut rules = vec![];
    if let Some(avg) = b.overview.daily_average {
        rules.push(Rule {
            value: avg as f64,
            label: format!("日均 {avg}"),
            threshold: false,
        });
    }
    Chart {
        id: "daily",
        title: format!("图 1　每日受理量（{}）", b.month),
        layout: Layout::Columns,
        axis: count_axis(max),
        bars: b
            .records_by_day
            .iter()
            .enumerate()
            .map(|(i, &n)| Bar {
                label: (i + 1).to_string(),
                value: n as f64,
                text: n.to_string(),
                alert: false,
            })
            .collect(),
        rules,
        note: None,
    }
}

/// Assessed units' `ratio`, best first, then by `volume` (as the ranking tables).
fn ratio_bars(rows: &[super::model::Row], below: Option<f64>) -> Vec<Bar> {
    let mut v: Vec<(&super::model::Row, f64)> = rows
        .iter()
        .filter(|r| r.rank.is_some())
        .filter_map(|r| r.ratio.map(|x| (r, x)))
        .collect();
    v.sort_by(|(x, rx), (y, ry)| {
        ry.total_cmp(rx)
            .then_with(|| super::model::by_volume(x.a, y.a, &x.unit, &y.unit))
    });
    v.into_iter()
        .map(|(r, x)| Bar {
            label: r.unit.clone(),
            value: x,
            text: pct(Some(x)),
            alert: below.is_some_and(|t| x < t),
        })
        .collect()
}

fn ratio_chart(
    id: &'static str,
    title: String,
    bars: Vec<Bar>,
    rules: Vec<Rule>,
    what: &str,
) -> Chart {
    let lowest = bars
        .iter()
        .map(|b| b.value)
        .chain(rules.iter().map(|r| r.value))
        .fold(1.0, f64::min);
    let axis = ratio_axis(lowest);
    let mut note = format!("纳入考核的单位，按{what}从高到低排列。");
    if let Some(n) = axis_note(&axis) {
        note.push_str(&n);
    }
    Chart {
        id,
        title,
        layout: Layout::Rows,
        axis,
        bars,
        rules,
        note: Some(note),
    }
}

fn centre_rule(r: Option<f64>) -> Option<Rule> {
    r.map(|r| Rule {
        value: r,
        label: format!("全市 {}", pct(Some(r))),
        threshold: false,
    })
}

/// 图 2: assessed units' completion, with the centre's.
pub fn completion(b: &Bulletin) -> Chart {
    ratio_chart(
        "completion",
        format!("图 2　各单位工单办结率（{}）", b.month),
        ratio_bars(&b.completion.rows, None),
        centre_rule(b.overview.completion).into_iter().collect(),
        "办结率",
    )
}

/// 图 3: assessed units' satisfaction, with the configured threshold and the centre's.
pub fn satisfaction(b: &Bulletin) -> Chart {
    let below = b.assessment.satisfaction_below;
    let mut rules = vec![Rule {
        value: below,
        label: format!("考核线 {}", threshold(below)),
        threshold: true,
    }];
    rules.extend(centre_rule(b.satisfaction_ratio()));
    ratio_chart(
        "satisfaction",
        format!("图 3　各单位回访满意率（{}）", b.month),
        ratio_bars(&b.satisfaction.rows, Some(below)),
        rules,
        "满意率",
    )
}

/// 图 4: the units with the most overdue orders.
pub fn overdue(b: &Bulletin) -> Chart {
    let shown = &b.overdue_units[..b.overdue_units.len().min(OVERDUE_BARS)];
    let max = shown.first().map_or(0, |u| u.1) as f64;
    let left = b.overdue_units.len() - shown.len();
    Chart {
        id: "overdue-units",
        title: format!("图 4　各单位超期工单数量（{}）", b.month),
        layout: Layout::Rows,
        axis: count_axis(max),
        bars: shown
            .iter()
            .map(|(unit, n)| Bar {
                label: unit.clone(),
                value: *n as f64,
                text: format!("{n} 件"),
                alert: true,
            })
            .collect(),
        rules: vec![],
        note: (left > 0).then(|| format!("另有 {left} 家单位有超期工单，见超期工单一览表。")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_axes_use_round_steps() {
        let a = count_axis(138.0);
        assert_eq!((a.min, a.max, a.step), (0.0, 150.0, 50.0));
        let a = count_axis(7377.0);
        assert_eq!((a.max, a.step), (8000.0, 2000.0));
        let a = count_axis(0.0);
        assert_eq!((a.max, a.step), (1.0, 1.0));
        let a = count_axis(3.0);
        assert_eq!((a.max, a.step), (3.0, 1.0));
    }

    #[test]
    fn ratio_axes_leave_the_lowest_bar_visible() {
        let a = ratio_axis(0.9);
        assert!(a.min < 0.9 && (1.0 - a.min) / a.step <= 6.0 + 1e-9, "{a:?}");
        let a = ratio_axis(0.3943);
        assert!(a.min < 0.3943 && a.min >= 0.2, "{a:?}");
        let a = ratio_axis(1.0);
        assert!(a.min < 1.0 && a.min >= 0.95, "{a:?}");
        assert_eq!(ratio_axis(0.0).min, 0.0);
        assert_eq!(axis_note(&ratio_axis(0.0)), None);
        assert_eq!(
            axis_note(&ratio_axis(0.9)).as_deref(),
            Some("横轴自 88% 起。")
        );
    }
}
