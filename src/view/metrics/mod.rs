//! The Prometheus collector: renders the engine's figures at scrape time, so nothing
//! is mirrored by hand into a second copy of the state.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use prometheus::core::{Collector, Desc};
use prometheus::proto::{Bucket, Counter, Gauge, Histogram, LabelPair, Metric, MetricFamily};

mod families;

use self::families::FAMILIES;
use super::aggregate::{aggregate, Filter};
use super::centre::centre_figures;
use super::figures::unit_figures;
use crate::config::Assessment;
use crate::engine::{LiveKey, Shared, HANDLING_BUCKETS_SECS};
use crate::event::{Channel, Disposition, EventType, Purpose, RejectReason, Satisfaction};

/// Renders every engine-derived metric.
pub struct EngineCollector {
    shared: Arc<Shared>,
    assessment: Arc<Assessment>,
    descs: Vec<Desc>,
}

impl EngineCollector {
    pub fn new(shared: Arc<Shared>, assessment: Arc<Assessment>) -> Self {
        let descs = FAMILIES
            .iter()
            .map(|(name, help, labels, _)| {
                Desc::new(
                    (*name).to_owned(),
                    (*help).to_owned(),
                    labels.iter().map(|l| (*l).to_owned()).collect(),
                    Default::default(),
                )
                .expect("static metric descriptions are valid")
            })
            .collect();
        EngineCollector {
            shared,
            assessment,
            descs,
        }
    }
}

/// Collects the samples of one family.
struct Family {
    mf: MetricFamily,
    labels: &'static [&'static str],
}

impl Family {
    fn new(i: usize) -> Self {
        let (name, help, labels, kind) = FAMILIES[i];
        let mut mf = MetricFamily::default();
        mf.set_name(name.to_owned());
        mf.set_help(help.to_owned());
        mf.set_field_type(kind);
        Family { mf, labels }
    }

    fn metric(&self, values: &[&str]) -> Metric {
        let mut m = Metric::default();
        m.set_label(
            self.labels
                .iter()
                .zip(values)
                .map(|(n, v)| {
                    let mut l = LabelPair::default();
                    l.set_name((*n).to_owned());
                    l.set_value((*v).to_owned());
                    l
                })
                .collect(),
        );
        m
    }

    fn gauge(&mut self, values: &[&str], v: f64) {
        let mut m = self.metric(values);
        let mut g = Gauge::default();
        g.set_value(v);
        m.set_gauge(g);
        self.mf.mut_metric().push(m);
    }

    fn counter(&mut self, values: &[&str], v: f64) {
        let mut m = self.metric(values);
        let mut c = Counter::default();
        c.set_value(v);
        m.set_counter(c);
        self.mf.mut_metric().push(m);
    }
}

fn index(name: &str) -> usize {
    FAMILIES
        .iter()
        .position(|f| f.0 == name)
        .expect("family is declared")
}

