//! The read side: sums the partitions' counters into figures (the JSON API's objects,
//! the report's input) and renders them for Prometheus at scrape time.

mod aggregate;
mod centre;
mod figures;
mod metrics;
mod overdue;

pub use aggregate::{aggregate, Aggregate, CentreSum, Filter, LiveSum, UnitSum};
pub use centre::{
    analysis, centre_figures, days_covered, CentreFigures, ChannelDisposition, Count, OverdueShare,
};
pub use figures::{
    month_figures, months, ratio, unit_figures, Callbacks, MonthFigures, Ratios, UnitFigures,
};
pub use metrics::EngineCollector;
pub use overdue::{overdue_list, OverdueItem};
