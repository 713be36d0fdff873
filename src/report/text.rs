//! How the bulletin writes numbers, dates and untrusted text: shared by both formats so
//! that the Markdown and the HTML page never disagree on a figure.

use chrono::{Datelike, NaiveDateTime, Timelike};

/// A ratio as the bulletins print it: "99.52%", rounded half up (the office's hand
/// rounding, e.g. 31/32 → "96.88%"); "—" when there is no denominator.
pub fn pct(r: Option<f64>) -> String {
    match r {
        Some(r) if r.is_finite() => {
            // Basis points first, so that the rounding happens once.
            let bp = (r * 10_000.0).round() as i64;
            let sign = if bp < 0 { "-" } else { "" };
            let bp = bp.abs();
            format!("{sign}{}.{:02}%", bp / 100, bp % 100)
        }
        _ => "—".to_owned(),
    }
}

/// A configured threshold as a percentage without needless decimals: 0.95 → "95%".
pub fn threshold(t: f64) -> String {
    let p = t * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{}%", p.round() as i64)
    } else {
        let s = format!("{p:.2}");
        format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
    }
}

/// "2024 年 11 月 12 日".
pub fn date(t: NaiveDateTime) -> String {
    format!("{} 年 {} 月 {} 日", t.year(), t.month(), t.day())
}

/// "2024 年 12 月 12 日 10 时" (minutes only when there are some).
pub fn hour(t: NaiveDateTime) -> String {
    if t.minute() == 0 {
        format!("{} {} 时", date(t), t.hour())
    } else {
        format!("{} {} 时 {} 分", date(t), t.hour(), t.minute())
    }
}

/// A local "YYYY-MM-DD HH:MM" (the overdue list's form) as a date, if it is one.
pub fn date_of_local(s: &str) -> Option<String> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .ok()
        .map(date)
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a Markdown table cell or list item: ASCII punctuation that means
/// something to Markdown gets a backslash, and line breaks (which would end the row)
/// become spaces. Unit names and remarks come from upstream systems.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_half_up_like_the_bulletins() {
        assert_eq!(pct(Some(31.0 / 32.0)), "96.88%");
        assert_eq!(pct(Some(1088.0 / 1094.0)), "99.45%");
        assert_eq!(pct(Some(767.0 / 805.0)), "95.28%");
        assert_eq!(pct(Some(1.0)), "100.00%");
        assert_eq!(pct(Some(0.0)), "0.00%");
        assert_eq!(pct(Some(0.00401)), "0.40%");
        assert_eq!(pct(None), "—");
        assert_eq!(pct(Some(f64::NAN)), "—");
    }

    #[test]
    fn thresholds_drop_needless_decimals() {
        assert_eq!(threshold(0.95), "95%");
        assert_eq!(threshold(0.7), "70%");
        assert_eq!(threshold(0.925), "92.5%");
        assert_eq!(threshold(1.0), "100%");
    }

    #[test]
    fn dates_are_written_the_chinese_way() {
        let t = NaiveDateTime::parse_from_str("2024-12-12 10:00", "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(hour(t), "2024 年 12 月 12 日 10 时");
        let t = NaiveDateTime::parse_from_str("2024-12-02 09:05", "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(hour(t), "2024 年 12 月 2 日 9 时 5 分");
        assert_eq!(
            date_of_local("2024-11-13 10:05").as_deref(),
            Some("2024 年 11 月 13 日")
        );
        assert_eq!(date_of_local("yesterday"), None);
    }

    #[test]
    fn html_escapes_every_special_character() {
        assert_eq!(
            html(r#"<script>alert("x&y")</script> O'Neil"#),
            "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt; O&#39;Neil"
        );
        assert_eq!(html("市卫生健康委员会"), "市卫生健康委员会");
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(md("a|b\nc"), r"a\|b c");
        assert_eq!(md("<b>*x*</b>"), r"\<b\>\*x\*\</b\>");
        assert_eq!(md("部门相互推诿导致超期"), "部门相互推诿导致超期");
    }
}
