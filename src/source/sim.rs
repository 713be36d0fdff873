//! The embedded default source: the simulated hotline fed to the engine live. The
//! month is played from its start up to the wall clock at `--sim-speed` (and at most
//! `--sim-rate` events/s), then in step with real time: no event is applied before its
//! `at` has come, so the live figures never run ahead of the clock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{wall_clock, AsOf, Watermark};
use crate::engine::{Partition, Shared};
use crate::event::decode;
use crate::simulate::{Next, Pace, Paced, Simulator};

/// The live figures (open, overdue now, due soon) are refreshed this often while the
/// stream waits for its next event.
const ADVANCE_EVERY: Duration = Duration::from_secs(1);

/// Runs until `stop` is set. Every line goes through the real decoder, like a Kafka
/// message would.
pub fn run(
    shared: Arc<Shared>,
    sim: Simulator,
    pace: Pace,
    as_of: AsOf,
    stop: Arc<AtomicBool>,
    started: impl FnOnce(),
) {
    let mut partition = Partition::new(0, shared.clone());
    started();
    let mut watermark = Watermark::default();
    let tz = shared.config.tz;
    let begin = Instant::now();
    let mut paced = Paced::new(sim, pace);
    let mut last_advance = Instant::now();
    let mut done_logged = false;
    while !stop.load(Ordering::Relaxed) {
        let now = wall_clock();
        match paced.poll(now, begin.elapsed()) {
            Next::Event(ev) => match decode(ev.line.as_bytes(), tz) {
                Ok(ev) => {
                    watermark.observe(ev.at, now);
                    partition.apply(ev, as_of.at(watermark.get(), now));
                }
                Err(r) => shared.stats.reject(r.reason),
            },
            Next::CaughtUp => {
                tracing::info!(
                    events = paced.sent(),
                    elapsed_secs = begin.elapsed().as_secs(),
                    "simulated hotline caught up with the wall clock: from now on events arrive in real time"
                );
            }
            Next::Wait(wait) => {
                if last_advance.elapsed() >= ADVANCE_EVERY {
                    partition.advance(as_of.at(watermark.get(), wall_clock()));
                    last_advance = Instant::now();
                }
                std::thread::sleep(wait.max(Duration::from_millis(5)));
            }
            Next::Done => {
                if !done_logged {
                    done_logged = true;
                    tracing::info!(
                        events = paced.sent(),
                        "simulated hotline: every event of the simulated month has been played"
                    );
                }
                partition.advance(as_of.at(watermark.get(), wall_clock()));
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
    tracing::info!(events = paced.sent(), "simulated hotline stopped");
}
