//! Replay/backfill from JSON Lines files (or standard input), on every core.
//!
//! A reader cuts the input into blocks at line ends; workers decode blocks in parallel
//! and route each event to the shard that owns its order (by a hash of centre and order
//! id, as Kafka partitions by key); each shard is one [`Partition`] with one writer,
//! applying its events in input order. The as-of time moves per block, to the largest
//! event time of the input up to that block, so the outcome does not depend on the
//! number of shards or on thread timing.

mod read;
mod route;
mod worker;

use std::hash::{BuildHasher, Hash, Hasher};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;

use rustc_hash::FxBuildHasher;

use self::read::read;
use self::route::Routed;
use self::worker::{write_dead_letters, Worker};
use super::{wall_clock, AsOf};
use crate::engine::{Partition, Shared};
use crate::event::{decode, DecodeCtx, Millis};
use crate::view::Board;

/// What a replay did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayStats {
    pub lines: u64,
    pub applied: u64,
    pub rejected: u64,
    pub duplicates: u64,
    pub late: u64,
    /// Final as-of time.
    pub as_of: i64,
    /// Orders held at the end.
    pub orders: u64,
    /// What the partitions' own accounting says they held at the end (bytes).
    pub approx_bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("cannot open {path}")]
    Open { path: PathBuf, source: io::Error },
    #[error("cannot read {path}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write the dead-letter file: {0}")]
    DeadLetter(io::Error),
    #[error("a replay thread failed ({0}); the figures would be incomplete")]
    Thread(&'static str),
}

struct Block {
    seq: u64,
    source: Arc<str>,
    first_line: u64,
    data: Vec<u8>,
    /// Routed buffers handed back, to route this block's events in (up to one per
    /// shard).
    spare: Vec<Routed>,
}

/// What a worker hands back to the reader: the reader sends a block only when fewer
/// than `IN_FLIGHT` are not applied by every shard yet, and reuses the buffers (fresh
/// ones per block were page faults, and freed memory that the allocator kept: 10 MiB
/// more at the peak over a year's replay).
enum Back {
    /// One shard has applied its share of a block.
    Applied(Routed),
    /// A decoded block's buffer.
    Buffer(Vec<u8>),
}

enum Msg {
    Block(Block),
    Routed(Routed),
    /// No more blocks; this many were sent in all.
    Done(u64),
}

/// The shard owning an order.
pub fn shard_of(center: &str, order_id: &str, shards: usize) -> usize {
    let mut h = FxBuildHasher.build_hasher();
    center.hash(&mut h);
    order_id.hash(&mut h);
    (h.finish() % shards.max(1) as u64) as usize
}

/// Replays `files` on `shards` partitions and publishes them on `board`.
pub fn replay(
    files: &[PathBuf],
    shared: &Arc<Shared>,
    board: &Board,
    shards: usize,
    as_of: AsOf,
    dead_letter: Option<&mut dyn Write>,
) -> Result<ReplayStats, ReplayError> {
    let shards = shards.max(1);
    let now = wall_clock();
    let ctx = DecodeCtx::new(shared.config.tz, now, shared.config.future_horizon_ms);
    let want_dead_letters = dead_letter.is_some();
    let (txs, rxs): (Vec<Sender<Msg>>, Vec<Receiver<Msg>>) =
        (0..shards).map(|_| mpsc::channel()).unzip();
    let (back_tx, back_rx) = mpsc::channel::<Back>();
    let (dl_tx, dl_rx) = mpsc::channel::<(u64, Vec<u8>)>();
    std::thread::scope(|scope| {
        let reader = {
            let txs = txs.clone();
            scope.spawn(move || read(files, &txs, back_rx))
        };
        let workers: Vec<_> = rxs
            .into_iter()
            .enumerate()
            .map(|(i, rx)| {
                let txs = txs.clone();
                let dl_tx = want_dead_letters.then(|| dl_tx.clone());
                let back_tx = back_tx.clone();
                let shared = shared.clone();
                scope.spawn(move || {
                    let worker = Worker {
                        partition: Partition::new(i as i32, shared.clone()),
                        shared,
                        ctx,
                        as_of,
                        now,
                    };
                    worker.run(rx, &txs, &back_tx, dl_tx)
                })
            })
            .collect();
        drop(txs);
        drop(dl_tx);
        drop(back_tx);
        let dead = write_dead_letters(dl_rx, dead_letter);
        let lines = reader.join().map_err(|_| ReplayError::Thread("reader"))??;
        let mut stats = ReplayStats {
            lines,
            ..ReplayStats::default()
        };
        let mut done = Vec::new();
        for w in workers {
            done.push(w.join().map_err(|_| ReplayError::Thread("worker"))?);
        }
        dead?;
        // Every shard ends at the same as-of: the largest event time of the input.
        let end = as_of.at(shared.watermark().unwrap_or(Millis::MIN), now);
        for (mut partition, counts) in done {
            partition.advance(end);
            stats.applied += counts.applied;
            stats.rejected += counts.rejected;
            stats.duplicates += counts.duplicates;
            stats.late += counts.late;
            stats.orders += partition.len() as u64;
            stats.approx_bytes += partition.approx_bytes() as u64;
            board.publish(partition.id(), partition.snapshot(), now);
        }
        stats.as_of = end;
        Ok(stats)
    })
}

/// Applies in-memory lines to one partition on this thread (tests, benchmarks),
/// without a future guard: the as-of follows `as_of` over the lines' event times.
pub fn apply_lines<'a>(
    lines: impl IntoIterator<Item = &'a [u8]>,
    shared: &Shared,
    partition: &mut Partition,
    as_of: AsOf,
) -> i64 {
    let now = wall_clock();
    let ctx = DecodeCtx::new(shared.config.tz, now, shared.config.future_horizon_ms);
    for line in lines {
        match decode(line, &ctx) {
            Ok(ev) => {
                shared.observe(ev.at);
                let t = as_of.at(shared.watermark().unwrap_or(Millis::MIN), now);
                partition.apply(&ev, t);
            }
            Err(r) => shared.stats.reject(r.reason),
        }
    }
    let t = as_of.at(shared.watermark().unwrap_or(Millis::MIN), now);
    partition.advance(t);
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EngineConfig;

    #[test]
    fn a_file_that_cannot_be_opened_fails_the_replay_instead_of_hanging_it() {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let shared = Shared::new(EngineConfig::default(), None);
            let board = Board::new();
            let files = [PathBuf::from("/nonexistent/hotline-pulse-replay.jsonl")];
            let r = replay(&files, &shared, &board, 2, AsOf::Watermark, None);
            let _ = tx.send(matches!(r, Err(ReplayError::Open { .. })));
        });
        // A deadlock, not a speed goal: the replay returns at once or never.
        let failed = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the replay hung on a file it could not open");
        assert!(failed, "expected ReplayError::Open");
    }
}
