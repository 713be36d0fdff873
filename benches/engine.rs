//! Throughput of the pipeline's synchronous stages on a simulated Golmud stream: decode
//! alone, decode + apply, and apply alone (pre-decoded events), in events per second.
//!
//! The three sit in one group so that criterion's report reads as a breakdown: decode's
//! share of decode + apply is the part a faster parser could win back.
//!
//! `cargo bench --bench engine`; `-- --quick` for a smoke run. The defaults are sized for
//! a 2-core machine shared with other work: 10 samples, ~5 s of measurement each.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use hotline_pulse::config::EngineConfig;
use hotline_pulse::engine::{Partition, Shared};
use hotline_pulse::event::{decode, DecodeCtx, Event};
use hotline_pulse::simulate::{Profile, SimConfig, Simulator};
use hotline_pulse::source::replay::apply_lines;
use hotline_pulse::source::AsOf;

/// Records in the simulated month: with the Golmud lifecycles (~1.76 events per record)
/// this makes ~50k events, ten times the real Golmud month, for a steadier timing.
const ORDERS: u64 = 28_500;

struct Stream {
    lines: Vec<String>,
    events: Vec<Event>,
    orders: usize,
}

/// The simulated stream, generated and decoded once.
fn stream() -> Stream {
    let sim = Simulator::new(SimConfig {
        orders: ORDERS,
        month: (2024, 11),
        profile: Profile::Golmud,
        ..SimConfig::default()
    });
    let lines: Vec<String> = sim.map(|e| e.line).collect();
    let ctx = DecodeCtx::unguarded(EngineConfig::default().tz);
    let events: Vec<Event> = lines
        .iter()
        .map(|l| {
            decode(l.as_bytes(), &ctx)
                .expect("the simulator writes valid events")
                .into_owned()
        })
        .collect();
    let (shared, mut partition) = fresh();
    apply_lines(
        lines.iter().map(|l| l.as_bytes()),
        &shared,
        &mut partition,
        AsOf::Watermark,
    );
    let orders = partition.len();
    Stream {
        lines,
        events,
        orders,
    }
}

fn fresh() -> (Arc<Shared>, Partition) {
    let shared = Shared::new(EngineConfig::default(), None);
    let partition = Partition::new(0, shared.clone());
    (shared, partition)
}

fn engine(c: &mut Criterion) {
    let s = stream();
    eprintln!(
        "golmud stream: {} events, {} orders, {} bytes of JSON",
        s.lines.len(),
        s.orders,
        s.lines.iter().map(|l| l.len() + 1).sum::<usize>()
    );

    let mut g = c.benchmark_group("engine");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(s.lines.len() as u64));

    let ctx = DecodeCtx::unguarded(EngineConfig::default().tz);
    g.bench_function("decode", |b| {
        b.iter(|| {
            for line in &s.lines {
                let _ = black_box(decode(black_box(line.as_bytes()), &ctx));
            }
        })
    });

    // A fresh engine per iteration; it is returned so that dropping it (freeing every
    // order) stays outside the timing, as it does in the service.
    g.bench_function("decode_apply", |b| {
        b.iter_batched(
            fresh,
            |(shared, mut partition)| {
                apply_lines(
                    s.lines.iter().map(|l| l.as_bytes()),
                    &shared,
                    &mut partition,
                    AsOf::Watermark,
                );
                (partition, shared)
            },
            BatchSize::PerIteration,
        )
    });

    g.bench_function("apply", |b| {
        b.iter_batched(
            || (fresh(), s.events.clone()),
            |((shared, mut partition), events)| {
                let mut watermark = i64::MIN;
                for ev in &events {
                    watermark = watermark.max(ev.at);
                    black_box(partition.apply(ev, watermark));
                }
                partition.advance(watermark);
                (partition, shared)
            },
            BatchSize::PerIteration,
        )
    });

    g.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
