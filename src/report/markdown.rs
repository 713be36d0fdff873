//! The bulletin as Markdown (GitHub tables), laid out like the office's bulletins.

use std::fmt::Write;

use super::model::{Bulletin, Row, Share, Table, UnitList};
use super::prose;
use super::text::{md, pct};

/// Column alignment of a table.
#[derive(Clone, Copy)]
enum Align {
    Left,
    Right,
}

/// One GitHub table; cells are already escaped.
fn table(out: &mut String, head: &[(&str, Align)], rows: &[Vec<String>]) {
    out.push('|');
    for (h, _) in head {
        let _ = write!(out, " {h} |");
    }
    out.push_str("\n|");
    for (_, a) in head {
        out.push_str(match a {
            Align::Left => "---|",
            Align::Right => "---:|",
        });
    }
    out.push('\n');
    for row in rows {
        out.push('|');
        for cell in row {
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    out.push('\n');
}

fn shares_table(out: &mut String, what: &str, shares: &[Share], whole: i64) {
    let mut rows: Vec<Vec<String>> = shares
        .iter()
        .map(|s| vec![md(&s.label), s.count.to_string(), pct(s.share)])
        .collect();
    let sum: i64 = shares.iter().map(|s| s.count).sum();
    rows.push(vec![
        "合计".to_owned(),
        sum.to_string(),
        pct(crate::view::ratio(sum as f64, whole)),
    ]);
    use Align::*;
    table(
        out,
        &[(what, Left), ("件数", Right), ("占比", Right)],
        &rows,
    );
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

fn ranking(out: &mut String, t: &Table, head: [&str; 5], total: &str) {
    let cells = |r: &Row| {
        vec![
            r.rank
                .map_or_else(|| "不纳入考核".to_owned(), |n| n.to_string()),
            md(&r.unit),
            r.a.to_string(),
            r.b.to_string(),
            pct(r.ratio),
        ]
    };
    let mut rows: Vec<Vec<String>> = t.rows.iter().map(cells).collect();
    rows.push(vec![
        String::new(),
        total.to_owned(),
        t.total_a.to_string(),
        t.total_b.to_string(),
        pct(t.total_ratio),
    ]);
    use Align::*;
    table(
        out,
        &[
            (head[0], Right),
            (head[1], Left),
            (head[2], Right),
            (head[3], Right),
            (head[4], Right),
        ],
        &rows,
    );
}

pub fn render(b: &Bulletin) -> String {
    let mut out = String::with_capacity(16 * 1024 + 256 * b.overdue.len());
    let _ = writeln!(out, "# {}\n", md(&b.title));
    let _ = writeln!(out, "截至时间：{}\n", b.as_of);

    out.push_str("## 一、热线运行总体情况\n\n");
    let _ = writeln!(out, "{}\n", prose::records(b));
    let _ = writeln!(out, "{}\n", prose::dispatched(b));
    let _ = writeln!(out, "{}\n", prose::assessed(b));

    out.push_str("## 二、诉求类别情况\n\n### （一）目的分类\n\n");
    let _ = writeln!(out, "{}\n", prose::valid_records(b));
    shares_table(&mut out, "目的分类", &b.purposes, b.valid_records);
    out.push_str("### （二）诉求分类\n\n");
    shares_table(&mut out, "诉求分类", &b.categories, b.valid_records);

    out.push_str("## 三、“三率”情况\n\n");
    for (i, rate) in b.rates.iter().enumerate() {
        let _ = writeln!(out, "### {}. {}\n\n{}\n", i + 1, rate.title, rate.summary);
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

    let _ = writeln!(out, "## 四、各单位工单办结率排序表（{}）\n", b.month);
    ranking(
        &mut out,
        &b.completion,
        ["序号", "单位名称", "工单量", "办结量", "办结率"],
        "合计",
    );
    let _ = writeln!(out, "## 五、各单位回访满意度排序表（{}）\n", b.month);
    ranking(
        &mut out,
        &b.satisfaction,
        ["序号", "单位名称", "回访工单数量", "满意工单数量", "满意度"],
        "总计",
    );

    let _ = writeln!(out, "## 六、超期工单一览表（{}）\n", b.month);
    let _ = writeln!(out, "截至时间：{}\n", b.as_of);
    out.push_str(&prose::overdue(b));
    out.push_str("\n\n");
    let rows: Vec<Vec<String>> = b
        .overdue
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                (i + 1).to_string(),
                md(&r.order_id),
                md(&r.units),
                r.due.clone(),
                r.replied.clone(),
                md(&r.remark),
            ]
        })
        .collect();
    use Align::*;
    table(
        &mut out,
        &[
            ("序号", Right),
            ("工单编号", Left),
            ("承办单位", Left),
            ("应回复时间", Left),
            ("实际回复日期", Left),
            ("备注", Left),
        ],
        &rows,
    );

    out.push_str("## 七、主要热点\n\n本月群众诉求主要集中在以下几个方面：\n\n");
    out.push_str("### 诉求分类前列\n\n");
    hot(&mut out, &b.hot_categories);
    out.push_str("### 热点话题\n\n");
    hot(&mut out, &b.hot_topics);

    out.push_str("## 附表：综合得分排序\n\n");
    let _ = writeln!(out, "{}\n", prose::score_weights(b));
    let rows: Vec<Vec<String>> = b
        .scores
        .iter()
        .map(|s| vec![s.rank.to_string(), md(&s.unit), format!("{:.1}", s.score)])
        .collect();
    table(
        &mut out,
        &[("序号", Right), ("单位名称", Left), ("综合得分", Right)],
        &rows,
    );
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
