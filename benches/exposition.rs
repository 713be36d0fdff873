//! `/metrics` at the scale of the label cap: 2000 units × 3 months. Goal: a scrape
//! served in ≤ 20 ms. Measured here:
//!
//! - `render/text`, `render/openmetrics`: a full render (gather + encode), what a scrape
//!   costs when the state has changed since the last one;
//! - `render/text+gzip`: the same plus compression (Prometheus asks for gzip);
//! - `scrape/cached`, `scrape/cached+gzip`: a scrape of unchanged state (same revision
//!   and second), what every scrape but the first costs in a storm, and what
//!   a scrape costs while the stream is idle.
//!
//! `cargo bench --bench exposition`; `-- --quick` for a smoke run.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hotline_pulse::app::{build_state, Config, SourceConfig};
use hotline_pulse::config::{Assessment, EngineConfig};
use hotline_pulse::engine::Partition;
use hotline_pulse::http::{Cache, Format, WebConfig};
use hotline_pulse::simulate::SimConfig;
use hotline_pulse::source::replay::apply_lines;
use hotline_pulse::source::AsOf;

const UNITS: usize = 2000;
const MONTHS: [u32; 3] = [9, 10, 11];
const ORDERS_PER_UNIT_MONTH: usize = 2;

/// Events naming `UNITS` units in each of three months: each order is received,
/// dispatched, completed and called back.
fn lines() -> Vec<String> {
    let mut out = Vec::new();
    for &m in &MONTHS {
        for u in 0..UNITS {
            for k in 0..ORDERS_PER_UNIT_MONTH {
                let id = format!("B{m:02}{u:05}{k}");
                let day = 1 + (u + k) % 27;
                let at = |h: u32| format!("2024-{m:02}-{day:02}T{h:02}:00:00+08:00");
                let unit = format!("单位{u:04}");
                out.push(format!(r#"{{"event_id":"{id}-1","order_id":"{id}","type":"received","at":"{}","channel":"phone","purpose":"complaint","disposition":"dispatch","category":"城乡建设"}}"#, at(9)));
                out.push(format!(r#"{{"event_id":"{id}-2","order_id":"{id}","type":"dispatched","at":"{}","unit":"{unit}","due_at":"{}"}}"#, at(10), at(18)));
                out.push(format!(r#"{{"event_id":"{id}-3","order_id":"{id}","type":"completed","at":"{}","unit":"{unit}","result":"resolved"}}"#, at(12 + k as u32)));
                out.push(format!(r#"{{"event_id":"{id}-4","order_id":"{id}","type":"callback","at":"{}","satisfaction":"satisfied","resolved":true,"unit":"{unit}"}}"#, at(20)));
            }
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let config = Config {
        engine: EngineConfig::default(),
        assessment: Assessment::default(),
        registry: None,
        source: SourceConfig::Simulated {
            sim: SimConfig::default(),
            rate: 0.0,
            speed: 0.0,
        },
        as_of: AsOf::Watermark,
        shutdown_grace: Duration::ZERO,
        web: WebConfig::default(),
    };
    let state = build_state(&config).expect("state");
    let exposition = state.exposition;
    let mut partition = Partition::new(0, state.shared.clone());
    let lines = lines();
    let as_of = apply_lines(
        lines.iter().map(|l| l.as_bytes()),
        &state.shared,
        &mut partition,
        AsOf::Watermark,
    );
    state.board.publish(0, partition.snapshot(), as_of);
    let text = exposition.render(Format::Text);
    let series = text.lines().count();
    let gzipped = Cache::default()
        .get(&exposition, (0, 0), Format::Text, true)
        .expect("render")
        .len();
    eprintln!(
        "exposition: {} units x {} months, {} lines, {:.1} MB, {:.2} MB gzipped",
        UNITS,
        MONTHS.len(),
        series,
        text.len() as f64 / 1e6,
        gzipped as f64 / 1e6
    );

    let mut g = c.benchmark_group("metrics_2000_units_3_months");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(1));
    g.bench_function("render/text", |b| {
        b.iter(|| black_box(exposition.render(Format::Text)))
    });
    g.bench_function("render/openmetrics", |b| {
        b.iter(|| black_box(exposition.render(Format::OpenMetrics)))
    });
    let cache = Cache::default();
    let mut key = 0u64;
    g.bench_function("render/text+gzip", |b| {
        b.iter(|| {
            key += 1;
            black_box(
                cache
                    .get(&exposition, (key, 0), Format::Text, true)
                    .expect("render"),
            )
        })
    });
    let warm = Cache::default();
    warm.get(&exposition, (1, 1), Format::Text, true)
        .expect("render");
    g.bench_function("scrape/cached", |b| {
        b.iter(|| {
            black_box(
                warm.get(&exposition, (1, 1), Format::Text, false)
                    .expect("hit"),
            )
        })
    });
    g.bench_function("scrape/cached+gzip", |b| {
        b.iter(|| {
            black_box(
                warm.get(&exposition, (1, 1), Format::Text, true)
                    .expect("hit"),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
