//! The two text formats of an exposition, written directly into a string: Prometheus
//! text 0.0.4 (byte for byte as the `prometheus` crate's `TextEncoder` writes it) and
//! OpenMetrics 1.0.0 (as Go's `client_golang` writes it: counters declared without
//! their `_total` suffix, canonical numbers, `# EOF` at the end). One definition of
//! headers, label escaping and numbers, used by the engine's families and by
//! [`encode`] for the registry's own instruments.

use std::fmt::Write as _;

use self::values::{escape, number};

use prometheus::proto::{LabelPair, MetricFamily, MetricType};

/// The exposition formats served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    OpenMetrics,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            // Label values are Chinese unit names: say the charset.
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }

    /// What ends an exposition in this format.
    pub fn trailer(self) -> &'static str {
        match self {
            Format::Text => "",
            Format::OpenMetrics => "# EOF\n",
        }
    }
}

/// Writes a family's `# HELP` and `# TYPE` lines.
pub fn header(format: Format, name: &str, help: &str, kind: MetricType, out: &mut String) {
    match format {
        Format::Text => {
            if !help.is_empty() {
                out.push_str("# HELP ");
                out.push_str(name);
                out.push(' ');
                escape(help, false, out);
                out.push('\n');
            }
            let kind = match kind {
                MetricType::COUNTER => "counter",
                MetricType::GAUGE => "gauge",
                MetricType::HISTOGRAM => "histogram",
                MetricType::SUMMARY => "summary",
                MetricType::UNTYPED => "untyped",
            };
            let _ = writeln!(out, "# TYPE {name} {kind}");
        }
        Format::OpenMetrics => {
            // A counter's family is named without `_total`; its samples carry it.
            let (family, kind) = match kind {
                MetricType::COUNTER => (name.strip_suffix("_total").unwrap_or(name), "counter"),
                MetricType::GAUGE => (name, "gauge"),
                MetricType::HISTOGRAM => (name, "histogram"),
                MetricType::SUMMARY => (name, "summary"),
                MetricType::UNTYPED => (name, "unknown"),
            };
            let _ = writeln!(out, "# TYPE {family} {kind}");
            if !help.is_empty() {
                out.push_str("# HELP ");
                out.push_str(family);
                out.push(' ');
                escape(help, true, out);
                out.push('\n');
            }
        }
    }
}

/// A sample's labels: `names` paired with `values`, then an optional numeric label
/// (`le`, `quantile`).
pub trait Labels {
    fn write(&self, out: &mut String);
    fn is_empty(&self) -> bool;
}

