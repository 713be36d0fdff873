//! The metric families the engine collector renders (`shared/spec/metrics.md`, plus
//! `hotline_unit_late_extensions`): built once from the indicator tables, each family a
//! typed handle the collector fills by position — nothing is looked up by name while a
//! scrape runs.

use prometheus::proto::MetricType;

use super::text::{self, Format, Labels, Pairs};

use crate::engine::{CentreCounts, Exposed, LiveCounts, UnitCounts};
use crate::view::figures::UNIT_RATIOS;

pub(super) const U: &[&str] = &["center", "unit", "month"];
pub(super) const L: &[&str] = &["center", "unit"];
pub(super) const M: &[&str] = &["center", "month"];

/// One family's description.
#[derive(Debug, Clone)]
pub(super) struct Spec {
    pub name: &'static str,
    pub help: &'static str,
    /// Label names; a table family's distinguishing label (e.g. `result`) comes last.
    pub labels: Vec<&'static str>,
    pub kind: MetricType,
}

/// A table's fields grouped into families: `field_family[i]` is the family (index into
/// the specs) of field `i`, `None` for fields not exposed.
pub(super) struct Table {
    pub field_family: Vec<Option<usize>>,
}

fn table(specs: &mut Vec<Spec>, fields: &[Exposed], labels: &'static [&'static str]) -> Table {
    let mut field_family = Vec::with_capacity(fields.len());
    for f in fields {
        if f.family.is_empty() {
            field_family.push(None);
            continue;
        }
        let i = match specs.iter().position(|s| s.name == f.family) {
            Some(i) => i,
            None => {
                let mut l = labels.to_vec();
                if let Some((name, _)) = f.label {
                    l.push(name);
                }
                specs.push(Spec {
                    name: f.family,
                    help: f.help,
                    labels: l,
                    kind: MetricType::GAUGE,
                });
                specs.len() - 1
            }
        };
        field_family.push(Some(i));
    }
    Table { field_family }
}

/// Every family, with the positions the collector fills.
pub(super) struct Layout {
    pub specs: Vec<Spec>,
    pub unit: Table,
    pub unit_ratios: Vec<usize>,
    pub assessed: usize,
    pub score: usize,
    pub handling: usize,
    pub handling_quantiles: usize,
    pub live: Table,
    pub centre: Table,
    pub records: usize,
    pub records_by_category: usize,
    pub orders_overdue: usize,
    pub completion_ratio: usize,
    pub satisfaction_ratio: usize,
    pub first_time_resolution_ratio: usize,
    pub instant_resolution_ratio: usize,
    pub overdue_ratio: usize,
    pub unsatisfied_by_problem: usize,
    pub events: usize,
    pub rejected: usize,
    pub duplicates: usize,
    pub late: usize,
    pub unknown_units: usize,
    pub orders_tracked: usize,
    pub watermark: usize,
}

