//! The live bulletin against the office's hand-written ones: streams rebuilt from the
//! Golmud (2024-11) and Haikou (2023-01) seed bulletins must render their figures, in
//! their tables and sentences: `golmud` (both ranking tables, the overview with its
//! month-over-month change, the overdue list), `haikou` (centre figures, unit lists, the
//! analysis of section 二, the overdue clearance), `week` (the weekly report of the
//! Golmud overdue list). The CLI and `/report`: report_cli.rs.

#[path = "../common/bulletin/mod.rs"]
mod bulletin;
#[path = "../common/mod.rs"]
mod common;

mod golmud;
mod haikou;
mod week;

use std::collections::BTreeMap;

pub fn pct(num: i64, den: i64) -> String {
    // The seed's own rounding (half up, two decimals), written out independently of the
    // renderer: integer basis points.
    let bp = (num * 1_000_000 / den + 50) / 100;
    format!("{}.{:02}%", bp / 100, bp % 100)
}

pub fn date((y, m, d): (i32, u32, u32)) -> String {
    format!("{y} 年 {m} 月 {d} 日")
}

/// Rows by unit name.
pub fn by_unit(rows: &[Vec<String>]) -> BTreeMap<String, Vec<String>> {
    rows.iter()
        .filter(|r| r.len() >= 2)
        .map(|r| (r[1].clone(), r.clone()))
        .collect()
}
