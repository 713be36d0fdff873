//! The live bulletin (通报): a month's figures laid out like the office's hand-written
//! monthly bulletins, rendered as Markdown, as one self-contained HTML page with SVG
//! charts, or as a PDF printed from that page by Chromium; and the weekly report of
//! long-overdue orders (周通报).
//!
//! `build` gathers the figures once; `model` (with `rates` for the 三率 lists) turns
//! them into the sections, deciding every ranking, threshold list, share and analysis
//! once for all formats. `prose` writes the sentences, `tables` the tables and `charts`
//! the charts, once each; `markdown` and `html` (with `svg`) only lay them out; `text`
//! writes numbers, dates and escaped strings the same way everywhere.

mod api;
mod charts;
mod html;
mod markdown;
mod model;
pub mod pdf;
mod prose;
mod rates;
mod svg;
mod tables;
mod text;
pub mod week;

pub use api::{analysis, MonthAnalysis, Trends};
pub use pdf::PdfError;
pub use week::{Week, WeekReport};

use crate::config::{Assessment, EngineConfig};
use crate::event::{Millis, Month, TimeZone};
use crate::view::{
    month_figures, overdue_list, Aggregate, AnalysisFigures, CentreFigures, MonthFigures,
    OverdueItem,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
}

/// What a report is written as: text, or the HTML page printed to PDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Markdown,
    Html,
    Pdf,
}

impl Output {
    pub fn content_type(self) -> &'static str {
        match self {
            Output::Markdown => "text/markdown; charset=utf-8",
            Output::Html => "text/html; charset=utf-8",
            Output::Pdf => "application/pdf",
        }
    }
}

/// Which report: a month's bulletin or a week's report of long-overdue orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Month(Month),
    Week(Week),
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("no data for month {0}: it is not retained or has no events")]
    NoMonth(Month),
    #[error("week {0} has not started at the as-of time")]
    FutureWeek(Week),
    #[error(transparent)]
    Pdf(#[from] PdfError),
}

/// Everything one bulletin shows.
#[derive(Debug, Clone)]
pub struct Report {
    pub figures: MonthFigures,
    pub overdue: Vec<OverdueItem>,
    pub assessment: Assessment,
    pub tz: TimeZone,
    /// The centre's figures of the month before, when that month is still retained:
    /// the trends ("较上月上升 2.52%").
    pub previous: Option<CentreFigures>,
    /// The per-order figures of the analysis (数据分析) and the records per day.
    pub analysis: AnalysisFigures,
    /// When some partitions' figures are missing or stale (several instances): what the
    /// reader is told next to the as-of time.
    pub incomplete: Option<String>,
}

/// Gathers the bulletin of `month`, or `None` if the month holds no data.
pub fn build(
    agg: &Aggregate,
    config: &EngineConfig,
    center: &str,
    month: Month,
    as_of: Millis,
    assessment: &Assessment,
) -> Option<Report> {
    let figures = month_figures(agg, config, center, month, as_of, assessment)?;
    let previous = month_figures(agg, config, center, month.pred(1), as_of, assessment)
        .map(|f| f.summary)
        .filter(|s| s.records > 0);
    let sum = agg.month(center, month)?;
    Some(Report {
        figures,
        overdue: overdue_list(sum, config.tz),
        assessment: assessment.clone(),
        tz: config.tz,
        previous,
        analysis: crate::view::analysis(sum, month),
        incomplete: None,
    })
}

pub fn render(report: &Report, format: Format) -> String {
    let bulletin = model::Bulletin::new(report);
    match format {
        Format::Markdown => markdown::render(&bulletin),
        Format::Html => html::render(&bulletin),
    }
}

/// Gathers the weekly report of `week` (None if the week has not started by `as_of`).
pub fn build_week(
    agg: &Aggregate,
    config: &EngineConfig,
    center: &str,
    week: Week,
    as_of: Millis,
) -> Option<WeekReport> {
    week::build(agg, config, center, week, as_of)
}

/// Renders a weekly report.
pub fn render_week(report: &WeekReport, format: Format) -> String {
    match format {
        Format::Markdown => markdown::render_week(report),
        Format::Html => html::render_week(report),
    }
}

/// What is asked of [`produce`].
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub center: &'a str,
    pub period: Period,
    pub as_of: Millis,
    pub output: Output,
    /// Said beside the as-of time while the figures are not yet the whole group's.
    pub incomplete: Option<&'a str>,
}

/// Builds and writes the report a [`Request`] asks for (what `/report` and `replay
/// --report` serve). PDF output runs a browser: call it off the async runtime.
pub fn produce(
    agg: &Aggregate,
    config: &EngineConfig,
    assessment: &Assessment,
    req: Request<'_>,
) -> Result<Vec<u8>, ReportError> {
    let Request {
        center,
        period,
        as_of,
        output,
        incomplete,
    } = req;
    let format = match output {
        Output::Markdown => Format::Markdown,
        Output::Html | Output::Pdf => Format::Html,
    };
    let text = match period {
        Period::Month(m) => {
            let mut r =
                build(agg, config, center, m, as_of, assessment).ok_or(ReportError::NoMonth(m))?;
            r.incomplete = incomplete.map(str::to_owned);
            render(&r, format)
        }
        Period::Week(w) => {
            let mut r =
                build_week(agg, config, center, w, as_of).ok_or(ReportError::FutureWeek(w))?;
            if let Some(note) = incomplete {
                r.as_of = format!("{}（{note}）", r.as_of);
            }
            render_week(&r, format)
        }
    };
    match output {
        Output::Pdf => Ok(pdf::print(&text)?),
        Output::Markdown | Output::Html => Ok(text.into_bytes()),
    }
}
