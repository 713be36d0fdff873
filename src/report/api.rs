//! The figures behind the bulletin's analysis, trends and overdue clearance, as the JSON
//! API's `/api/v1/months/{month}/analysis` object.

use serde::Serialize;

use super::model::Bulletin;
use super::Report;
use crate::view::{AnalysisFigures, UnitCount};

/// Month-over-month changes (较上月), when the previous month is retained.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Trends {
    pub previous_month: String,
    /// The previous month's records, if it is retained.
    pub previous_records: Option<i64>,
    /// Relative change of the records (0.0252 = 上升 2.52%).
    pub records_change: Option<f64>,
    /// Differences of the centre's rates (0.003 = 上升 0.30 个百分点).
    pub satisfaction_ratio_change: Option<f64>,
    pub first_time_resolution_ratio_change: Option<f64>,
    pub instant_resolution_ratio_change: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MonthAnalysis {
    pub center: String,
    pub month: String,
    #[serde(flatten)]
    pub figures: AnalysisFigures,
    /// Units with overdue orders (超期工单), most first: 逾期件专项清理.
    pub overdue_units: Vec<UnitCount>,
    pub trends: Trends,
}

/// The analysis object of a bulletin's month.
pub fn analysis(report: &Report) -> MonthAnalysis {
    let b = Bulletin::new(report);
    let s = &report.figures.summary;
    let change = |i: usize| b.rates.get(i).and_then(|r| r.change);
    MonthAnalysis {
        center: s.center.clone(),
        month: s.month.clone(),
        figures: report.analysis.clone(),
        overdue_units: b
            .overdue_units
            .iter()
            .map(|(unit, count)| UnitCount {
                unit: unit.clone(),
                count: *count,
            })
            .collect(),
        trends: Trends {
            previous_month: s
                .month
                .parse::<crate::event::Month>()
                .map(|m| m.pred(1).to_string())
                .unwrap_or_default(),
            previous_records: report.previous.as_ref().map(|p| p.records),
            records_change: b.overview.change,
            satisfaction_ratio_change: change(0),
            first_time_resolution_ratio_change: change(1),
            instant_resolution_ratio_change: change(2),
        },
    }
}