fn push(
    specs: &mut Vec<Spec>,
    name: &'static str,
    help: &'static str,
    labels: &[&'static str],
    kind: MetricType,
) -> usize {
    specs.push(Spec {
        name,
        help,
        labels: labels.to_vec(),
        kind,
    });
    specs.len() - 1
}

impl Layout {
    pub fn new() -> Self {
        use MetricType::{COUNTER as C, GAUGE as G, HISTOGRAM as H, SUMMARY as S};
        let mut specs = Vec::new();
        let unit_fields: Vec<Exposed> = UnitCounts::FIELDS.iter().map(|x| x.0).collect();
        let unit = table(&mut specs, &unit_fields, U);
        let unit_ratios = UNIT_RATIOS
            .iter()
            .map(|r| push(&mut specs, r.family, r.help, U, G))
            .collect();
        let s = &mut specs;
        let assessed = push(s, "hotline_unit_assessed", "1 if the unit has enough assigned orders to be assessed this month (纳入考核), else 0. Decided from the whole consumer group's counts.", U, G);
        let score = push(s, "hotline_unit_score", "Composite monthly score 0-100 (hotline-pulse's own default weights, configurable), from the whole consumer group's counts.", U, G);
        let handling = push(s, "hotline_unit_handling_duration_seconds", "Handling time from the dispatch that opened the assignment to its completion (办理时长).", U, H);
        let handling_quantiles = push(s, "hotline_unit_handling_duration_quantile_seconds", "Handling-time quantiles (办理时长), from a sparse log-linear histogram (1/128 precision).", U, S);
        let live_fields: Vec<Exposed> = LiveCounts::FIELDS.iter().map(|x| x.0).collect();
        let live = table(&mut specs, &live_fields, L);
        let centre_fields: Vec<Exposed> = CentreCounts::FIELDS.iter().map(|x| x.0).collect();
        let centre = table(&mut specs, &centre_fields, M);
        let s = &mut specs;
        Layout {
            unit,
            unit_ratios,
            assessed,
            score,
            handling,
            handling_quantiles,
            live,
            centre,
            records: push(s, "hotline_records", "Records taken in (受理), by channel, purpose and disposition.", &["center", "month", "channel", "purpose", "disposition"], G),
            records_by_category: push(s, "hotline_records_by_category", "Valid records by appeal category (诉求分类).", &["center", "month", "category"], G),
            orders_overdue: push(s, "hotline_orders_overdue", "Orders with an overdue assignment, by the purpose of their record (逾期).", &["center", "month", "purpose"], G),
            completion_ratio: push(s, "hotline_completion_ratio", "Centre completed / dispatched (办结率).", M, G),
            satisfaction_ratio: push(s, "hotline_satisfaction_ratio", "Centre callback satisfaction (回访满意率).", M, G),
            first_time_resolution_ratio: push(s, "hotline_first_time_resolution_ratio", "Centre first-time resolved / completed (一次办结率).", M, G),
            instant_resolution_ratio: push(s, "hotline_instant_resolution_ratio", "Centre consultations answered at the desk / valid consultations (即时办结率).", M, G),
            overdue_ratio: push(s, "hotline_overdue_ratio", "Overdue orders / valid records, by purpose (逾期占比).", &["center", "month", "purpose"], G),
            unsatisfied_by_problem: push(s, "hotline_callbacks_unsatisfied_by_problem", "Orders whose latest valid callback is unsatisfied, by problem: the record's topic, else its category (不满意办件的主要问题; bounded by the topic label cap).", &["center", "month", "problem"], G),
            events: push(s, "hotline_events_total", "Events applied, by type.", &["type"], C),
            rejected: push(s, "hotline_events_rejected_total", "Messages rejected as bad input, by reason.", &["reason"], C),
            duplicates: push(s, "hotline_events_duplicate_total", "Events whose event_id was already applied to their order.", &[], C),
            late: push(s, "hotline_events_late_total", "Events dropped because their month left the retention window.", &[], C),
            unknown_units: push(s, "hotline_unknown_units_total", "Applied events naming a unit the unit registry does not know.", &[], C),
            orders_tracked: push(s, "hotline_orders_tracked", "Orders held in memory by this instance.", &[], G),
            watermark: push(s, "hotline_watermark_timestamp_seconds", "Largest event time seen.", &[], G),
            specs,
        }
    }
}

/// One family's samples, written as they are collected, in the scrape's format.
pub(super) struct Family<'a> {
    spec: &'a Spec,
    format: Format,
    body: String,
}

impl<'a> Family<'a> {
    /// A family writing into `body` (an empty buffer, kept from an earlier scrape so
    /// that its memory is reused).
    pub fn new(spec: &'a Spec, format: Format, body: String) -> Self {
        debug_assert!(body.is_empty());
        Family { spec, format, body }
    }

    pub fn gauge(&mut self, values: &[&str], v: f64) {
        self.gauge_with(&Pairs(&self.spec.labels, values), v);
    }

    /// A sample with its labels already paired (and perhaps pre-rendered): they must
    /// be this family's.
    pub fn gauge_with(&mut self, labels: &(impl Labels + ?Sized), v: f64) {
        text::sample(
            self.format,
            &mut self.body,
            self.spec.name,
            "",
            labels,
            None,
            v,
        );
    }

    /// Counters' samples carry `_total` in both formats (the family's name has it).
    pub fn counter(&mut self, values: &[&str], v: f64) {
        self.gauge(values, v);
    }

    /// A histogram from per-bucket (not cumulative) counts.
    pub fn histogram(
        &mut self,
        labels: &(impl Labels + ?Sized),
        bounds: &[u64],
        counts: &[i64],
        n: i64,
        sum: f64,
    ) {
        let mut cumulative = 0i64;
        let buckets = bounds.iter().zip(counts).map(|(&ub, &c)| {
            cumulative += c;
            (ub as f64, cumulative.max(0) as u64)
        });
        let n = n.max(0) as u64;
        text::histogram(
            self.format,
            &mut self.body,
            self.spec.name,
            labels,
            buckets,
            n,
            sum,
        );
    }

    pub fn summary(
        &mut self,
        labels: &(impl Labels + ?Sized),
        quantiles: &[(f64, f64)],
        n: i64,
        sum: f64,
    ) {
        let (qs, n) = (quantiles.iter().copied(), n.max(0) as u64);
        text::summary(
            self.format,
            &mut self.body,
            self.spec.name,
            labels,
            qs,
            n,
            sum,
        );
    }

    /// Appends the family to `out`, headers first (a family without samples is left
    /// out), and gives its buffer back, emptied.
    pub fn finish(mut self, out: &mut String) -> String {
        if !self.body.is_empty() {
            let s = self.spec;
            text::header(self.format, s.name, s.help, s.kind, out);
            out.push_str(&self.body);
            self.body.clear();
        }
        self.body
    }
}
