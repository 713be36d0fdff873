//! The embedded default source: the simulated hotline fed to the engine live, at a
//! steady rate, so a newcomer sees `/metrics` move within seconds.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{wall_clock, AsOf};
use crate::engine::{Partition, Shared};
use crate::event::{decode, DecodeCtx, Millis};
use crate::simulate::Simulator;
use crate::view::Board;

/// How often the partition publishes its snapshot.
const PUBLISH_EVERY: Duration = Duration::from_millis(200);

/// Runs until `stop` is set or the simulated month is exhausted (then idles until
/// `stop`). Every line goes through the real decoder, like a Kafka message would.
pub fn run(
    shared: Arc<Shared>,
    board: Arc<Board>,
    sim: Simulator,
    rate: f64,
    as_of: AsOf,
    stop: Arc<AtomicBool>,
    started: impl FnOnce(),
) {
    let mut partition = Partition::new(0, shared.clone());
    board.publish(0, partition.snapshot(), wall_clock());
    started();
    let begin = Instant::now();
    let mut last_publish = Instant::now();
    let mut sent = 0u64;
    let mut sim = sim.peekable();
    let as_of_now =
        |shared: &Shared| as_of.at(shared.watermark().unwrap_or(Millis::MIN), wall_clock());
    while !stop.load(Ordering::Relaxed) {
        let due = if rate > 0.0 {
            (begin.elapsed().as_secs_f64() * rate) as u64
        } else {
            sent + 10_000
        };
        if sim.peek().is_none() {
            partition.advance(as_of_now(&shared));
            board.publish(0, partition.snapshot(), wall_clock());
            std::thread::sleep(Duration::from_millis(200));
            continue;
        }
        let ctx = DecodeCtx::new(
            shared.config.tz,
            wall_clock(),
            shared.config.future_horizon_ms,
        );
        while sent < due {
            let Some(ev) = sim.next() else { break };
            sent += 1;
            match decode(ev.line.as_bytes(), &ctx) {
                Ok(ev) => {
                    shared.observe(ev.at);
                    partition.apply(&ev, as_of_now(&shared));
                }
                Err(r) => shared.stats.reject(r.reason),
            }
        }
        if last_publish.elapsed() >= PUBLISH_EVERY {
            board.publish(0, partition.snapshot(), wall_clock());
            last_publish = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    board.publish(0, partition.snapshot(), wall_clock());
    tracing::info!(events = sent, "simulated hotline stopped");
}
