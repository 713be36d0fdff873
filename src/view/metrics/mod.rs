//! `/metrics`: the engine's figures rendered at scrape time from the published
//! snapshots (nothing is mirrored by hand into a second copy of the state) and written
//! straight to text — no intermediate protobuf families, no per-sample allocation, no
//! re-sorting of what is already in order — then the registry's own instruments.
//!
//! Counts are this instance's partitions only (`Scope::Local`), so that Prometheus sums
//! over instances are exact; assessment and score are decided on the whole consumer
//! group's counts (`Scope::Group`), so every instance exports the same value. Unit
//! labels are capped here, at exposure: past the cap a month's smallest units are summed
//! under 其他单位, together with a unit of that name if it has one (the state keeps every
//! name).

mod cap;
mod families;
mod text;

use std::borrow::Cow;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use parking_lot::Mutex;

use prometheus::Registry;

use self::cap::capped;
use self::families::{Family, Layout, U};
pub use self::text::Format;
use self::text::{Pairs, Rendered};
use super::aggregate::{aggregate, Aggregate, Filter, MonthSum, UnitSum};
use super::board::{Board, Scope};
use super::centre::centre_figures;
use super::figures::{score, Ratios, UNIT_RATIOS};
use crate::config::Assessment;
use crate::engine::{CentreCounts, Dim, LiveCounts, Shared, UnitCounts, HANDLING_BUCKETS_SECS};
use crate::event::{Channel, Disposition, EventType, Purpose, RejectReason};
use crate::units::OTHER_UNITS;

/// Handling-time quantiles exposed in the summary.
const QUANTILES: [f64; 3] = [0.5, 0.9, 0.99];

/// Overflow label of problems past the topic cap.
const OTHER_PROBLEMS: &str = "其他问题";

/// Everything `/metrics` exposes: the engine's families, then the instruments
/// registered in [`Exposition::registry`] (the Kafka source's, the process's, build info).
pub struct Exposition {
    registry: Registry,
    engine: EngineFamilies,
    /// The length of the last render: the next one reserves it at once.
    last_len: AtomicUsize,
}

impl Exposition {
    pub fn new(board: Arc<Board>, shared: Arc<Shared>, assessment: Arc<Assessment>) -> Self {
        Exposition {
            registry: Registry::new(),
            engine: EngineFamilies {
                board,
                shared,
                assessment,
                layout: Layout::new(),
                buffers: Mutex::default(),
            },
            last_len: AtomicUsize::new(0),
        }
    }

    /// Where the service's own instruments are registered.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The whole exposition in `format`.
    pub fn render(&self, format: Format) -> String {
        let mut out = String::with_capacity(self.last_len.load(Relaxed) + 64 * 1024);
        self.engine.write(format, &mut out);
        text::encode(format, &self.registry.gather(), &mut out);
        out.push_str(format.trailer());
        self.last_len.store(out.len(), Relaxed);
        out
    }
}

/// The engine-derived families.
struct EngineFamilies {
    board: Arc<Board>,
    shared: Arc<Shared>,
    assessment: Arc<Assessment>,
    layout: Layout,
    /// The families' buffers between scrapes, emptied: a render of 25 MB does not
    /// grow (and fault in) them again each time.
    buffers: Mutex<Vec<String>>,
}

impl EngineFamilies {
    /// Writes every engine family with samples to `out`.
    fn write(&self, format: Format, out: &mut String) {
        let layout = &self.layout;
        let a = &*self.assessment;
        let config = &self.shared.config;
        let mut buffers = std::mem::take(&mut *self.buffers.lock());
        buffers.resize_with(layout.specs.len(), String::new);
        let mut fams: Vec<Family> = (layout.specs.iter().zip(buffers))
            .map(|(s, b)| Family::new(s, format, b))
            .collect();
        let local = aggregate(&self.board.snapshots(Scope::Local), &Filter::default());
        let group_owned;
        let group: &Aggregate =
            if self.board.entries(Scope::Group).len() > self.board.entries(Scope::Local).len() {
                group_owned = aggregate(&self.board.snapshots(Scope::Group), &Filter::default());
                &group_owned
            } else {
                &local
            };
        let w = a.basically_satisfied_weight;
        for ((center, month), sum) in &local.months {
            let month_s = month.to_string();
            let group_month = group.month(center, *month);
            let units = sum
                .units
                .iter()
                .map(|(n, u)| (n.as_str(), Cow::Borrowed(u)));
            for (unit, u) in capped(units, config.unit_label_cap, OTHER_UNITS) {
                // Every unit family's labels (families::U), written once for all.
                let l = Rendered::new(&Pairs(U, &[center, unit, &month_s]));
                self.unit(&mut fams, &l, &u);
                let c = &u.counts;
                for (def, &fam) in UNIT_RATIOS.iter().zip(&layout.unit_ratios) {
                    if let Some(v) = (def.of)(c, w) {
                        fams[fam].gauge_with(&l, v);
                    }
                }
                // Assessment and score: the whole group's counts of this unit. The cap's
                // overflow alone is no unit; a real 其他单位 is assessed on its own counts.
                let Some(own) = sum.units.get(unit) else {
                    continue;
                };
                let whole = group_month
                    .and_then(|g| g.units.get(unit))
                    .map_or(own.counts, |g| g.counts);
                fams[layout.assessed].gauge_with(
                    &l,
                    f64::from(u8::from(i64::from(whole.assigned) >= a.min_assigned as i64)),
                );
                if let Some(s) = score(&Ratios::of(&whole, w), a) {
                    fams[layout.score].gauge_with(&l, s);
                }
            }
            self.centre(&mut fams, center, &month_s, sum, *month);
        }
        for ((center, unit), live) in &local.live {
            self.live(&mut fams, center, unit, live);
        }
        self.pipeline(&mut fams);
        let buffers = fams.into_iter().map(|f| f.finish(out)).collect();
        *self.buffers.lock() = buffers;
    }

