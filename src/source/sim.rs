//! The embedded default source: the simulated hotline fed to the engine live. The
//! month is played from its start up to the wall clock at `--sim-speed` (and at most
//! `--sim-rate` events/s), then in step with real time: no event is applied before its
//! `at` has come, so the live figures never run ahead of the clock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{wall_clock, AsOf};
use crate::engine::{Partition, Shared};
use crate::event::{decode, DecodeCtx};
use crate::simulate::{Next, Pace, Paced, Simulator};
use crate::view::Board;

/// The live figures (open, overdue now, due soon) are refreshed this often while the
/// stream waits for its next event.
const ADVANCE_EVERY: Duration = Duration::from_secs(1);
/// How often the partition publishes its snapshot while events flow.
const PUBLISH_EVERY: Duration = Duration::from_millis(200);

/// Runs until `stop` is set. Every line goes through the real decoder, like a Kafka
/// message would.
pub fn run(
    shared: Arc<Shared>,
    board: Arc<Board>,
    sim: Simulator,
    pace: Pace,
    as_of: AsOf,
    stop: Arc<AtomicBool>,
    started: impl FnOnce(),
) {
    let mut partition = Partition::new(0, shared.clone());
    board.publish(0, partition.snapshot(), wall_clock());
    started();
    let config = &shared.config;
    let begin = Instant::now();
    let mut paced = Paced::new(sim, pace);
    let mut last_advance = Instant::now();
    let mut last_publish = Instant::now();
    let mut done_logged = false;
    let as_of_now = |now| as_of.of(&shared, now);
    while !stop.load(Ordering::Relaxed) {
        let now = wall_clock();
        match paced.poll(now, begin.elapsed()) {
            Next::Event(ev) => {
                let ctx = DecodeCtx::new(config.tz, now, config.future_horizon_ms);
                match decode(ev.line.as_bytes(), &ctx) {
                    Ok(ev) => {
                        shared.observe(ev.at);
                        partition.apply(&ev, as_of_now(now));
                    }
                    Err(r) => shared.stats.reject(r.reason),
                }
            }
            Next::CaughtUp => {
                tracing::info!(
                    events = paced.sent(),
                    elapsed_secs = begin.elapsed().as_secs(),
                    "simulated hotline caught up with the wall clock: from now on events arrive in real time"
                );
            }
            Next::Wait(wait) => {
                if last_advance.elapsed() >= ADVANCE_EVERY {
                    partition.advance(as_of_now(wall_clock()));
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
                partition.advance(as_of_now(wall_clock()));
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        if last_publish.elapsed() >= PUBLISH_EVERY {
            board.publish(0, partition.snapshot(), wall_clock());
            last_publish = Instant::now();
        }
    }
    board.publish(0, partition.snapshot(), wall_clock());
    tracing::info!(events = paced.sent(), "simulated hotline stopped");
}
