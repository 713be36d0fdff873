//! The bulletin's sentences, written once for both formats (plain text: the HTML
//! renderer escapes them, the Markdown renderer prints them as they are).

use super::model::{Bulletin, Finding, Rate};
use super::text::pct;
use super::week::WeekReport;

/// How many units the overdue clearance names ("…等 5 家热线成员单位逾期办件较多").
const OVERDUE_UNITS: usize = 5;

/// "，较上月上升 2.52%" for a relative change of a count.
fn change_of_count(change: Option<f64>) -> String {
    match change {
        Some(c) if pct(Some(c.abs())) == "0.00%" => "，与上月持平".to_owned(),
        Some(c) if c > 0.0 => format!("，较上月上升 {}", pct(Some(c))),
        Some(c) => format!("，较上月下降 {}", pct(Some(-c))),
        None => String::new(),
    }
}

/// "，较上月上升 0.30 个百分点" for the change of a rate: the difference of two
/// percentages is in percentage points (a relative change of a rate would mislead).
fn change_of_rate(change: Option<f64>) -> String {
    let points = |c: f64| pct(Some(c)).trim_end_matches('%').to_owned();
    match change {
        Some(c) if points(c.abs()) == "0.00" => "，与上月持平".to_owned(),
        Some(c) if c > 0.0 => format!("，较上月上升 {} 个百分点", points(c)),
        Some(c) => format!("，较上月下降 {} 个百分点", points(-c)),
        None => String::new(),
    }
}

/// 运行总体情况, first paragraph: records, month-over-month change, daily average, and the
/// records by source with their shares.
pub fn records(b: &Bulletin) -> String {
    let o = &b.overview;
    let mut s = format!(
        "{}，12345 热线共受理群众来电、中国政府网、省州系统转办等共计 {} 件",
        b.month, o.records
    );
    s.push_str(&change_of_count(o.change));
    if let Some(avg) = o.daily_average {
        s.push_str(&format!("，日均受理 {avg} 件（按 {} 天计）", o.days));
    }
    let parts: Vec<String> = o
        .sources
        .iter()
        .map(|x| format!("{} {} 件，占比 {}", x.label, x.count, pct(x.share)))
        .collect();
    s.push_str(&format!("。其中，{}。", parts.join("；")));
    s
}

pub fn dispatched(b: &Bulletin) -> String {
    let o = &b.overview;
    format!(
        "本月共转派工单 {} 件，已办结 {} 件，办结率 {}，其中超期工单 {} 件。",
        o.dispatched,
        o.completed,
        pct(o.completion),
        o.overdue
    )
}

pub fn assessed(b: &Bulletin) -> String {
    let o = &b.overview;
    format!(
        "本月应参加考核的成员单位 {} 家，其中有 {} 家成员单位月度总办件量少于 {} 件不纳入考核，实际参与考核的成员单位共计 {} 家。",
        o.units_total,
        o.units_total - o.units_assessed,
        b.assessment.min_assigned,
        o.units_assessed
    )
}

pub fn valid_records(b: &Bulletin) -> String {
    format!(
        "本月 12345 热线共接听群众有效诉求 {} 件，按类型分类如下：",
        b.valid_records
    )
}

/// One of the 三率: the centre's figures, the change against last month, the remark.
pub fn rate(r: &Rate) -> String {
    format!(
        "{}{}。{}",
        r.summary,
        change_of_rate(r.change),
        r.note.as_deref().unwrap_or("")
    )
}

/// `names` already escaped for the output format.
pub fn not_assessed(b: &Bulletin, names: &[String]) -> String {
    format!(
        "{} 家成员单位月度总办件量少于 {} 件不纳入考核：{}。",
        names.len(),
        b.assessment.min_assigned,
        names.join("、")
    )
}

/// "A、B、C等" (等 when the list is cut short).
fn listing(names: &[String], more: bool) -> String {
    format!("{}{}", names.join("、"), if more { "等" } else { "" })
}

