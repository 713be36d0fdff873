//! Drive the engine directly from contract-v1 lines.

use std::sync::Arc;

use hotline_pulse::config::{Assessment, EngineConfig};
use hotline_pulse::engine::{Partition, Shared};
use hotline_pulse::event::Month;
use hotline_pulse::source::replay::apply_lines;
use hotline_pulse::source::AsOf;
use hotline_pulse::units::{UnitRegistry, Units};
use hotline_pulse::view::{
    month_figures, overdue_list, CentreFigures, MonthFigures, OverdueItem, UnitFigures,
};

pub struct Harness {
    pub shared: Arc<Shared>,
    pub partition: Partition,
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
        let cap = config.unit_label_cap;
        let shared = Shared::new(config, Units::new(registry, cap));
        let partition = Partition::new(0, shared.clone());
        Harness {
            shared,
            partition,
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
        self
    }

    pub fn month(&self, month: &str) -> MonthFigures {
        let m: Month = month.parse().expect("month");
        let center = self
            .shared
            .centers
            .get(&self.shared.config.default_center)
            .expect("centre");
        month_figures(&self.shared, center, m, self.as_of, &self.assessment)
            .unwrap_or_else(|| panic!("no data for {month}"))
    }

    pub fn has_month(&self, month: &str) -> bool {
        let m: Month = month.parse().expect("month");
        let center = self
            .shared
            .centers
            .get(&self.shared.config.default_center)
            .expect("centre");
        month_figures(&self.shared, center, m, self.as_of, &self.assessment).is_some()
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
        let center = self
            .shared
            .centers
            .get(&self.shared.config.default_center)
            .expect("centre");
        overdue_list(&self.shared, center, month.parse().expect("month"))
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
