//! The readable text output of `replay --format table`.

use std::io::{self, Write};

use comfy_table::{presets, CellAlignment, ContentArrangement, Table};

use crate::event::TimeZone;
use crate::view::MonthFigures;

fn pct(r: Option<f64>) -> String {
    r.map_or_else(|| "-".to_owned(), |r| format!("{:.2}%", r * 100.0))
}

pub fn write(out: &mut dyn Write, f: &MonthFigures, tz: TimeZone) -> io::Result<()> {
    let s = &f.summary;
    writeln!(
        out,
        "== {} {} (as of {}) ==",
        s.center,
        s.month,
        tz.local(s.as_of).format("%Y-%m-%d %H:%M")
    )?;
    writeln!(
        out,
        "records {}  valid {}  daily avg {}  dispatched {}  completed {}  overdue {}",
        s.records,
        s.valid_records,
        s.daily_average
            .map_or_else(|| "-".to_owned(), |d| format!("{d:.0}")),
        s.dispatched,
        s.completed,
        s.overdue
    )?;
    writeln!(
        out,
        "completion {}  satisfaction {} ({} callbacks)  first-time {}  instant {} ({} consultations)",
        pct(s.completion_ratio),
        pct(s.satisfaction_ratio),
        s.callbacks.total,
        pct(s.first_time_resolution_ratio),
        pct(s.instant_resolution_ratio),
        s.consultations
    )?;
    let rows = f.units.iter().map(|u| {
        [
            u.unit.to_string(),
            u.assigned.to_string(),
            u.completed.to_string(),
            pct(u.ratios.completion),
            u.overdue.to_string(),
            u.callbacks.total.to_string(),
            pct(u.ratios.satisfaction),
            pct(u.ratios.first_time_resolution),
            pct(u.ratios.instant_resolution),
            u.score
                .map_or_else(|| "-".to_owned(), |s| format!("{s:.1}")),
            (if u.assessed { "yes" } else { "no" }).to_owned(),
        ]
    });
    for line in lines(rows) {
        writeln!(out, "{line}")?;
    }
    writeln!(out)
}

const HEADER: [&str; 11] = [
    "unit", "assigned", "done", "done%", "overdue", "calls", "satisf%", "first%", "instant%",
    "score", "assess",
];

/// The unit table's lines, aligned by display width: a Chinese unit name is twice as
/// wide as its character count (comfy-table measures with unicode-width).
fn lines(rows: impl Iterator<Item = [String; 11]>) -> Vec<String> {
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(HEADER);
    for row in rows {
        table.add_row(row);
    }
    for i in 1..HEADER.len() {
        if let Some(c) = table.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    table.lines().map(|l| l.trim_end().to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use unicode_width::UnicodeWidthStr;

    use super::*;

    #[test]
    fn columns_line_up_by_display_width_with_chinese_names() {
        let row = |name: &str, n: u32| -> [String; 11] {
            std::array::from_fn(|i| match i {
                0 => name.to_owned(),
                1 => n.to_string(),
                _ => "-".to_owned(),
            })
        };
        let rows = vec![
            row("市人力资源和社会保障局", 50),
            row("移动公司", 7),
            row("ACME", 1234),
        ];
        let lines = lines(rows.into_iter());
        let text = lines.join("\n");
        let rows: Vec<&String> = lines.iter().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(rows.len(), 4, "{text}");
        // The right edge of the "assigned" column is at the same display column.
        let edge = |row: &str, cell: &str| {
            let at = row.find(cell).unwrap_or_else(|| panic!("{cell} in {row}"));
            row[..at].width() + cell.width()
        };
        let header = edge(rows[0], "assigned");
        assert_eq!(edge(rows[1], " 50"), header, "{text}");
        assert_eq!(edge(rows[2], " 7"), header, "{text}");
        assert_eq!(edge(rows[3], " 1234"), header, "{text}");
    }
}