/// "噪音扰民问题" (a label that already says 问题 is not doubled).
fn problem(label: &str) -> String {
    if label.ends_with("问题") {
        label.to_owned()
    } else {
        format!("{label}问题")
    }
}

/// "X问题共计 N 件。处理单位：A、B等。" for each main problem.
fn problem_counts(f: &Finding) -> Vec<String> {
    f.main
        .iter()
        .map(|p| {
            let mut s = format!("{}共计 {} 件。", problem(&p.label), p.count);
            if !p.units.is_empty() {
                s.push_str(&format!("处理单位：{}。", listing(&p.units, p.more_units)));
            }
            s
        })
        .collect()
}

/// How one analysis is worded (the Haikou bulletin's sentences).
struct Wording {
    /// When the set is empty.
    none: &'static str,
    /// "本月回访不满意办件 {total} 件。"
    total: fn(i64) -> String,
    /// Before and after the main problems' names, and how each is named.
    main: (&'static str, &'static str),
    name: fn(&str) -> String,
    /// "其中，… {unresolved} 件，占… {share}。", if the analysis says it.
    unresolved: Option<fn(i64, String) -> String>,
}

/// The paragraphs of one analysis: the set, its main problems with their counts (and
/// handling units), what the citizens called unresolved.
fn analysis(f: &Finding, w: &Wording) -> Vec<String> {
    if f.total == 0 {
        return vec![w.none.to_owned()];
    }
    let mut first = (w.total)(f.total);
    if !f.main.is_empty() {
        let names: Vec<String> = f.main.iter().map(|p| (w.name)(&p.label)).collect();
        first.push_str(&format!(
            "{}{}{}。",
            w.main.0,
            listing(&names, f.more),
            w.main.1
        ));
    }
    let mut out = vec![first];
    out.extend(problem_counts(f));
    if let Some(unresolved) = w.unresolved {
        out.push(unresolved(f.unresolved, pct(f.unresolved_share)));
    }
    out
}

/// (一) “回访满意率”数据分析, paragraph by paragraph.
pub fn unsatisfied(b: &Bulletin) -> Vec<String> {
    analysis(
        &b.analysis.unsatisfied,
        &Wording {
            none: "本月无回访不满意办件。",
            total: |n| format!("本月回访不满意办件 {n} 件。"),
            main: ("不满意办件所涉及的主要问题为：", ""),
            name: str::to_owned,
            unresolved: Some(|n, share| {
                format!("其中，回访市民表示问题未得到解决件数有 {n} 件，占不满意办件的 {share}。")
            }),
        },
    )
}

/// (二) “一次办结率”数据分析.
pub fn not_first_time(b: &Bulletin) -> Vec<String> {
    analysis(
        &b.analysis.not_first_time,
        &Wording {
            none: "本月无未一次办结办件。",
            total: |n| {
                format!("本月未一次办结办件（转派后被退回或重办的工单，含尚未办结的）{n} 件。")
            },
            main: ("未一次性办结涉及的问题主要为：", ""),
            name: problem,
            unresolved: Some(|n, share| {
                format!("其中，市民诉求未得到解决 {n} 件，占未一次办结办件的 {share}。")
            }),
        },
    )
}

/// (三) “即时办结率”数据分析.
pub fn not_answered(b: &Bulletin) -> Vec<String> {
    analysis(
        &b.analysis.not_answered,
        &Wording {
            none: "本月有效咨询类办件均已前台即时办结。",
            total: |n| format!("本月有效咨询类办件中未即时办结（转派工单办理）{n} 件。"),
            main: ("未即时办结件涉及的问题主要为：", "问题"),
            name: str::to_owned,
            unresolved: None,
        },
    )
}

