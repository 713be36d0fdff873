//! The read side: the [`Board`] of published partition snapshots, summed into figures
//! (the JSON API's objects, the report's input) and rendered for Prometheus at scrape
//! time.

mod aggregate;
mod analysis;
mod board;
mod centre;
mod figures;
mod metrics;
mod overdue;

pub use aggregate::{aggregate, Aggregate, Filter, MonthSum, UnitSum};
pub use analysis::{analysis, AnalysisFigures, ProblemCount, ProblemFigures, UnitCount};
pub use board::{Board, Completeness, Entry, Scope};
pub use centre::{
    centre_figures, days_covered, CentreFigures, ChannelDisposition, Count, OverdueShare,
};
pub use figures::{
    month_figures, months, ratio, score, unit_figures, Callbacks, MonthFigures, RatioDef, Ratios,
    UnitFigures, UNIT_RATIOS,
};
pub use metrics::{Exposition, Format};
pub use overdue::{overdue_list, OverdueItem};
