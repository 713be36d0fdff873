//! The embedded default source: the simulated hotline fed to the engine live, at a
//! steady rate, so a newcomer sees `/metrics` move within seconds.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{wall_clock, AsOf, Watermark};
use crate::engine::{Partition, Shared};
use crate::event::decode;
use crate::simulate::Simulator;

/// Runs until `stop` is set or the simulated month is exhausted (then idles until
/// `stop`). Every line goes through the real decoder, like a Kafka message would.
pub fn run(
    shared: Arc<Shared>,
    sim: Simulator,
    rate: f64,
    as_of: AsOf,
    stop: Arc<AtomicBool>,
    started: impl FnOnce(),
) {
    let mut partition = Partition::new(0, shared.clone());
    started();
    let mut watermark = Watermark::default();
    let tz = shared.config.tz;
    let begin = Instant::now();
    let mut sent = 0u64;
    let mut sim = sim.peekable();
    while !stop.load(Ordering::Relaxed) {
        let due = if rate > 0.0 {
            (begin.elapsed().as_secs_f64() * rate) as u64
        } else {
            sent + 10_000
        };
        if sim.peek().is_none() {
            partition.advance(as_of.at(watermark.get(), wall_clock()));
            std::thread::sleep(Duration::from_millis(200));
            continue;
        }
        while sent < due {
            let Some(ev) = sim.next() else { break };
            sent += 1;
            let now = wall_clock();
            match decode(ev.line.as_bytes(), tz) {
                Ok(ev) => {
                    watermark.observe(ev.at, now);
                    partition.apply(ev, as_of.at(watermark.get(), now));
                }
                Err(r) => shared.stats.reject(r.reason),
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    tracing::info!(events = sent, "simulated hotline stopped");
}