/// 超期工单 count and the overdue share by purpose ("咨询类办件总量 … 逾期 … 占 …").
pub fn overdue(b: &Bulletin) -> String {
    let mut s = format!("本月超期工单 {} 件。", b.overdue.len());
    let by_purpose: Vec<String> = b
        .overdue_by_purpose
        .iter()
        .map(|(label, n, late, r)| {
            format!("{label}办件总量 {n} 件，逾期 {late} 件，占 {}", pct(*r))
        })
        .collect();
    if !by_purpose.is_empty() {
        s.push_str(&format!("{}。", by_purpose.join("；")));
    }
    s
}

/// 逾期件专项清理: the units with the most overdue orders, named.
pub fn overdue_units(b: &Bulletin) -> String {
    if b.overdue_units.is_empty() {
        return "本月无逾期办件的成员单位。".to_owned();
    }
    let named: Vec<String> = b
        .overdue_units
        .iter()
        .take(OVERDUE_UNITS)
        .map(|(unit, n)| format!("{unit}（{n} 件）"))
        .collect();
    let first = if b.overdue_units.len() > OVERDUE_UNITS {
        format!(
            "{}等 {} 家热线成员单位逾期办件较多。",
            named.join("、"),
            named.len()
        )
    } else {
        format!(
            "本月有逾期办件的热线成员单位共 {} 家：{}。",
            named.len(),
            named.join("、")
        )
    };
    format!("{first}各热线成员单位要对积累的逾期件及时销号处理。")
}

pub fn score_weights(b: &Bulletin) -> String {
    let w = &b.assessment.score_weights;
    format!(
        "综合得分（0–100）的权重为本项目自定，并非官方考核公式：办结率 {}、按时办结率 {}、回访满意率 {}、一次办结率 {}、即时办结率 {}；单位缺少某项数据时按其余权重折算。仅列纳入考核的单位。",
        w.completion, w.on_time, w.satisfaction, w.first_time_resolution, w.instant_resolution
    )
}

pub fn satisfaction_detail(b: &Bulletin) -> String {
    format!(
        "满意率 =（满意 + {} × 基本满意）÷ 回访工单数量。纳入考核的单位按满意率排序，不纳入考核的单位列于其后。",
        b.assessment.basically_satisfied_weight
    )
}

/// The weekly report's period.
pub fn week_period(r: &WeekReport) -> String {
    format!(
        "统计时段：{} 至 {}（{} 年第 {} 周）。",
        r.from,
        r.to,
        r.week.year(),
        r.week.number()
    )
}

/// The weekly report's finding.
pub fn week_summary(r: &WeekReport) -> String {
    let Some(longest) = r.orders.first() else {
        return format!("截至 {}，没有超过办理期限仍未办结的工单。", r.as_of);
    };
    format!(
        "截至 {}，共有 {} 件工单超过办理期限仍未办结，涉及 {} 家单位，逾期最长的已达 {} 天。请各相关单位尽快办理答复，及时销号；对长期逾期未处理的办件，将按程序提请监督。",
        r.as_of,
        r.orders.len(),
        r.units.len(),
        longest.days
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_of_counts_are_relative_and_of_rates_in_points() {
        assert_eq!(
            change_of_count(Some(4151.0 / 4049.0 - 1.0)),
            "，较上月上升 2.52%"
        );
        assert_eq!(change_of_count(Some(-0.1)), "，较上月下降 10.00%");
        assert_eq!(change_of_count(Some(0.00001)), "，与上月持平");
        assert_eq!(change_of_count(None), "");
        assert_eq!(change_of_rate(Some(0.003)), "，较上月上升 0.30 个百分点");
        assert_eq!(change_of_rate(Some(-0.0125)), "，较上月下降 1.25 个百分点");
        assert_eq!(change_of_rate(Some(0.0)), "，与上月持平");
    }

    #[test]
    fn problems_are_not_said_twice() {
        assert_eq!(problem("噪音扰民"), "噪音扰民问题");
        assert_eq!(problem("历史遗留问题"), "历史遗留问题");
        assert_eq!(listing(&["甲".into(), "乙".into()], true), "甲、乙等");
        assert_eq!(listing(&["甲".into()], false), "甲");
    }
}