impl Collector for EngineCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let shared = &*self.shared;
        let a = &*self.assessment;
        let mut fams: Vec<Family> = (0..FAMILIES.len()).map(Family::new).collect();
        let agg = aggregate(
            shared,
            Filter {
                quantiles: true,
                ..Filter::default()
            },
        );
        for (k, s) in &agg.units {
            let center = shared.centers.name(k.center);
            let unit = shared.units.name(k.unit);
            let month = k.month.to_string();
            let l: [&str; 3] = [&center, &unit, &month];
            let f = unit_figures(unit.to_string(), s, Default::default(), a);
            put(
                &mut fams,
                "hotline_unit_orders_assigned",
                &l,
                f.assigned as f64,
            );
            put(
                &mut fams,
                "hotline_unit_orders_completed",
                &l,
                f.completed as f64,
            );
            put(
                &mut fams,
                "hotline_unit_orders_completed_on_time",
                &l,
                f.completed_on_time as f64,
            );
            put(
                &mut fams,
                "hotline_unit_orders_overdue",
                &l,
                f.overdue as f64,
            );
            put(
                &mut fams,
                "hotline_unit_orders_returned",
                &l,
                f.returned as f64,
            );
            put(
                &mut fams,
                "hotline_unit_orders_reopened",
                &l,
                f.reopened as f64,
            );
            put(
                &mut fams,
                "hotline_unit_orders_first_time_resolved",
                &l,
                f.first_time_resolved as f64,
            );
            put(
                &mut fams,
                "hotline_unit_late_extensions",
                &l,
                f.late_extensions as f64,
            );
            for s in Satisfaction::ALL {
                let n = s_count(&f.callbacks, *s);
                put(
                    &mut fams,
                    "hotline_unit_callbacks",
                    &[&center, &unit, &month, s.as_str()],
                    n as f64,
                );
            }
            put(
                &mut fams,
                "hotline_unit_callbacks_resolved",
                &l,
                f.callbacks.resolved as f64,
            );
            put(
                &mut fams,
                "hotline_unit_consultations",
                &l,
                f.consultations as f64,
            );
            put(
                &mut fams,
                "hotline_unit_consultations_answered_directly",
                &l,
                f.consultations_answered_directly as f64,
            );
            let r = &f.ratios;
            for (name, v) in [
                ("hotline_unit_completion_ratio", r.completion),
                ("hotline_unit_on_time_ratio", r.on_time),
                ("hotline_unit_satisfaction_ratio", r.satisfaction),
                ("hotline_unit_resolution_ratio", r.resolution),
                (
                    "hotline_unit_first_time_resolution_ratio",
                    r.first_time_resolution,
                ),
                ("hotline_unit_return_ratio", r.return_),
                (
                    "hotline_unit_instant_resolution_ratio",
                    r.instant_resolution,
                ),
                ("hotline_unit_score", f.score),
            ] {
                if let Some(v) = v {
                    put(&mut fams, name, &l, v);
                }
            }
            put(
                &mut fams,
                "hotline_unit_assessed",
                &l,
                if f.assessed { 1.0 } else { 0.0 },
            );
            for (q, v) in [
                ("0.5", f.handling_time.p50_seconds),
                ("0.9", f.handling_time.p90_seconds),
                ("0.99", f.handling_time.p99_seconds),
            ] {
                if let Some(v) = v {
                    put(
                        &mut fams,
                        "hotline_unit_handling_duration_quantile_seconds",
                        &[&center, &unit, &month, q],
                        v as f64,
                    );
                }
            }
            let fam = &mut fams[index("hotline_unit_handling_duration_seconds")];
            let mut m = fam.metric(&l);
            let mut h = Histogram::default();
            let mut cumulative = 0i64;
            let mut buckets = Vec::with_capacity(HANDLING_BUCKETS_SECS.len());
            for (i, &ub) in HANDLING_BUCKETS_SECS.iter().enumerate() {
                cumulative += s.handling_buckets[i];
                let mut b = Bucket::default();
                b.set_upper_bound(ub as f64);
                b.set_cumulative_count(cumulative.max(0) as u64);
                buckets.push(b);
            }
            h.set_bucket(buckets);
            h.set_sample_count(s.handling_count.max(0) as u64);
            h.set_sample_sum(s.handling_sum_ms as f64 / 1000.0);
            m.set_histogram(h);
            fam.mf.mut_metric().push(m);
        }
        for (LiveKey { center, unit }, s) in &agg.live {
            let center = shared.centers.name(*center);
            let unit = shared.units.name(*unit);
            let l: [&str; 2] = [&center, &unit];
            fams[index("hotline_unit_orders_open")].gauge(&l, s.open as f64);
            fams[index("hotline_unit_orders_open_overdue")].gauge(&l, s.open_overdue as f64);
            fams[index("hotline_unit_orders_due_soon")].gauge(&l, s.due_soon as f64);
        }
        for (k, s) in &agg.centre {
            let center = shared.centers.name(k.center);
            let month = k.month.to_string();
            let l: [&str; 2] = [&center, &month];
            for &c in Channel::ALL {
                for &p in Purpose::ALL {
                    for &d in Disposition::ALL {
                        let n = s.record(c, p, d);
                        if n != 0 {
                            fams[index("hotline_records")].gauge(
                                &[&center, &month, c.as_str(), p.as_str(), d.as_str()],
                                n as f64,
                            );
                        }
                    }
                }
            }
            for (&cat, &n) in &s.categories {
                if n != 0 {
                    let name = shared.categories.name(cat);
                    fams[index("hotline_records_by_category")]
                        .gauge(&[&center, &month, &name], n as f64);
                }
            }
            let f = centre_figures(shared, *k, s, shared.watermark.load(Relaxed), a);
            put(
                &mut fams,
                "hotline_orders_dispatched",
                &l,
                f.dispatched as f64,
            );
            put(
                &mut fams,
                "hotline_orders_completed",
                &l,
                f.completed as f64,
            );
            put(
                &mut fams,
                "hotline_orders_first_time_resolved",
                &l,
                f.first_time_resolved as f64,
            );
            for sat in Satisfaction::ALL {
                put(
                    &mut fams,
                    "hotline_callbacks",
                    &[&center, &month, sat.as_str()],
                    s_count(&f.callbacks, *sat) as f64,
                );
            }
            for o in &f.overdue_by_purpose {
                put(
                    &mut fams,
                    "hotline_orders_overdue",
                    &[&center, &month, &o.purpose],
                    o.overdue as f64,
                );
                if let Some(r) = o.ratio {
                    put(
                        &mut fams,
                        "hotline_overdue_ratio",
                        &[&center, &month, &o.purpose],
                        r,
                    );
                }
            }
            for p in s.analysis.figures(shared, k.month).unsatisfied.problems {
                put(
                    &mut fams,
                    "hotline_callbacks_unsatisfied_by_problem",
                    &[&center, &month, &p.problem],
                    p.count as f64,
                );
            }
            for (name, v) in [
                ("hotline_completion_ratio", f.completion_ratio),
                ("hotline_satisfaction_ratio", f.satisfaction_ratio),
                (
                    "hotline_first_time_resolution_ratio",
                    f.first_time_resolution_ratio,
                ),
                (
                    "hotline_instant_resolution_ratio",
                    f.instant_resolution_ratio,
                ),
            ] {
                if let Some(v) = v {
                    put(&mut fams, name, &l, v);
                }
            }
        }
        let st = &shared.stats;
        for t in EventType::ALL {
            fams[index("hotline_events_total")]
                .counter(&[t.as_str()], st.applied[t as usize].load(Relaxed) as f64);
        }
        for (i, r) in RejectReason::ALL.iter().enumerate() {
            fams[index("hotline_events_rejected_total")]
                .counter(&[r.code()], st.rejected[i].load(Relaxed) as f64);
        }
        fams[index("hotline_events_duplicate_total")]
            .counter(&[], st.duplicates.load(Relaxed) as f64);
        fams[index("hotline_events_late_total")].counter(&[], st.late.load(Relaxed) as f64);
        fams[index("hotline_unknown_units_total")]
            .counter(&[], st.unknown_units.load(Relaxed) as f64);
        let tracked: i64 = shared
            .views()
            .iter()
            .map(|v| v.orders_tracked.load(Relaxed))
            .sum();
        fams[index("hotline_orders_tracked")].gauge(&[], tracked as f64);
        let wm = shared.watermark.load(Relaxed);
        if wm != i64::MIN {
            fams[index("hotline_watermark_timestamp_seconds")].gauge(&[], wm as f64 / 1000.0);
        }
        fams[index("hotline_build_info")].gauge(&[env!("CARGO_PKG_VERSION")], 1.0);
        fams.into_iter()
            .map(|f| f.mf)
            .filter(|mf| !mf.get_metric().is_empty())
            .collect()
    }
}

fn put(fams: &mut [Family], name: &str, values: &[&str], v: f64) {
    fams[index(name)].gauge(values, v);
}

fn s_count(c: &super::figures::Callbacks, s: Satisfaction) -> i64 {
    match s {
        Satisfaction::Satisfied => c.satisfied,
        Satisfaction::BasicallySatisfied => c.basically_satisfied,
        Satisfaction::Unsatisfied => c.unsatisfied,
    }
}
