//! The live bulletin (通报): a month's figures laid out like the office's hand-written
//! monthly bulletins, rendered as Markdown or as one self-contained HTML page.
//!
//! `build` gathers the figures once; `model` (with `rates` for the 三率 lists) turns
//! them into the seven sections, deciding every ranking, threshold list and share once
//! for both formats; `markdown` and `html` only lay the sections out; `text` writes
//! numbers, dates and escaped strings the same way for both.

mod html;
mod markdown;
mod model;
mod prose;
mod rates;
mod text;

use crate::config::{Assessment, EngineConfig};
use crate::event::{Millis, Month, TimeZone};
use crate::view::{month_figures, overdue_list, Aggregate, MonthFigures, OverdueItem};

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
    /// Records of the month before, when that month is still retained: the overview's
    /// "较上月上升 2.52%".
    pub previous_records: Option<i64>,
}

/// Gathers the bulletin of `center`'s `month` from summed views, or `None` if the
/// month holds no data.
pub fn build(
    agg: &Aggregate,
    config: &EngineConfig,
    center: &str,
    month: Month,
    as_of: Millis,
    assessment: &Assessment,
) -> Option<Report> {
    let figures = month_figures(agg, config, center, month, as_of, assessment)?;
    let previous_records = month_figures(agg, config, center, month.pred(1), as_of, assessment)
        .map(|f| f.summary.records)
        .filter(|&n| n > 0);
    let overdue = agg
        .month(center, month)
        .map(|m| overdue_list(m, config.tz))
        .unwrap_or_default();
    Some(Report {
        figures,
        overdue,
        assessment: assessment.clone(),
        tz: config.tz,
        previous_records,
    })
}

/// Renders a bulletin.
pub fn render(report: &Report, format: Format) -> String {
    let bulletin = model::Bulletin::new(report);
    match format {
        Format::Markdown => markdown::render(&bulletin),
        Format::Html => html::render(&bulletin),
    }
}
