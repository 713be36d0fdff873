//! The live bulletin (通报): a month's figures rendered as Markdown or HTML.
//! PLACEHOLDER — the full renderer is being written; this renders the headline only.

use crate::config::Assessment;
use crate::event::TimeZone;
use crate::view::{MonthFigures, OverdueItem};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
}

/// Renders the bulletin of one month.
pub fn render(
    figures: &MonthFigures,
    overdue: &[OverdueItem],
    assessment: &Assessment,
    tz: TimeZone,
    format: Format,
) -> String {
    let _ = (overdue, assessment, tz, format);
    format!("# {} {}\n", figures.summary.center, figures.summary.month)
}
