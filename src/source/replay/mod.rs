//! Replay/backfill from JSON Lines files (or standard input), on every core.
//!
//! A reader cuts the input into blocks (byte ranges of a file, which the workers map,
//! or blocks of a stream cut at line ends); workers decode blocks in parallel and route
//! each event to the shard that owns its order (by a hash of centre and order id, as
//! Kafka partitions by key); each shard is one [`Partition`] with one writer, applying
//! its events in input order. The as-of time moves per block, to the largest event time
//! of the input up to that block, so the outcome does not depend on the number of
//! shards or on thread timing. Rejected lines are numbered, logged and dead-lettered in
//! input order by one stage (`rejects`).
//!
//! - `read` — cutting the input into blocks.
//! - `worker` — decoding, routing, applying.
//! - `route` — one block's events for one shard.
//! - `rejects` — rejected lines in input order.

mod read;
mod rejects;
mod route;
mod worker;

use std::fs::File;
use std::hash::{BuildHasher, Hash, Hasher};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;

use rustc_hash::FxBuildHasher;

use self::read::read;
use self::rejects::Report;
use self::route::Routed;
use self::worker::{Links, Worker};
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
    /// Which input (file) it is from.
    input: usize,
    chunk: Chunk,
    /// Routed buffers handed back, to route this block's events in (up to one per
    /// shard).
    spare: Vec<Routed>,
}

enum Chunk {
    /// A stream's lines, read by the reader.
    Bytes(Vec<u8>),
    /// The lines starting in `start..end` of a file, for the worker to map.
    Range {
        file: Arc<OpenFile>,
        start: u64,
        end: u64,
    },
}

struct OpenFile {
    file: File,
    path: PathBuf,
    /// Its length when it was opened: what the replay reads.
    len: u64,
}

/// What a worker hands back to the reader: the reader sends a block only when fewer
/// than `IN_FLIGHT` are not applied by every shard yet, and reuses the buffers (fresh
/// ones per block were page faults, and freed memory that the allocator kept: 10 MiB
/// more at the peak over a year's replay).
enum Back {
    /// One shard has applied its share of a block.
    Applied(Routed),
    /// A decoded stream block's buffer.
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
    let keep_rejects = dead_letter.is_some();
    let (txs, rxs): (Vec<Sender<Msg>>, Vec<Receiver<Msg>>) =
        (0..shards).map(|_| mpsc::channel()).unzip();
    let (back_tx, back_rx) = mpsc::channel::<Back>();
    let (report_tx, report_rx) = mpsc::channel::<Report>();
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
                let (back_tx, report_tx) = (back_tx.clone(), report_tx.clone());
                let shared = shared.clone();
                scope.spawn(move || {
                    let worker = Worker {
                        partition: Partition::new(i as i32, shared.clone()),
                        shared: shared.clone(),
                        ctx,
                        as_of,
                        now,
                        keep_rejects,
                    };
                    let links = Links {
                        txs: &txs,
                        back: &back_tx,
                        reports: &report_tx,
                    };
                    let (partition, counts, failed) = worker.run(rx, &links);
                    // Closed here, the shards in parallel: a shard's run ends only
                    // after every block was decoded, so the watermark is final.
                    let held = failed
                        .is_none()
                        .then(|| close(partition, &shared, as_of, now, board));
                    (counts, held, failed)
                })
            })
            .collect();
        drop(txs);
        drop(back_tx);
        drop(report_tx);
        let reported = rejects::report(report_rx, files, dead_letter);
        reader.join().map_err(|_| ReplayError::Thread("reader"))??;
        let mut stats = ReplayStats::default();
        for w in workers {
            let (counts, held, failed) = w.join().map_err(|_| ReplayError::Thread("worker"))?;
            if let Some(e) = failed {
                return Err(e);
            }
            let (orders, approx_bytes) = held.unwrap_or_default();
            stats.lines += counts.lines;
            stats.applied += counts.applied;
            stats.rejected += counts.rejected;
            stats.duplicates += counts.duplicates;
            stats.late += counts.late;
            stats.orders += orders;
            stats.approx_bytes += approx_bytes;
        }
        reported?;
        // Every shard ended at the same as-of: the largest event time of the input.
        let end = as_of.of(shared, now);
        stats.as_of = end;
        Ok(stats)
    })
}

