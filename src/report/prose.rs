//! The bulletin's sentences, written once for both formats (plain text: the HTML
//! renderer escapes them, the Markdown renderer prints them as they are).

use super::model::Bulletin;
use super::text::pct;

/// 运行总体情况, first paragraph: records, month-over-month change, daily average, and the
/// records by source with their shares.
pub fn records(b: &Bulletin) -> String {
    let o = &b.overview;
    let mut s = format!(
        "{}，12345 热线共受理群众来电、中国政府网、省州系统转办等共计 {} 件",
        b.month, o.records
    );
    match o.change {
        Some(c) if c > 0.0 => s.push_str(&format!("，较上月上升 {}", pct(Some(c)))),
        Some(c) if c < 0.0 => s.push_str(&format!("，较上月下降 {}", pct(Some(-c)))),
        Some(_) => s.push_str("，与上月持平"),
        None => {}
    }
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
        b.min_assigned,
        o.units_assessed
    )
}

pub fn valid_records(b: &Bulletin) -> String {
    format!(
        "本月 12345 热线共接听群众有效诉求 {} 件，按类型分类如下：",
        b.valid_records
    )
}

/// `names` already escaped for the output format.
pub fn not_assessed(b: &Bulletin, names: &[String]) -> String {
    format!(
        "{} 家成员单位月度总办件量少于 {} 件不纳入考核：{}。",
        names.len(),
        b.min_assigned,
        names.join("、")
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

pub fn score_weights(b: &Bulletin) -> String {
    let w = &b.weights;
    format!(
        "综合得分（0–100）的权重为本项目自定，并非官方考核公式：办结率 {}、按时办结率 {}、回访满意率 {}、一次办结率 {}、即时办结率 {}；单位缺少某项数据时按其余权重折算。仅列纳入考核的单位。",
        w.completion, w.on_time, w.satisfaction, w.first_time_resolution, w.instant_resolution
    )
}
