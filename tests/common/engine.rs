//! Drive the engine directly from contract-v1 lines.

use std::sync::Arc;

use hotline_pulse::config::{Assessment, EngineConfig};
use hotline_pulse::engine::{Partition, Shared};
use hotline_pulse::event::Month;
use hotline_pulse::source::replay::apply_lines;
use hotline_pulse::source::AsOf;
use hotline_pulse::units::UnitRegistry;
use hotline_pulse::view::{
    aggregate, month_figures, overdue_list, Aggregate, Board, CentreFigures, Filter, MonthFigures,
    OverdueItem, Scope, UnitFigures,
};

pub struct Harness {
    pub shared: Arc<Shared>,
    pub partition: Partition,
    pub board: Arc<Board>,
    pub assessment: Assessment,
    pub as_of: i64,
}

impl Harness {
    pub fn new() -> Self {
        Self::with(EngineConfig::default(), None)
    }

    pub fn with_registry(toml: &str) -> Self {
        Self::with(
            EngineConfig::default(),
            Some(UnitRegistry::parse(toml).expect("registry")),
        )
    }

    pub fn with(config: EngineConfig, registry: Option<UnitRegistry>) -> Self {
        let shared = Shared::new(config, registry);
        let partition = Partition::new(0, shared.clone());
        Harness {
            shared,
            partition,
            board: Board::new(),
            assessment: Assessment::default(),
            as_of: i64::MIN,
        }
    }

    /// Applies lines with the as-of time following the event-time watermark.
    pub fn apply(&mut self, lines: &[String]) -> &mut Self {
        self.apply_as_of(lines, AsOf::Watermark)
    }

    pub fn apply_as_of(&mut self, lines: &[String], as_of: AsOf) -> &mut Self {
        self.as_of = apply_lines(
            lines.iter().map(|l| l.as_bytes()),
            &self.shared,
            &mut self.partition,
            as_of,
        );
        self.board.publish(0, self.partition.snapshot(), self.as_of);
        self
    }

    /// Moves time to `t` and publishes what changed.
    pub fn advance(&mut self, t: i64) -> &mut Self {
        self.partition.advance(t);
        self.as_of = self.as_of.max(t);
        self.board.publish(0, self.partition.snapshot(), t);
        self
    }

    /// Everything the partition published, summed.
    pub fn agg(&self) -> Aggregate {
        aggregate(&self.board.snapshots(Scope::Local), &Filter::default())
    }

    fn center(&self) -> &str {
        &self.shared.config.default_center
    }

    pub fn month(&self, month: &str) -> MonthFigures {
        let m: Month = month.parse().expect("month");
        month_figures(
            &self.agg(),
            &self.shared.config,
            self.center(),
            m,
            self.as_of,
            &self.assessment,
        )
        .unwrap_or_else(|| panic!("no data for {month}"))
    }

    pub fn has_month(&self, month: &str) -> bool {
        let m: Month = month.parse().expect("month");
        month_figures(
            &self.agg(),
            &self.shared.config,
            self.center(),
            m,
            self.as_of,
            &self.assessment,
        )
        .is_some()
    }

    pub fn summary(&self, month: &str) -> CentreFigures {
        self.month(month).summary
    }

    pub fn unit(&self, month: &str, unit: &str) -> UnitFigures {
        self.month(month)
            .units
            .into_iter()
            .find(|u| u.unit == unit)
            .unwrap_or_else(|| panic!("no unit {unit} in {month}"))
    }

    pub fn overdue(&self, month: &str) -> Vec<OverdueItem> {
        let m: Month = month.parse().expect("month");
        self.agg()
            .month(self.center(), m)
            .map(|s| overdue_list(s, self.shared.config.tz))
            .unwrap_or_default()
    }
}

/// One event line: `fields` is the rest of the JSON object (without braces).
pub fn ev(id: &str, order: &str, kind: &str, at: &str, fields: &str) -> String {
    let mut s = format!(r#"{{"event_id":"{id}","order_id":"{order}","type":"{kind}","at":"{at}""#);
    if !fields.is_empty() {
        s.push(',');
        s.push_str(fields);
    }
    s.push('}');
    s
}