/// Brings a shard that applied all its events to the input's final as-of time and
/// publishes it; returns the orders it holds and its own count of their bytes.
fn close(
    mut partition: Partition,
    shared: &Shared,
    as_of: AsOf,
    now: Millis,
    board: &Board,
) -> (u64, u64) {
    partition.advance(as_of.of(shared, now));
    let held = (partition.len() as u64, partition.approx_bytes() as u64);
    board.publish(partition.id(), partition.snapshot(), now);
    held
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
                let t = as_of.of(shared, now);
                partition.apply(&ev, t);
            }
            Err(r) => shared.stats.reject(r.reason),
        }
    }
    let t = as_of.of(shared, now);
    partition.advance(t);
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EngineConfig;

    /// A line that is not UTF-8 is rejected alone, whether its block is checked whole
    /// (every line UTF-8) or line by line.
    #[test]
    fn a_line_that_is_not_utf8_is_rejected_alone() {
        use std::sync::atomic::Ordering::Relaxed;

        use crate::event::RejectReason;
        let event = |order: &str| {
            format!(
                r#"{{"event_id":"{order}-1","order_id":"{order}","type":"received","at":"2023-01-01T00:00:39+08:00","center":"海口","channel":"phone","purpose":"complaint","disposition":"dispatch","category":"社会事业"}}"#
            )
            .into_bytes()
        };
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.jsonl");
        std::fs::write(&good, [event("H1"), event("H2")].join(&b'\n')).unwrap();
        let bad = dir.path().join("bad.jsonl");
        let mut broken = event("H4");
        broken[30] = 0xff;
        std::fs::write(&bad, [event("H3"), broken, event("H5")].join(&b'\n')).unwrap();
        let shared = Shared::new(EngineConfig::default(), None);
        let board = Board::new();
        let stats = replay(&[good, bad], &shared, &board, 2, AsOf::Watermark, None).unwrap();
        assert_eq!((stats.lines, stats.applied, stats.rejected), (5, 4, 1));
        let invalid = shared.stats.rejected[RejectReason::InvalidJson.index()].load(Relaxed);
        assert_eq!(invalid, 1);
    }

    /// Rejected lines keep their numbers in a file of many blocks, each mapped and
    /// decoded a run at a time.
    #[test]
    fn rejected_lines_are_numbered_across_blocks_and_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("many.jsonl");
        let lines: Vec<String> = (1..=16_000u64)
            .map(|n| match n % 997 {
                0 => format!("{{\"bad\": {n}"),
                _ => format!(
                    r#"{{"event_id":"E{n}","order_id":"O{n}","type":"received","at":"2023-01-01T00:00:39+08:00","center":"海口","channel":"phone","purpose":"complaint","disposition":"dispatch","category":"社会事业"}}"#
                ),
            })
            .collect();
        std::fs::write(&path, lines.join("\n")).unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() > 3 * read::BLOCK as u64);
        let shared = Shared::new(EngineConfig::default(), None);
        let board = Board::new();
        let mut dead = Vec::new();
        let stats = replay(
            &[path],
            &shared,
            &board,
            2,
            AsOf::Watermark,
            Some(&mut dead),
        )
        .unwrap();
        let numbers: Vec<u64> = dead
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| {
                serde_json::from_slice::<serde_json::Value>(l).unwrap()["line"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        let want: Vec<u64> = (1..=16_000).filter(|n| n % 997 == 0).collect();
        assert_eq!(stats.rejected, want.len() as u64);
        assert_eq!(numbers, want, "the dead letters' line numbers");
    }

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