    fn unit(&self, fams: &mut [Family], l: &Rendered, u: &UnitSum) {
        let layout = &self.layout;
        for ((exposed, get), fam) in UnitCounts::FIELDS.iter().zip(&layout.unit.field_family) {
            let Some(fam) = *fam else { continue };
            let v = get(&u.counts) as f64;
            match exposed.label {
                Some((name, value)) => fams[fam].gauge_with(&l.and(name, value), v),
                None => fams[fam].gauge_with(l, v),
            }
        }
        let h = &u.handling;
        fams[layout.handling].histogram(
            l,
            &HANDLING_BUCKETS_SECS,
            &h.buckets,
            h.count,
            h.sum_ms as f64 / 1000.0,
        );
        if h.count > 0 {
            let q: Vec<(f64, f64)> = QUANTILES
                .iter()
                .filter_map(|&q| h.quantile(q).map(|v| (q, v as f64)))
                .collect();
            fams[layout.handling_quantiles].summary(l, &q, h.count, h.sum_ms as f64 / 1000.0);
        }
    }

    fn live(&self, fams: &mut [Family], center: &str, unit: &str, live: &LiveCounts) {
        let l = [center, unit];
        for ((_, get), fam) in LiveCounts::FIELDS
            .iter()
            .zip(&self.layout.live.field_family)
        {
            if let Some(fam) = *fam {
                fams[fam].gauge(&l, get(live) as f64);
            }
        }
    }

    fn centre(
        &self,
        fams: &mut [Family],
        center: &str,
        month_s: &str,
        sum: &MonthSum,
        month: crate::event::Month,
    ) {
        let layout = &self.layout;
        let config = &self.shared.config;
        let l = [center, month_s];
        for ((exposed, get), fam) in CentreCounts::FIELDS.iter().zip(&layout.centre.field_family) {
            let Some(fam) = *fam else { continue };
            let v = get(&sum.centre) as f64;
            match exposed.label {
                Some((_, value)) => fams[fam].gauge(&[center, month_s, value], v),
                None => fams[fam].gauge(&l, v),
            }
        }
        for &c in Channel::ALL {
            for &p in Purpose::ALL {
                for &d in Disposition::ALL {
                    let n = sum.record(c, p, d);
                    if n != 0 {
                        fams[layout.records].gauge(
                            &[center, month_s, c.as_str(), p.as_str(), d.as_str()],
                            n as f64,
                        );
                    }
                }
            }
        }
        for (cat, n) in capped(
            sum.keyed(Dim::Category),
            config.category_label_cap,
            crate::engine::DEFAULT_CATEGORY,
        ) {
            fams[layout.records_by_category].gauge(&[center, month_s, cat], n as f64);
        }
        for (topic, n) in capped(
            sum.keyed(Dim::UnsatisfiedProblem),
            config.topic_label_cap,
            OTHER_PROBLEMS,
        ) {
            fams[layout.unsatisfied_by_problem].gauge(&[center, month_s, topic], n as f64);
        }
        let f = centre_figures(
            sum,
            config,
            center,
            month,
            self.shared.watermark().unwrap_or_default(),
            &self.assessment,
        );
        for o in &f.overdue_by_purpose {
            fams[layout.orders_overdue].gauge(&[center, month_s, &o.purpose], o.overdue as f64);
            if let Some(r) = o.ratio {
                fams[layout.overdue_ratio].gauge(&[center, month_s, &o.purpose], r);
            }
        }
        for (fam, v) in [
            (layout.completion_ratio, f.completion_ratio),
            (layout.satisfaction_ratio, f.satisfaction_ratio),
            (
                layout.first_time_resolution_ratio,
                f.first_time_resolution_ratio,
            ),
            (layout.instant_resolution_ratio, f.instant_resolution_ratio),
        ] {
            if let Some(v) = v {
                fams[fam].gauge(&l, v);
            }
        }
    }

    fn pipeline(&self, fams: &mut [Family]) {
        let layout = &self.layout;
        let st = &self.shared.stats;
        for t in EventType::ALL {
            fams[layout.events].counter(&[t.as_str()], st.applied[t as usize].load(Relaxed) as f64);
        }
        for r in RejectReason::ALL {
            fams[layout.rejected].counter(&[r.code()], st.rejected[r.index()].load(Relaxed) as f64);
        }
        fams[layout.duplicates].counter(&[], st.duplicates.load(Relaxed) as f64);
        fams[layout.late].counter(&[], st.late.load(Relaxed) as f64);
        fams[layout.unknown_units].counter(&[], st.unknown_units.load(Relaxed) as f64);
        fams[layout.orders_tracked].gauge(&[], self.board.orders_tracked() as f64);
        if let Some(wm) = self.shared.watermark() {
            fams[layout.watermark].gauge(&[], wm as f64 / 1000.0);
        }
    }
}
