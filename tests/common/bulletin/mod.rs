//! Event streams that reproduce the seed bulletins from their own tables and figures,
//! and readers for the rendered Markdown bulletin:
//!
//! - `events`: contract-v1 lines with fresh event ids;
//! - `golmud` and `golmud_stream`: Golmud, November 2024 (both ranking tables, the 41
//!   overdue orders, the overview, October's records);
//! - `haikou`, `haikou_plan` and `haikou_stream`: Haikou, January 2023 (centre figures,
//!   the six unit lists, overdue by purpose, the analysis of section 二);
//! - `markdown`: sections, tables and lists of the rendered Markdown.
//!
//! Included by the report tests with `#[path]` beside `mod common;` (tests/common/mod.rs
//! lists only the helpers every binary may share), hence `crate::common` inside.
#![allow(dead_code, unused_imports)] // each report test binary uses a part

mod events;
mod golmud;
mod golmud_stream;
mod haikou;
mod haikou_plan;
mod haikou_stream;
mod markdown;

pub use golmud::*;
pub use haikou::*;
pub use markdown::*;

use hotline_pulse::event::{parse_timestamp, TimeZone};
use hotline_pulse::report::{self, Format};
use hotline_pulse::source::AsOf;

use crate::common::engine::Harness;

/// The as-of time of a fixed timestamp.
pub fn as_of(ts: &str) -> AsOf {
    AsOf::Fixed(parse_timestamp(ts, TimeZone::CHINA).expect("timestamp"))
}

/// The harness's default centre.
pub fn center(h: &Harness) -> &str {
    &h.shared.config.default_center
}

/// The report of `month` as built in-process.
pub fn build(h: &Harness, month: &str) -> report::Report {
    report::build(
        &h.agg(),
        &h.shared.config,
        center(h),
        month.parse().expect("month"),
        h.as_of,
        &h.assessment,
    )
    .unwrap_or_else(|| panic!("no report for {month}"))
}

/// The weekly report of `week` as built in-process (`None`: not started yet).
pub fn build_week(h: &Harness, week: &str) -> Option<report::WeekReport> {
    report::build_week(
        &h.agg(),
        &h.shared.config,
        center(h),
        week.parse().expect("week"),
        h.as_of,
    )
}

/// The bulletin of `month` rendered in-process.
pub fn render(h: &Harness, month: &str, format: Format) -> String {
    report::render(&build(h, month), format)
}