/// Label names and values side by side (the engine's families).
pub struct Pairs<'a>(pub &'a [&'static str], pub &'a [&'a str]);

impl Labels for Pairs<'_> {
    fn write(&self, out: &mut String) {
        for (i, (n, v)) in self.0.iter().zip(self.1).enumerate() {
            out.push(if i == 0 { '{' } else { ',' });
            out.push_str(n);
            out.push_str("=\"");
            escape(v, true, out);
            out.push('"');
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Label pairs written once, for the many samples that share them (a unit's ~40
/// samples share its centre, unit and month: escaping and copying them once per
/// sample was a fifth of a render), and optionally one more pair.
pub struct Rendered(String);

impl Rendered {
    pub fn new(labels: &impl Labels) -> Self {
        let mut s = String::new();
        labels.write(&mut s);
        Rendered(s)
    }

    /// These labels and `name="value"`.
    pub fn and<'a>(&'a self, name: &'a str, value: &'a str) -> impl Labels + 'a {
        struct And<'a>(&'a Rendered, &'a str, &'a str);
        impl Labels for And<'_> {
            fn write(&self, out: &mut String) {
                self.0.write(out);
                out.push(if self.0.is_empty() { '{' } else { ',' });
                out.push_str(self.1);
                out.push_str("=\"");
                escape(self.2, true, out);
                out.push('"');
            }

            fn is_empty(&self) -> bool {
                false
            }
        }
        And(self, name, value)
    }
}

impl Labels for Rendered {
    fn write(&self, out: &mut String) {
        out.push_str(&self.0);
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Labels for [LabelPair] {
    fn write(&self, out: &mut String) {
        for (i, lp) in self.iter().enumerate() {
            out.push(if i == 0 { '{' } else { ',' });
            out.push_str(lp.name());
            out.push_str("=\"");
            escape(lp.value(), true, out);
            out.push('"');
        }
    }

    fn is_empty(&self) -> bool {
        <[LabelPair]>::is_empty(self)
    }
}

/// Writes one sample line: `name{labels} value`.
pub fn sample(
    format: Format,
    out: &mut String,
    name: &str,
    suffix: &str,
    labels: &(impl Labels + ?Sized),
    extra: Option<(&str, f64)>,
    value: f64,
) {
    out.push_str(name);
    out.push_str(suffix);
    labels.write(out);
    if let Some((label, v)) = extra {
        out.push(if labels.is_empty() { '{' } else { ',' });
        out.push_str(label);
        out.push_str("=\"");
        match format {
            // The crate writes +Inf for the implicit bucket, else the bound as Rust does.
            Format::Text if v == f64::INFINITY => out.push_str("+Inf"),
            _ => number(format, v, out),
        }
        out.push('"');
    }
    if !labels.is_empty() || extra.is_some() {
        out.push('}');
    }
    out.push(' ');
    number(format, value, out);
    out.push('\n');
}

/// The samples of a histogram from cumulative bucket counts; the `+Inf` bucket is added
/// when `buckets` lacks it.
pub fn histogram(
    format: Format,
    out: &mut String,
    name: &str,
    labels: &(impl Labels + ?Sized),
    buckets: impl Iterator<Item = (f64, u64)>,
    count: u64,
    sum: f64,
) {
    let mut inf_seen = false;
    for (le, n) in buckets {
        inf_seen |= le == f64::INFINITY;
        sample(
            format,
            out,
            name,
            "_bucket",
            labels,
            Some(("le", le)),
            n as f64,
        );
    }
    if !inf_seen {
        let inf = Some(("le", f64::INFINITY));
        sample(format, out, name, "_bucket", labels, inf, count as f64);
    }
    count_and_sum(format, out, name, labels, count, sum);
}

/// The samples of a summary.
pub fn summary(
    format: Format,
    out: &mut String,
    name: &str,
    labels: &(impl Labels + ?Sized),
    quantiles: impl Iterator<Item = (f64, f64)>,
    count: u64,
    sum: f64,
) {
    for (q, v) in quantiles {
        sample(format, out, name, "", labels, Some(("quantile", q)), v);
    }
    count_and_sum(format, out, name, labels, count, sum);
}

/// `_sum` then `_count` in text 0.0.4, `_count` then `_sum` in OpenMetrics (as each
/// reference encoder orders them).
fn count_and_sum(
    format: Format,
    out: &mut String,
    name: &str,
    labels: &(impl Labels + ?Sized),
    count: u64,
    sum: f64,
) {
    match format {
        Format::Text => {
            sample(format, out, name, "_sum", labels, None, sum);
            sample(format, out, name, "_count", labels, None, count as f64);
        }
        Format::OpenMetrics => {
            sample(format, out, name, "_count", labels, None, count as f64);
            sample(format, out, name, "_sum", labels, None, sum);
        }
    }
}

/// Encodes gathered families (the registry's own instruments) in `format`, without the
/// trailer.
pub fn encode(format: Format, families: &[MetricFamily], out: &mut String) {
    for mf in families {
        let (name, kind) = (mf.name(), mf.get_field_type());
        header(format, name, mf.help(), kind, out);
        for m in mf.get_metric() {
            let labels = m.get_label();
            match kind {
                MetricType::COUNTER => {
                    let v = m.get_counter().get_value();
                    sample(format, out, name, "", labels, None, v);
                }
                MetricType::GAUGE => {
                    let v = m.get_gauge().get_value();
                    sample(format, out, name, "", labels, None, v);
                }
                // The crate never produces untyped samples (its own encoder refuses them).
                MetricType::UNTYPED => {}
                MetricType::HISTOGRAM => {
                    let h = m.get_histogram();
                    let buckets = h
                        .get_bucket()
                        .iter()
                        .map(|b| (b.upper_bound(), b.cumulative_count()));
                    let (count, sum) = (h.get_sample_count(), h.get_sample_sum());
                    histogram(format, out, name, labels, buckets, count, sum);
                }
                MetricType::SUMMARY => {
                    let s = m.get_summary();
                    let qs = s.get_quantile().iter().map(|q| (q.quantile(), q.value()));
                    summary(
                        format,
                        out,
                        name,
                        labels,
                        qs,
                        s.sample_count(),
                        s.sample_sum(),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
mod values;
