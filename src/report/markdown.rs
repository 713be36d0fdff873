//! The bulletin as Markdown (GitHub tables), laid out like the office's bulletins. The
//! Markdown has no charts: its tables carry the same figures.

use std::fmt::Write;

use super::model::{Bulletin, Share, UnitList};
use super::prose;
use super::tables::{self, Align, Grid};
use super::text::{md, pct};
use super::week::WeekReport;

/// A [`Grid`] as a GitHub table; the total row is the last row.
pub(super) fn grid(out: &mut String, g: &Grid) {
    out.push('|');
    for (h, _) in &g.head {
        let _ = write!(out, " {h} |");
    }
    out.push_str("\n|");
    for (_, a) in &g.head {
        out.push_str(match a {
            Align::Left => "---|",
            Align::Right => "---:|",
        });
    }
    out.push('\n');
    for cells in g.rows.iter().map(|(c, _)| c).chain(g.foot.iter()) {
        out.push('|');
        for cell in cells {
            let _ = write!(out, " {} |", md(cell.text()));
        }
        out.push('\n');
    }
    out.push('\n');
}

fn list(out: &mut String, l: &UnitList) {
    let _ = writeln!(out, "#### {}\n", l.title);
    if l.units.is_empty() {
        out.push_str("无。\n\n");
        return;
    }
    for (i, (unit, r)) in l.units.iter().enumerate() {
        match r {
            Some(r) => {
                let _ = writeln!(out, "{}. {}（{}）", i + 1, md(unit), pct(Some(*r)));
            }
            None => {
                let _ = writeln!(out, "{}. {}", i + 1, md(unit));
            }
        }
    }
    out.push('\n');
}

/// Sentences that name units or problems from upstream: escaped like table cells.
fn paragraphs(out: &mut String, lines: &[String]) {
    for l in lines {
        let _ = writeln!(out, "{}\n", md(l));
    }
}

pub fn render(b: &Bulletin) -> String {
    let mut out = String::with_capacity(24 * 1024 + 256 * b.overdue.len());
    let _ = writeln!(out, "# {}\n", md(&b.title));
    let _ = writeln!(out, "截至时间：{}\n", b.as_of);

    out.push_str("## 一、热线运行总体情况\n\n");
    let _ = writeln!(out, "{}\n", prose::records(b));
    let _ = writeln!(out, "{}\n", prose::dispatched(b));
    let _ = writeln!(out, "{}\n", prose::assessed(b));

    out.push_str("## 二、诉求类别情况\n\n### （一）目的分类\n\n");
    let _ = writeln!(out, "{}\n", prose::valid_records(b));
    grid(&mut out, &tables::purposes(b));
    out.push_str("### （二）诉求分类\n\n");
    grid(&mut out, &tables::categories(b));

    out.push_str("## 三、“三率”情况\n\n");
    for (i, rate) in b.rates.iter().enumerate() {
        let _ = writeln!(
            out,
            "### {}. {}\n\n{}\n",
            i + 1,
            rate.title,
            prose::rate(rate)
        );
        for l in &rate.lists {
            list(&mut out, l);
        }
    }
    out.push_str("### 不纳入考核的单位\n\n");
    if b.not_assessed.is_empty() {
        out.push_str("无。\n\n");
    } else {
        let names: Vec<String> = b.not_assessed.iter().map(|u| md(u)).collect();
        let _ = writeln!(out, "{}\n", prose::not_assessed(b, &names));
    }
    out.push_str("### “三率”数据分析\n\n#### （一）“回访满意率”数据分析\n\n");
    paragraphs(&mut out, &prose::unsatisfied(b));
    out.push_str("#### （二）“一次办结率”数据分析\n\n");
    paragraphs(&mut out, &prose::not_first_time(b));
    out.push_str("#### （三）“即时办结率”数据分析\n\n");
    paragraphs(&mut out, &prose::not_answered(b));

    let _ = writeln!(out, "## 四、各单位工单办结率排序表（{}）\n", b.month);
    grid(&mut out, &tables::completion(b));
    let _ = writeln!(out, "## 五、各单位回访满意度排序表（{}）\n", b.month);
    grid(&mut out, &tables::satisfaction(b));

    let _ = writeln!(out, "## 六、超期工单一览表（{}）\n", b.month);
    let _ = writeln!(out, "截至时间：{}\n", b.as_of);
    out.push_str("### 逾期件专项清理\n\n");
    let _ = writeln!(out, "{}\n", prose::overdue(b));
    let _ = writeln!(out, "{}\n", md(&prose::overdue_units(b)));
    out.push_str("### 超期工单明细\n\n");
    grid(&mut out, &tables::overdue(b));

    out.push_str("## 七、主要热点\n\n本月群众诉求主要集中在以下几个方面：\n\n");
    out.push_str("### 诉求分类前列\n\n");
    hot(&mut out, &b.hot_categories);
    out.push_str("### 热点话题\n\n");
    hot(&mut out, &b.hot_topics);

    let _ = writeln!(
        out,
        "## 附件 1：成员单位绩效考核得分明细表（{}）\n",
        b.month
    );
    let _ = writeln!(out, "{}\n", prose::score_weights(b));
    grid(&mut out, &tables::scores(b));
    let _ = writeln!(out, "## 附件 2：成员单位满意率情况表（{}）\n", b.month);
    let _ = writeln!(out, "{}\n", prose::satisfaction_detail(b));
    grid(&mut out, &tables::satisfaction_detail(b));
    out
}

/// The weekly report (周通报).
pub fn render_week(r: &WeekReport) -> String {
    let mut out = String::with_capacity(4096 + 128 * r.orders.len());
    let _ = writeln!(out, "# {}\n", md(&r.title));
    let _ = writeln!(out, "截至时间：{}\n", r.as_of);
    let _ = writeln!(out, "{}\n", prose::week_period(r));
    let _ = writeln!(out, "{}\n", prose::week_summary(r));
    if !r.orders.is_empty() {
        out.push_str("## 一、各单位逾期未办结工单\n\n");
        grid(&mut out, &tables::week_units(r));
        out.push_str("## 二、逾期未办结工单明细\n\n");
        grid(&mut out, &tables::week_orders(r));
    }
    out
}

fn hot(out: &mut String, shares: &[Share]) {
    if shares.is_empty() {
        out.push_str("无。\n\n");
        return;
    }
    for (i, s) in shares.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. {}：{} 件，占有效诉求 {}",
            i + 1,
            md(&s.label),
            s.count,
            pct(s.share)
        );
    }
    out.push('\n');
}
