//! Charts as inline SVG: no scripts, no external fonts, solid fills that print, text
//! drawn by the page's CJK fonts; every label escaped.

use std::fmt::Write;

use super::charts::{Axis, Chart, Layout, Scale};
use super::text::{html as esc, threshold};

const WIDTH: f64 = 900.0;
const FONT: &str =
    "Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Zen Hei, Microsoft YaHei, sans-serif";
const BAR: &str = "#4a6fa5";
const ALERT: &str = "#c0392b";
/// Threshold lines: the report's red, not the alert bars' (a screenshot tells them apart).
const THRESHOLD: &str = "#b00000";
const GRID: &str = "#dddddd";
const INK: &str = "#333333";
/// Longest unit name drawn in full beside a bar; longer ones are cut (the full name is
/// in the bar's tooltip and in the tables).
const LABEL_CHARS: usize = 20;

fn tick_label(axis: &Axis, v: f64) -> String {
    match axis.scale {
        Scale::Ratio => threshold(v),
        Scale::Count => format!("{}", v.round() as i64),
    }
}

fn ticks(axis: &Axis) -> Vec<f64> {
    let n = ((axis.max - axis.min) / axis.step).round().max(0.0) as usize;
    (0..=n).map(|i| axis.min + axis.step * i as f64).collect()
}

