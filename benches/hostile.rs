//! Hostile input: one busy order against the same events spread over many orders.
//!
//! Issue 9 measured 40,000 callbacks on one order at 7.9 s against 0.08 s for the same
//! callbacks on 40,000 orders, and 4,000 dispatches of one order to 2,000 units at 16 s:
//! a busy order was quadratic. Each case here applies its events to a fresh
//! [`Partition`] at the running watermark, as a replay does; the ratio of a one-order
//! case to its many-orders twin is what must stay small (O(n log n) per busy order).
//!
//! - `callbacks/one_order` and `callbacks/many_orders`: 40,000 callbacks, in time order
//!   and shuffled (a seeded shuffle: late delivery of an order's events);
//! - `dispatches/one_order`: 4,000 dispatches of one order to 2,000 units (each unit
//!   twice), in time order and shuffled, against `dispatches/many_orders`.
//!
//! `cargo bench --bench hostile`; `-- --quick` for a smoke run.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use hotline_pulse::config::EngineConfig;
use hotline_pulse::engine::{Partition, Shared};
use hotline_pulse::event::{Channel, Disposition, Event, EventKind, Purpose, Satisfaction};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const CALLBACKS: usize = 40_000;
const DISPATCHES: usize = 4_000;
const UNITS: usize = 2_000;

/// 2024-11-01T00:00:00+08:00.
const T0: i64 = 1_730_390_400_000;
const MIN: i64 = 60_000;
const DAY: i64 = 86_400_000;

fn event(order: &str, n: usize, at: i64, kind: EventKind) -> Event {
    Event {
        event_id: format!("{order}-{n}"),
        order_id: order.to_owned(),
        at,
        center: None,
        kind,
    }
}

/// An order's first three events: received, dispatched, completed.
fn prefix(order: &str) -> Vec<Event> {
    vec![
        event(
            order,
            0,
            T0,
            EventKind::Received {
                channel: Channel::Phone,
                purpose: Purpose::Complaint,
                disposition: Disposition::Dispatch,
                category: Some("城乡建设".into()),
                topic: None,
                unit: None,
            },
        ),
        event(
            order,
            1,
            T0 + MIN,
            EventKind::Dispatched {
                unit: "市公安局".into(),
                due_at: T0 + 10 * DAY,
            },
        ),
        event(
            order,
            2,
            T0 + 2 * MIN,
            EventKind::Completed {
                unit: "市公安局".into(),
                result: None,
            },
        ),
    ]
}

/// `n` callbacks a second apart; on one order (`O`) or each on its own (`O{i}`).
fn callbacks(one_order: bool) -> Vec<Event> {
    let order = |i: usize| {
        if one_order {
            "O".to_owned()
        } else {
            format!("O{i}")
        }
    };
    let mut out = prefix("O");
    for i in 0..CALLBACKS {
        let satisfaction = [
            Satisfaction::Satisfied,
            Satisfaction::BasicallySatisfied,
            Satisfaction::Unsatisfied,
        ][i % 3];
        out.push(event(
            &order(i),
            3 + i,
            T0 + DAY + i as i64 * 1000,
            EventKind::Callback {
                contacted: true,
                satisfaction: Some(satisfaction),
                resolved: Some(i % 2 == 0),
                unit: None,
            },
        ));
    }
    out
}

/// 4,000 dispatches a minute apart, each of the 2,000 units twice.
fn dispatches(one_order: bool) -> Vec<Event> {
    let mut out = prefix("O");
    out.truncate(1);
    for i in 0..DISPATCHES {
        let order = if one_order {
            "O".to_owned()
        } else {
            format!("O{i}")
        };
        let at = T0 + MIN + i as i64 * MIN;
        out.push(event(
            &order,
            1 + i,
            at,
            EventKind::Dispatched {
                unit: format!("单位{}", i % UNITS),
                due_at: at + 10 * DAY,
            },
        ));
    }
    out
}

fn shuffled(mut events: Vec<Event>) -> Vec<Event> {
    events.shuffle(&mut ChaCha8Rng::seed_from_u64(9));
    events
}

/// Applies `events` to a fresh partition at the running watermark and takes the
/// snapshot a replay publishes at its end (which settles busy orders: their cost is
/// in the timing).
fn run(events: &[Event], publish_every: usize) -> Partition {
    let shared = Shared::new(EngineConfig::default(), None);
    let mut p = Partition::new(0, shared);
    let mut watermark = i64::MIN;
    for (i, ev) in events.iter().enumerate() {
        watermark = watermark.max(ev.at);
        black_box(p.apply(ev, watermark));
        if (i + 1) % publish_every == 0 {
            black_box(p.snapshot());
        }
    }
    p.advance(watermark);
    black_box(p.snapshot());
    p
}

/// Snapshots every this many events in the `*_published` cases: the live service
/// publishes every 250 ms, a few hundred events at its usual rate.
const PUBLISH_EVERY: usize = 200;

fn group(c: &mut Criterion, name: &str, cases: &[(&str, Vec<Event>, usize)]) {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for (case, events, publish_every) in cases {
        g.throughput(Throughput::Elements(events.len() as u64));
        let events = Arc::new(events.clone());
        // The partition is returned so that freeing it stays outside the timing.
        g.bench_function(*case, |b| {
            b.iter_batched(
                || (),
                |()| run(&events, *publish_every),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn hostile(c: &mut Criterion) {
    group(
        c,
        "callbacks",
        &[
            ("one_order", callbacks(true), usize::MAX),
            ("many_orders", callbacks(false), usize::MAX),
            ("one_order_shuffled", shuffled(callbacks(true)), usize::MAX),
            (
                "many_orders_shuffled",
                shuffled(callbacks(false)),
                usize::MAX,
            ),
            (
                "one_order_shuffled_published",
                shuffled(callbacks(true)),
                PUBLISH_EVERY,
            ),
            (
                "many_orders_shuffled_published",
                shuffled(callbacks(false)),
                PUBLISH_EVERY,
            ),
        ],
    );
    group(
        c,
        "dispatches",
        &[
            ("one_order", dispatches(true), usize::MAX),
            ("many_orders", dispatches(false), usize::MAX),
            ("one_order_shuffled", shuffled(dispatches(true)), usize::MAX),
            (
                "many_orders_shuffled",
                shuffled(dispatches(false)),
                usize::MAX,
            ),
            ("one_order_published", dispatches(true), PUBLISH_EVERY),
            ("many_orders_published", dispatches(false), PUBLISH_EVERY),
            (
                "one_order_shuffled_published",
                shuffled(dispatches(true)),
                PUBLISH_EVERY,
            ),
            (
                "many_orders_shuffled_published",
                shuffled(dispatches(false)),
                PUBLISH_EVERY,
            ),
        ],
    );
}

criterion_group!(benches, hostile);
criterion_main!(benches);
