//! The live bulletin (通报): a month's figures rendered as Markdown or HTML.
//! PLACEHOLDER — the full renderer is being written; this renders the headline only.

use crate::config::Assessment;
use crate::engine::Shared;
use crate::event::{Millis, Month, TimeZone};
use crate::units::LabelId;
use crate::view::{month_figures, overdue_list, MonthFigures, OverdueItem};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
}

/// Everything one bulletin shows.
#[derive(Debug, Clone)]
pub struct Report {
    pub figures: MonthFigures,
    pub overdue: Vec<OverdueItem>,
    pub assessment: Assessment,
    pub tz: TimeZone,
}

/// Gathers the bulletin of `month`, or `None` if the month holds no data.
pub fn build(
    shared: &Shared,
    center: LabelId,
    month: Month,
    as_of: Millis,
    assessment: &Assessment,
) -> Option<Report> {
    let figures = month_figures(shared, center, month, as_of, assessment)?;
    Some(Report {
        figures,
        overdue: overdue_list(shared, center, month),
        assessment: assessment.clone(),
        tz: shared.config.tz,
    })
}

/// Renders a bulletin.
pub fn render(report: &Report, format: Format) -> String {
    let _ = format;
    format!(
        "# {} {}\n",
        report.figures.summary.center, report.figures.summary.month
    )
}
