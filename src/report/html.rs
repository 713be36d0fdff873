//! The bulletin as one self-contained HTML page: inline CSS, no scripts, no external
//! assets (it is mailed and printed), every string from the data escaped.

use std::fmt::Write;

use super::model::{Bulletin, Row, Share, Table, UnitList};
use super::prose;
use super::text::{html as esc, pct};

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
  "WenQuanYi Zen Hei", sans-serif; color: #1a1a1a; background: #fff; margin: 0; line-height: 1.7; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 1.6rem; text-align: center; color: #b00000; border-bottom: 3px solid #b00000;
  padding-bottom: .4em; margin-bottom: .3em; }
.asof { text-align: center; color: #444; margin-top: 0; }
h2 { font-size: 1.25rem; margin-top: 2em; border-left: 5px solid #b00000; padding-left: .5em; }
h3 { font-size: 1.08rem; margin-top: 1.4em; }
h4 { font-size: 1rem; margin: 1em 0 .3em; color: #333; }
p { text-indent: 2em; margin: .5em 0; }
p.plain { text-indent: 0; }
table { border-collapse: collapse; width: 100%; margin: .6em 0 1.2em; font-size: .92rem; }
table.shares { width: auto; min-width: 50%; }
caption { font-weight: bold; padding: .3em; }
th, td { border: 1px solid #999; padding: .25em .5em; }
th { background: #f2e6e6; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.d { white-space: nowrap; }
tr.na td { color: #666; background: #fafafa; }
tfoot td { font-weight: bold; background: #f7f7f7; }
ol { margin: .2em 0 .8em; columns: 2; }
.none { color: #666; }
.note { color: #555; font-size: .9rem; }
@page { size: A4; margin: 15mm 12mm; }
@media print {
  main { max-width: none; padding: 0; }
  h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  tfoot { display: table-footer-group; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  ol { columns: 1; }
}
"#;

fn num(n: impl std::fmt::Display) -> String {
    format!(r#"<td class="n">{n}</td>"#)
}

fn shares_table(out: &mut String, id: &str, what: &str, shares: &[Share], whole: i64) {
    let _ = write!(
        out,
        r#"<table id="{id}" class="shares"><thead><tr><th>{what}</th><th>件数</th><th>占比</th></tr></thead><tbody>"#
    );
    for s in shares {
        let _ = write!(
            out,
            "<tr><td>{}</td>{}{}</tr>",
            esc(&s.label),
            num(s.count),
            num(pct(s.share))
        );
    }
    let sum: i64 = shares.iter().map(|s| s.count).sum();
    let _ = writeln!(
        out,
        "</tbody><tfoot><tr><td>合计</td>{}{}</tr></tfoot></table>",
        num(sum),
        num(pct(crate::view::ratio(sum as f64, whole)))
    );
}

fn list(out: &mut String, l: &UnitList) {
    let _ = write!(out, "<h4>{}</h4>", esc(&l.title));
    if l.units.is_empty() {
        out.push_str(r#"<p class="plain none">无。</p>"#);
        return;
    }
    out.push_str("<ol>");
    for (unit, r) in &l.units {
        match r {
            Some(r) => {
                let _ = write!(out, "<li>{}（{}）</li>", esc(unit), pct(Some(*r)));
            }
            None => {
                let _ = write!(out, "<li>{}</li>", esc(unit));
            }
        }
    }
    out.push_str("</ol>\n");
}

fn ranking(out: &mut String, id: &str, caption: &str, t: &Table, head: [&str; 5], total: &str) {
    let _ = write!(
        out,
        r#"<table id="{id}"><caption>{}</caption><thead><tr>"#,
        esc(caption)
    );
    for h in head {
        let _ = write!(out, "<th>{h}</th>");
    }
    out.push_str("</tr></thead><tbody>");
    for r in t.rows.iter() {
        let Row {
            rank,
            unit,
            a,
            b,
            ratio,
        } = r;
        let (class, rank) = match rank {
            Some(n) => ("", n.to_string()),
            None => (r#" class="na""#, "不纳入考核".to_owned()),
        };
        let _ = write!(
            out,
            "<tr{class}><td class=\"d\">{rank}</td><td>{}</td>{}{}{}</tr>",
            esc(unit),
            num(a),
            num(b),
            num(pct(*ratio))
        );
    }
    let _ = writeln!(
        out,
        "</tbody><tfoot><tr><td></td><td>{total}</td>{}{}{}</tr></tfoot></table>",
        num(t.total_a),
        num(t.total_b),
        num(pct(t.total_ratio))
    );
}

pub fn render(b: &Bulletin) -> String {
    let mut out = String::with_capacity(32 * 1024 + 512 * b.overdue.len());
    let title = esc(&b.title);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <h1>{title}</h1>\n<p class=\"asof\">截至时间：{}</p>\n",
        esc(&b.as_of)
    );

    let _ = writeln!(
        out,
        "<section id=\"overview\"><h2>一、热线运行总体情况</h2>\n<p>{}</p>\n<p>{}</p>\n<p>{}</p></section>",
        esc(&prose::records(b)),
        esc(&prose::dispatched(b)),
        esc(&prose::assessed(b))
    );

    out.push_str("<section id=\"appeals\"><h2>二、诉求类别情况</h2><h3>（一）目的分类</h3>");
    let _ = writeln!(out, "<p>{}</p>", esc(&prose::valid_records(b)));
    shares_table(
        &mut out,
        "purposes",
        "目的分类",
        &b.purposes,
        b.valid_records,
    );
    out.push_str("<h3>（二）诉求分类</h3>");
    shares_table(
        &mut out,
        "categories",
        "诉求分类",
        &b.categories,
        b.valid_records,
    );
    out.push_str("</section>\n");

    out.push_str("<section id=\"rates\"><h2>三、“三率”情况</h2>\n");
    for (i, rate) in b.rates.iter().enumerate() {
        let _ = writeln!(
            out,
            "<h3>{}. {}</h3><p>{}</p>",
            i + 1,
            rate.title,
            esc(&rate.summary)
        );
        for l in &rate.lists {
            list(&mut out, l);
        }
    }
    out.push_str("<h3>不纳入考核的单位</h3>");
    if b.not_assessed.is_empty() {
        out.push_str(r#"<p class="plain none">无。</p>"#);
    } else {
        let names: Vec<String> = b.not_assessed.iter().map(|u| esc(u)).collect();
        let _ = write!(
            out,
            r#"<p id="not-assessed">{}</p>"#,
            prose::not_assessed(b, &names)
        );
    }
    out.push_str("</section>\n");

    let _ = write!(
        out,
        "<section><h2>四、各单位工单办结率排序表（{}）</h2>",
        esc(&b.month)
    );
    ranking(
        &mut out,
        "completion",
        &format!("各单位工单办结率排序表（{}）", b.month),
        &b.completion,
        ["序号", "单位名称", "工单量", "办结量", "办结率"],
        "合计",
    );
    let _ = write!(
        out,
        "</section>\n<section><h2>五、各单位回访满意度排序表（{}）</h2>",
        esc(&b.month)
    );
    ranking(
        &mut out,
        "satisfaction",
        &format!("各单位回访满意度排序表（{}）", b.month),
        &b.satisfaction,
        ["序号", "单位名称", "回访工单数量", "满意工单数量", "满意度"],
        "总计",
    );
    out.push_str("</section>\n");

    overdue(&mut out, b);

    out.push_str("<section id=\"hotspots\"><h2>七、主要热点</h2><p>本月群众诉求主要集中在以下几个方面：</p><h3>诉求分类前列</h3>");
    hot(&mut out, &b.hot_categories);
    out.push_str("<h3>热点话题</h3>");
    hot(&mut out, &b.hot_topics);
    out.push_str("</section>\n");

    scores(&mut out, b);
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn overdue(out: &mut String, b: &Bulletin) {
    let _ = write!(
        out,
        "<section><h2>六、超期工单一览表（{}）</h2><p class=\"plain\">截至时间：{}</p><p>{}",
        esc(&b.month),
        esc(&b.as_of),
        esc(&prose::overdue(b))
    );
    out.push_str(
        "</p><table id=\"overdue\"><thead><tr><th>序号</th><th>工单编号</th><th>承办单位</th>\
         <th>应回复时间</th><th>实际回复日期</th><th>备注</th></tr></thead><tbody>",
    );
    for (i, r) in b.overdue.iter().enumerate() {
        let _ = write!(
            out,
            "<tr>{}<td class=\"d\">{}</td><td>{}</td><td class=\"d\">{}</td><td class=\"d\">{}</td><td>{}</td></tr>",
            num(i + 1),
            esc(&r.order_id),
            esc(&r.units),
            esc(&r.due),
            esc(&r.replied),
            esc(&r.remark)
        );
    }
    out.push_str("</tbody></table></section>\n");
}

fn hot(out: &mut String, shares: &[Share]) {
    if shares.is_empty() {
        out.push_str(r#"<p class="plain none">无。</p>"#);
        return;
    }
    out.push_str("<ol>");
    for s in shares {
        let _ = write!(
            out,
            "<li>{}：{} 件，占有效诉求 {}</li>",
            esc(&s.label),
            s.count,
            pct(s.share)
        );
    }
    out.push_str("</ol>\n");
}

fn scores(out: &mut String, b: &Bulletin) {
    let _ = write!(
        out,
        "<section id=\"scores\"><h2>附表：综合得分排序</h2><p class=\"note\">{}</p>\
         <table id=\"scores-table\"><thead><tr><th>序号</th><th>单位名称</th><th>综合得分</th></tr></thead><tbody>",
        esc(&prose::score_weights(b))
    );
    for s in &b.scores {
        let _ = write!(
            out,
            "<tr>{}<td>{}</td>{}</tr>",
            num(s.rank),
            esc(&s.unit),
            num(format!("{:.1}", s.score))
        );
    }
    out.push_str("</tbody></table></section>\n");
}
