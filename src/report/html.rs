//! The bulletin as one self-contained HTML page: inline CSS and SVG charts, no scripts,
//! no external assets (it is mailed and printed), every string from the data escaped.
//! Printed (or turned into a PDF by Chromium) it is A4 with the title and page numbers
//! on every page.

use std::fmt::Write;

use super::charts;
use super::model::{Bulletin, Share, UnitList};
use super::prose;
use super::svg;
use super::tables::{self, Cell, Grid};
use super::text::{html as esc, pct};
use super::week::WeekReport;

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
figure.chart { margin: 1em 0 1.4em; text-align: center; break-inside: avoid; page-break-inside: avoid; }
figure.chart svg { width: 100%; max-width: 900px; height: auto; }
figcaption { font-size: .92rem; font-weight: bold; }
figcaption .note { font-weight: normal; }
@media print {
  main { max-width: none; padding: 0; }
  h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  /* The total row closes the table once, not every printed page of it. */
  tfoot { display: table-row-group; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  ol { columns: 1; }
}
"#;

/// A string as a CSS string literal: nothing in it can end the string, the rule or the
/// `<style>` element.
fn css_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' | '<' | '>' | '&' | '\n' | '\r' => {
                let _ = write!(out, "\\{:x} ", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The page around a body: the head with the styles, the A4 page rule (the title in
/// every page's header, "第 N 页，共 M 页" in its footer), the title and 截至时间.
pub(super) fn page(title: &str, as_of: &str, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 4096);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{t}</title>\n<style>{STYLE}\
         @page {{ size: A4; margin: 18mm 12mm 16mm;\n  \
         @top-center {{ content: {head}; font-size: 9pt; color: #555; }}\n  \
         @bottom-center {{ content: \"第 \" counter(page) \" 页，共 \" counter(pages) \" 页\"; font-size: 9pt; color: #555; }}\n}}\n\
         </style>\n</head>\n<body>\n<main>\n<h1>{t}</h1>\n<p class=\"asof\">截至时间：{a}</p>\n",
        t = esc(title),
        head = css_string(title),
        a = esc(as_of)
    );
    out.push_str(body);
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn cell(out: &mut String, c: &Cell) {
    let _ = match c {
        Cell::Text(s) => write!(out, "<td>{}</td>", esc(s)),
        Cell::Num(s) => write!(out, "<td class=\"n\">{}</td>", esc(s)),
        Cell::Fixed(s) => write!(out, "<td class=\"d\">{}</td>", esc(s)),
    };
}

/// A [`Grid`] as an HTML table.
pub(super) fn grid(out: &mut String, g: &Grid) {
    let class = if g.narrow { " class=\"shares\"" } else { "" };
    let _ = write!(out, "<table id=\"{}\"{class}>", g.id);
    if let Some(c) = &g.caption {
        let _ = write!(out, "<caption>{}</caption>", esc(c));
    }
    out.push_str("<thead><tr>");
    for (h, _) in &g.head {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for (cells, muted) in &g.rows {
        out.push_str(if *muted { "<tr class=\"na\">" } else { "<tr>" });
        for c in cells {
            cell(out, c);
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody>");
    if let Some(foot) = &g.foot {
        out.push_str("<tfoot><tr>");
        for c in foot {
            cell(out, c);
        }
        out.push_str("</tr></tfoot>");
    }
    out.push_str("</table>\n");
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

fn paragraphs(out: &mut String, lines: &[String]) {
    for l in lines {
        let _ = writeln!(out, "<p>{}</p>", esc(l));
    }
}

pub fn render(b: &Bulletin) -> String {
    let mut out = String::with_capacity(48 * 1024 + 512 * b.overdue.len());
    let _ = writeln!(
        out,
        "<section id=\"overview\"><h2>一、热线运行总体情况</h2>\n<p>{}</p>\n<p>{}</p>\n<p>{}</p>",
        esc(&prose::records(b)),
        esc(&prose::dispatched(b)),
        esc(&prose::assessed(b))
    );
    out.push_str(&svg::render(&charts::daily(b)));
    out.push_str("</section>\n");

    out.push_str("<section id=\"appeals\"><h2>二、诉求类别情况</h2><h3>（一）目的分类</h3>");
    let _ = writeln!(out, "<p>{}</p>", esc(&prose::valid_records(b)));
    grid(&mut out, &tables::purposes(b));
    out.push_str("<h3>（二）诉求分类</h3>");
    grid(&mut out, &tables::categories(b));
    out.push_str("</section>\n");

    out.push_str("<section id=\"rates\"><h2>三、“三率”情况</h2>\n");
    for (i, rate) in b.rates.iter().enumerate() {
        let _ = writeln!(
            out,
            "<h3>{}. {}</h3><p>{}</p>",
            i + 1,
            rate.title,
            esc(&prose::rate(rate))
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
    out.push_str(
        "<section id=\"analysis\"><h3>“三率”数据分析</h3>\n<h4>（一）“回访满意率”数据分析</h4>\n",
    );
    paragraphs(&mut out, &prose::unsatisfied(b));
    out.push_str("<h4>（二）“一次办结率”数据分析</h4>\n");
    paragraphs(&mut out, &prose::not_first_time(b));
    out.push_str("<h4>（三）“即时办结率”数据分析</h4>\n");
    paragraphs(&mut out, &prose::not_answered(b));
    out.push_str("</section></section>\n");

    let month = esc(&b.month);
    let _ = write!(
        out,
        "<section><h2>四、各单位工单办结率排序表（{month}）</h2>"
    );
    out.push_str(&svg::render(&charts::completion(b)));
    grid(&mut out, &tables::completion(b));
    let _ = write!(
        out,
        "</section>\n<section><h2>五、各单位回访满意度排序表（{month}）</h2>"
    );
    out.push_str(&svg::render(&charts::satisfaction(b)));
    grid(&mut out, &tables::satisfaction(b));
    out.push_str("</section>\n");

    let _ = write!(
        out,
        "<section id=\"overdue-section\"><h2>六、超期工单一览表（{month}）</h2>\
         <p class=\"plain\">截至时间：{}</p><h3>逾期件专项清理</h3><p>{}</p><p>{}</p>",
        esc(&b.as_of),
        esc(&prose::overdue(b)),
        esc(&prose::overdue_units(b))
    );
    if !b.overdue_units.is_empty() {
        out.push_str(&svg::render(&charts::overdue(b)));
    }
    out.push_str("<h3>超期工单明细</h3>");
    grid(&mut out, &tables::overdue(b));
    out.push_str("</section>\n");

    out.push_str("<section id=\"hotspots\"><h2>七、主要热点</h2><p>本月群众诉求主要集中在以下几个方面：</p><h3>诉求分类前列</h3>");
    hot(&mut out, &b.hot_categories);
    out.push_str("<h3>热点话题</h3>");
    hot(&mut out, &b.hot_topics);
    out.push_str("</section>\n");

    let _ = write!(
        out,
        "<section id=\"scores\"><h2>附件 1：成员单位绩效考核得分明细表（{month}）</h2><p class=\"note\">{}</p>",
        esc(&prose::score_weights(b))
    );
    grid(&mut out, &tables::scores(b));
    let _ = write!(
        out,
        "</section>\n<section id=\"satisfaction-appendix\"><h2>附件 2：成员单位满意率情况表（{month}）</h2><p class=\"note\">{}</p>",
        esc(&prose::satisfaction_detail(b))
    );
    grid(&mut out, &tables::satisfaction_detail(b));
    out.push_str("</section>\n");
    page(&b.title, &b.as_of, &out)
}

/// The weekly report (周通报).
pub fn render_week(r: &WeekReport) -> String {
    let mut out = String::with_capacity(4096 + 256 * r.orders.len());
    let _ = writeln!(
        out,
        "<section id=\"week\"><p>{}</p>\n<p>{}</p>",
        esc(&prose::week_period(r)),
        esc(&prose::week_summary(r))
    );
    if !r.orders.is_empty() {
        out.push_str("<h2>一、各单位逾期未办结工单</h2>");
        grid(&mut out, &tables::week_units(r));
        out.push_str("<h2>二、逾期未办结工单明细</h2>");
        grid(&mut out, &tables::week_orders(r));
    }
    out.push_str("</section>\n");
    page(&r.title, &r.as_of, &out)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn css_strings_cannot_escape_the_style_element() {
        assert_eq!(
            css_string("通报（2024 年 11 月）"),
            "\"通报（2024 年 11 月）\""
        );
        let s = css_string("a\"}</style><script>x</script>\\");
        assert!(!s[1..s.len() - 1].contains('"') && !s.contains('<') && !s.contains('>'));
        assert!(s.ends_with("\\5c \""), "{s}");
    }
}
