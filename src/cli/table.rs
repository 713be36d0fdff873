//! The readable text output of `replay --format table`.

use std::io::{self, Write};

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
    writeln!(
        out,
        "{:<28} {:>7} {:>7} {:>8} {:>7} {:>6} {:>8} {:>8} {:>8} {:>8} {:>6}",
        "unit",
        "assigned",
        "done",
        "done%",
        "overdue",
        "calls",
        "satisf%",
        "first%",
        "instant%",
        "score",
        "assess"
    )?;
    for u in &f.units {
        writeln!(
            out,
            "{:<28} {:>7} {:>7} {:>8} {:>7} {:>6} {:>8} {:>8} {:>8} {:>8} {:>6}",
            u.unit,
            u.assigned,
            u.completed,
            pct(u.ratios.completion),
            u.overdue,
            u.callbacks.total,
            pct(u.ratios.satisfaction),
            pct(u.ratios.first_time_resolution),
            pct(u.ratios.instant_resolution),
            u.score
                .map_or_else(|| "-".to_owned(), |s| format!("{s:.1}")),
            if u.assessed { "yes" } else { "no" }
        )?;
    }
    writeln!(out)
}