fn short(label: &str) -> String {
    if label.chars().count() > LABEL_CHARS {
        let cut: String = label.chars().take(LABEL_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        label.to_owned()
    }
}

/// The chart as a `<figure>` holding one `<svg>` and its caption.
pub fn render(c: &Chart) -> String {
    let body = match c.layout {
        Layout::Rows => rows(c),
        Layout::Columns => columns(c),
    };
    let mut out = format!(
        "<figure class=\"chart\" id=\"chart-{id}\">{body}<figcaption>{title}",
        id = c.id,
        title = esc(&c.title)
    );
    if let Some(note) = &c.note {
        let _ = write!(out, "<br><span class=\"note\">{}</span>", esc(note));
    }
    out.push_str("</figcaption></figure>\n");
    out
}

fn open(out: &mut String, c: &Chart, height: f64) {
    let _ = write!(
        out,
        "<svg viewBox=\"0 0 {WIDTH} {height:.0}\" \
         width=\"{WIDTH}\" height=\"{height:.0}\" role=\"img\" aria-label=\"{}\" \
         font-family=\"{FONT}\" font-size=\"12\" fill=\"{INK}\">",
        esc(&c.title)
    );
}

/// Horizontal bars: a unit per row, its name on the left, the value at the bar's end.
fn rows(c: &Chart) -> String {
    let (label_w, value_w, row_h, bar_h) = (250.0, 70.0, 22.0, 14.0);
    let top = 16.0 + 13.0 * c.rules.len() as f64;
    let (x0, x1) = (label_w, WIDTH - value_w);
    let plot_h = row_h * c.bars.len().max(1) as f64;
    let height = top + plot_h + 24.0;
    let a = &c.axis;
    let x = |v: f64| x0 + (v.clamp(a.min, a.max) - a.min) / (a.max - a.min) * (x1 - x0);
    let mut out = String::with_capacity(512 + 256 * c.bars.len());
    open(&mut out, c, height);
    for t in ticks(a) {
        let _ = write!(
            out,
            "<line x1=\"{0:.1}\" y1=\"{top:.1}\" x2=\"{0:.1}\" y2=\"{1:.1}\" stroke=\"{GRID}\"/>\
             <text x=\"{0:.1}\" y=\"{2:.1}\" text-anchor=\"middle\" font-size=\"11\">{3}</text>",
            x(t),
            top + plot_h,
            top + plot_h + 16.0,
            tick_label(a, t)
        );
    }
    for (i, b) in c.bars.iter().enumerate() {
        let y = top + row_h * i as f64;
        let w = (x(b.value) - x0).max(0.0);
        let fill = if b.alert { ALERT } else { BAR };
        let _ = write!(
            out,
            "<g class=\"bar\"><title>{full}：{text}</title>\
             <text x=\"{lx:.1}\" y=\"{ty:.1}\" text-anchor=\"end\">{label}</text>\
             <rect x=\"{x0:.1}\" y=\"{by:.1}\" width=\"{w:.1}\" height=\"{bar_h}\" fill=\"{fill}\"/>\
             <text x=\"{vx:.1}\" y=\"{ty:.1}\" font-size=\"11\">{text}</text></g>",
            full = esc(&b.label),
            text = esc(&b.text),
            label = esc(&short(&b.label)),
            lx = x0 - 8.0,
            ty = y + row_h / 2.0 + 4.0,
            by = y + (row_h - bar_h) / 2.0,
            vx = x0 + w + 4.0,
        );
    }
    for (i, r) in c.rules.iter().enumerate() {
        rule_v(
            &mut out,
            x(r.value),
            12.0 + 13.0 * i as f64,
            top,
            top + plot_h,
            r,
        );
    }
    out.push_str("</svg>");
    out
}

fn rule_v(out: &mut String, x: f64, label_y: f64, y0: f64, y1: f64, r: &super::charts::Rule) {
    let (colour, dash) = if r.threshold {
        (THRESHOLD, "6 3")
    } else {
        (INK, "2 3")
    };
    let _ = write!(
        out,
        "<line class=\"rule\" x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{y1:.1}\" \
         stroke=\"{colour}\" stroke-width=\"1.5\" stroke-dasharray=\"{dash}\"/>\
         <text x=\"{x:.1}\" y=\"{label_y:.1}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{colour}\">{}</text>",
        y0 - 4.0,
        esc(&r.label)
    );
}

/// Vertical bars: a day per column, its number under it.
fn columns(c: &Chart) -> String {
    let (left, right, top, plot_h) = (56.0, 70.0, 14.0, 220.0);
    let height = top + plot_h + 28.0;
    let a = &c.axis;
    let n = c.bars.len().max(1) as f64;
    let slot = (WIDTH - left - right) / n;
    let y = |v: f64| top + plot_h - (v.clamp(a.min, a.max) - a.min) / (a.max - a.min) * plot_h;
    let mut out = String::with_capacity(512 + 200 * c.bars.len());
    open(&mut out, c, height);
    for t in ticks(a) {
        let _ = write!(
            out,
            "<line x1=\"{left}\" y1=\"{0:.1}\" x2=\"{1:.1}\" y2=\"{0:.1}\" stroke=\"{GRID}\"/>\
             <text x=\"{2:.1}\" y=\"{3:.1}\" text-anchor=\"end\" font-size=\"11\">{4}</text>",
            y(t),
            WIDTH - right,
            left - 6.0,
            y(t) + 4.0,
            tick_label(a, t)
        );
    }
    for (i, b) in c.bars.iter().enumerate() {
        let cx = left + slot * (i as f64 + 0.5);
        let h = (top + plot_h - y(b.value)).max(0.0);
        let fill = if b.alert { ALERT } else { BAR };
        let _ = write!(
            out,
            "<g class=\"bar\"><title>{label} 日：{text}</title>\
             <rect x=\"{bx:.1}\" y=\"{by:.1}\" width=\"{bw:.1}\" height=\"{h:.1}\" fill=\"{fill}\"/>\
             <text x=\"{cx:.1}\" y=\"{ly:.1}\" text-anchor=\"middle\" font-size=\"10\">{label}</text></g>",
            label = esc(&b.label),
            text = esc(&b.text),
            bx = cx - slot * 0.35,
            by = top + plot_h - h,
            bw = slot * 0.7,
            ly = top + plot_h + 14.0,
        );
    }
    for r in &c.rules {
        let ry = y(r.value);
        let _ = write!(
            out,
            "<line class=\"rule\" x1=\"{left}\" y1=\"{ry:.1}\" x2=\"{0:.1}\" y2=\"{ry:.1}\" \
             stroke=\"{INK}\" stroke-width=\"1.5\" stroke-dasharray=\"6 3\"/>\
             <text x=\"{1:.1}\" y=\"{2:.1}\" font-size=\"11\">{3}</text>",
            WIDTH - right,
            WIDTH - right + 4.0,
            ry + 4.0,
            esc(&r.label)
        );
    }
    let _ = write!(
        out,
        "<text x=\"{0:.1}\" y=\"{1:.1}\" text-anchor=\"middle\" font-size=\"11\">日</text></svg>",
        WIDTH - right + 12.0,
        top + plot_h + 14.0
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::{Bar, Rule};

    fn chart(layout: Layout, scale: Scale) -> Chart {
        Chart {
            id: "t",
            title: "图 <1>".to_owned(),
            layout,
            axis: Axis {
                min: if scale == Scale::Ratio { 0.8 } else { 0.0 },
                max: if scale == Scale::Ratio { 1.0 } else { 10.0 },
                step: if scale == Scale::Ratio { 0.05 } else { 2.0 },
                scale,
            },
            bars: vec![
                Bar {
                    label: "一个名字非常非常非常非常非常非常非常长的单位".to_owned(),
                    value: if scale == Scale::Ratio { 0.9 } else { 4.0 },
                    text: "x".to_owned(),
                    alert: true,
                },
                Bar {
                    label: "A&B".to_owned(),
                    value: if scale == Scale::Ratio { 1.0 } else { 10.0 },
                    text: "y".to_owned(),
                    alert: false,
                },
            ],
            rules: vec![Rule {
                value: 0.95,
                label: "考核线 95%".to_owned(),
                threshold: true,
            }],
            note: Some("说明".to_owned()),
        }
    }

    fn widths(svg: &str, attr: &str) -> Vec<f64> {
        svg.split("<rect ")
            .skip(1)
            .map(|r| {
                let at = r.find(&format!("{attr}=\"")).expect("attribute") + attr.len() + 2;
                r[at..r[at..].find('"').expect("end") + at]
                    .parse()
                    .expect("number")
            })
            .collect()
    }

    #[test]
    fn rows_draw_a_bar_per_unit_scaled_to_the_axis() {
        let svg = render(&chart(Layout::Rows, Scale::Ratio));
        let w = widths(&svg, "width");
        assert_eq!(w.len(), 2, "{svg}");
        // 0.9 on an 80%–100% axis is half of 100%.
        assert!((w[0] * 2.0 - w[1]).abs() < 0.5, "{w:?}");
        assert!(svg.contains(ALERT) && svg.contains(BAR));
        assert!(svg.contains("考核线 95%") && svg.contains("class=\"rule\""));
        assert!(svg.contains("A&amp;B") && svg.contains("图 &lt;1&gt;"));
        assert!(svg.contains("…</text>"), "long names are cut");
        assert!(!svg.contains("<script"));
        assert!(svg.contains(">80%<") && svg.contains(">100%<"), "ticks");
    }

    #[test]
    fn columns_draw_a_bar_per_day() {
        let svg = render(&chart(Layout::Columns, Scale::Count));
        let h = widths(&svg, "height");
        assert_eq!(h.len(), 2);
        assert!((h[0] * 2.5 - h[1]).abs() < 0.5, "{h:?}");
        assert!(svg.starts_with("<figure class=\"chart\" id=\"chart-t\"><svg "));
        assert!(svg.ends_with("</figcaption></figure>\n"));
    }
}
