use prometheus::{Encoder, TextEncoder};

use super::*;

/// A registry with every kind, awkward label values and numbers.
fn registry() -> prometheus::Registry {
    let r = prometheus::Registry::new();
    let c = prometheus::IntCounterVec::new(
        prometheus::Opts::new("demo_events_total", "Events \"seen\" \\ counted\nhere."),
        &["unit"],
    )
    .unwrap();
    c.with_label_values(&["市\"局\"\\"]).inc_by(3);
    c.with_label_values(&["line\nfeed"]).inc_by(12_345_678);
    r.register(Box::new(c)).unwrap();
    let g = prometheus::GaugeVec::new(prometheus::Opts::new("demo_ratio", "A ratio."), &["a", "b"])
        .unwrap();
    for (i, v) in [0.0, -0.0, 0.1 + 0.2, 1e-7, 2.5e17, -3.0, 1e15, 123456789.0]
        .iter()
        .enumerate()
    {
        g.with_label_values(&[&i.to_string(), "x"]).set(*v);
    }
    r.register(Box::new(g)).unwrap();
    let h = prometheus::Histogram::with_opts(
        prometheus::HistogramOpts::new("demo_seconds", "Time.").buckets(vec![
            0.25,
            1.0,
            2_592_000.0,
        ]),
    )
    .unwrap();
    h.observe(0.5);
    h.observe(7.0);
    r.register(Box::new(h)).unwrap();
    r
}

/// Text 0.0.4 is byte for byte what the `prometheus` crate writes.
#[test]
fn text_equals_the_crates_encoder() {
    let families = registry().gather();
    let mut want = Vec::new();
    TextEncoder::new().encode(&families, &mut want).unwrap();
    let mut got = String::new();
    encode(Format::Text, &families, &mut got);
    assert_eq!(got, String::from_utf8(want).unwrap());
}

#[test]
fn openmetrics_drops_total_in_metadata_and_escapes_help() {
    let mut s = String::new();
    encode(Format::OpenMetrics, &registry().gather(), &mut s);
    s.push_str(Format::OpenMetrics.trailer());
    assert!(
            s.contains(
                "# TYPE demo_events counter\n# HELP demo_events Events \\\"seen\\\" \\\\ counted\\nhere.\n"
            ),
            "{s}"
        );
    assert!(
        s.contains("demo_events_total{unit=\"市\\\"局\\\"\\\\\"} 3.0\n"),
        "{s}"
    );
    assert!(
        s.contains("demo_events_total{unit=\"line\\nfeed\"} 1.2345678e+07\n"),
        "{s}"
    );
    assert!(
        s.contains("demo_seconds_bucket{le=\"2.592e+06\"} 2.0\n"),
        "{s}"
    );
    assert!(
        s.contains(
            "demo_seconds_bucket{le=\"+Inf\"} 2.0\ndemo_seconds_count 2.0\ndemo_seconds_sum 7.5\n"
        ),
        "{s}"
    );
    assert!(s.ends_with("# EOF\n"));
}
