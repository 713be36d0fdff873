//! The OpenMetrics 1.0.0 text encoder (`application/openmetrics-text; version=1.0.0`),
//! which the `prometheus` crate lacks. Same families as the 0.0.4 text: counters are
//! declared without their `_total` suffix, every number is written as Go's
//! `client_golang` writes it (so `le` and `quantile` values are canonical), and the
//! exposition ends with `# EOF`.

use std::fmt::Write as _;

use prometheus::proto::{LabelPair, Metric, MetricFamily, MetricType};

pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Encodes `families` as OpenMetrics text.
pub fn encode(families: &[MetricFamily], out: &mut String) {
    for mf in families {
        let name = mf.name();
        let kind = mf.get_field_type();
        // A counter's family is named without `_total`; its samples carry it.
        let family = match kind {
            MetricType::COUNTER => name.strip_suffix("_total").unwrap_or(name),
            _ => name,
        };
        let type_name = match kind {
            MetricType::COUNTER => "counter",
            MetricType::GAUGE => "gauge",
            MetricType::HISTOGRAM => "histogram",
            MetricType::SUMMARY => "summary",
            MetricType::UNTYPED => "unknown",
        };
        let _ = writeln!(out, "# TYPE {family} {type_name}");
        if !mf.help().is_empty() {
            out.push_str("# HELP ");
            out.push_str(family);
            out.push(' ');
            escape_into(mf.help(), out);
            out.push('\n');
        }
        for m in mf.get_metric() {
            match kind {
                MetricType::COUNTER => {
                    sample(out, family, "_total", m, None, m.get_counter().get_value())
                }
                MetricType::GAUGE => sample(out, family, "", m, None, m.get_gauge().get_value()),
                // The crate never produces untyped samples (its own encoder refuses them).
                MetricType::UNTYPED => {}
                MetricType::HISTOGRAM => {
                    let h = m.get_histogram();
                    let mut inf_seen = false;
                    for b in h.get_bucket() {
                        let ub = b.upper_bound();
                        inf_seen |= ub == f64::INFINITY;
                        sample(
                            out,
                            family,
                            "_bucket",
                            m,
                            Some(("le", ub)),
                            b.cumulative_count() as f64,
                        );
                    }
                    if !inf_seen {
                        sample(
                            out,
                            family,
                            "_bucket",
                            m,
                            Some(("le", f64::INFINITY)),
                            h.get_sample_count() as f64,
                        );
                    }
                    sample(out, family, "_count", m, None, h.get_sample_count() as f64);
                    sample(out, family, "_sum", m, None, h.get_sample_sum());
                }
                MetricType::SUMMARY => {
                    let s = m.get_summary();
                    for q in s.get_quantile() {
                        sample(
                            out,
                            family,
                            "",
                            m,
                            Some(("quantile", q.quantile())),
                            q.value(),
                        );
                    }
                    sample(out, family, "_count", m, None, s.sample_count() as f64);
                    sample(out, family, "_sum", m, None, s.sample_sum());
                }
            }
        }
    }
    out.push_str("# EOF\n");
}

fn sample(
    out: &mut String,
    family: &str,
    suffix: &str,
    m: &Metric,
    extra: Option<(&str, f64)>,
    value: f64,
) {
    out.push_str(family);
    out.push_str(suffix);
    labels(out, m.get_label(), extra);
    out.push(' ');
    float(value, out);
    out.push('\n');
}

fn labels(out: &mut String, pairs: &[LabelPair], extra: Option<(&str, f64)>) {
    if pairs.is_empty() && extra.is_none() {
        return;
    }
    let mut sep = '{';
    for lp in pairs {
        out.push(sep);
        out.push_str(lp.name());
        out.push_str("=\"");
        escape_into(lp.value(), out);
        out.push('"');
        sep = ',';
    }
    if let Some((name, v)) = extra {
        out.push(sep);
        out.push_str(name);
        out.push_str("=\"");
        float(v, out);
        out.push('"');
    }
    out.push('}');
}

/// OpenMetrics escapes backslash, double quote and line feed in label values and help.
fn escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A number as `client_golang` writes it in OpenMetrics: Go's shortest `%g` (exponent
/// form below 1e-4 and from 1e+06), with `.0` added to integers, `+Inf`, `-Inf`, `NaN`.
fn float(v: f64, out: &mut String) {
    if v.is_nan() {
        out.push_str("NaN");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
        return;
    }
    if v == 0.0 {
        out.push_str(if v.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    // Rust's `{:e}` gives the shortest round-trip digits, as Go's -1 precision does.
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let _ = write!(
            out,
            "{mantissa}e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
    } else {
        let start = out.len();
        let _ = write!(out, "{v}");
        if !out[start..].contains('.') {
            out.push_str(".0");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: f64) -> String {
        let mut s = String::new();
        float(v, &mut s);
        s
    }

    #[test]
    fn numbers_are_written_as_client_golang_writes_them() {
        for (v, want) in [
            (1.0, "1.0"),
            (0.0, "0.0"),
            (-1.0, "-1.0"),
            (0.5, "0.5"),
            (3600.0, "3600.0"),
            (123456.0, "123456.0"),
            (2_592_000.0, "2.592e+06"),
            (1e6, "1e+06"),
            (0.0001, "0.0001"),
            (0.00001234, "1.234e-05"),
            (1e21, "1e+21"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
            (0.99, "0.99"),
        ] {
            assert_eq!(f(v), want, "{v}");
        }
    }

    #[test]
    fn counters_drop_total_in_metadata_and_the_text_ends_with_eof() {
        let r = prometheus::Registry::new();
        let c = prometheus::IntCounterVec::new(
            prometheus::Opts::new("demo_events_total", "Events \"seen\"."),
            &["unit"],
        )
        .unwrap();
        c.with_label_values(&["市\"局\"\\"]).inc_by(3);
        r.register(Box::new(c)).unwrap();
        let h = prometheus::Histogram::with_opts(
            prometheus::HistogramOpts::new("demo_seconds", "Time.").buckets(vec![1.0, 2_592_000.0]),
        )
        .unwrap();
        h.observe(0.5);
        r.register(Box::new(h)).unwrap();
        let mut s = String::new();
        encode(&r.gather(), &mut s);
        assert!(
            s.contains("# TYPE demo_events counter\n# HELP demo_events Events \\\"seen\\\".\n"),
            "{s}"
        );
        assert!(
            s.contains("demo_events_total{unit=\"市\\\"局\\\"\\\\\"} 3.0\n"),
            "{s}"
        );
        assert!(
            s.contains("demo_seconds_bucket{le=\"2.592e+06\"} 1.0\n"),
            "{s}"
        );
        assert!(s.contains("demo_seconds_bucket{le=\"+Inf\"} 1.0\n"), "{s}");
        assert!(s.ends_with("# EOF\n"));
    }
}
