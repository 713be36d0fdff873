//! Replay/backfill from JSON Lines files (or standard input), on every core.
//!
//! A reader cuts the input into blocks at line ends; workers decode blocks in parallel
//! and route each event to the shard that owns its order (by a hash of centre and order
//! id, as Kafka partitions by key); each shard is one [`Partition`] with one writer,
//! applying its events in input order. The as-of time moves per block, to the largest
//! event time of the input up to that block, so the outcome does not depend on the
//! number of shards or on thread timing.

use std::collections::BTreeMap;
use std::fs::File;
use std::hash::{BuildHasher, Hash, Hasher};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;

use rustc_hash::FxBuildHasher;

use super::{wall_clock, AsOf};
use crate::engine::{Outcome, Partition, Shared};
use crate::event::packed::{self, EventId, Text};
use crate::event::{decode, DecodeCtx, Event, Millis};
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

/// A rejected line, as written to the dead-letter file.
#[derive(serde::Serialize)]
struct DeadLetter<'a> {
    reason: &'static str,
    field: Option<&'static str>,
    source: &'a str,
    line: u64,
    /// The line unchanged (lossy only if it was not UTF-8).
    message: &'a str,
}

/// Input is cut into blocks of about this size.
const BLOCK: usize = 1 << 20;
/// Blocks read ahead of the slowest worker.
const IN_FLIGHT: usize = 8;

struct Block {
    seq: u64,
    source: Arc<str>,
    first_line: u64,
    data: Vec<u8>,
}

/// One block's events for one shard, packed, with the block's largest event time.
struct Routed {
    seq: u64,
    events: Vec<u8>,
    max_at: Millis,
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
    // Workers hand a credit back per block decoded; the reader waits for one when
    // IN_FLIGHT blocks are outstanding.
    let (credit_tx, credit_rx) = mpsc::channel::<()>();
    let (dl_tx, dl_rx) = mpsc::channel::<(u64, Vec<u8>)>();
    std::thread::scope(|scope| {
        let reader = {
            let txs = txs.clone();
            scope.spawn(move || read(files, &txs, &credit_rx))
        };
        let workers: Vec<_> = rxs
            .into_iter()
            .enumerate()
            .map(|(i, rx)| {
                let txs = txs.clone();
                let dl_tx = want_dead_letters.then(|| dl_tx.clone());
                let credit_tx = credit_tx.clone();
                let shared = shared.clone();
                scope.spawn(move || {
                    let worker = Worker {
                        partition: Partition::new(i as i32, shared.clone()),
                        shared,
                        ctx,
                        as_of,
                        now,
                    };
                    worker.run(rx, &txs, &credit_tx, dl_tx)
                })
            })
            .collect();
        drop(txs);
        drop(dl_tx);
        drop(credit_tx);
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

/// Reads the files into blocks cut at line ends, round-robin to the workers, then
/// tells every worker how many blocks there were — also when reading failed: the
/// workers finish the blocks they have and stop, and the error is the replay's
/// result (a worker left waiting would hang the replay for good).
fn read(
    files: &[PathBuf],
    txs: &[Sender<Msg>],
    credits: &Receiver<()>,
) -> Result<u64, ReplayError> {
    let mut seq = 0u64;
    let result = read_blocks(files, txs, credits, &mut seq);
    for tx in txs {
        let _ = tx.send(Msg::Done(seq));
    }
    result
}

fn read_blocks(
    files: &[PathBuf],
    txs: &[Sender<Msg>],
    credits: &Receiver<()>,
    seq: &mut u64,
) -> Result<u64, ReplayError> {
    let mut outstanding = 0usize;
    let mut lines = 0u64;
    for path in files {
        let source: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
        let mut input: Box<dyn Read> = if path == Path::new("-") {
            Box::new(io::stdin().lock())
        } else {
            Box::new(File::open(path).map_err(|source| ReplayError::Open {
                path: path.clone(),
                source,
            })?)
        };
        let mut carry: Vec<u8> = Vec::new();
        let mut line_no = 1u64;
        loop {
            let mut data = std::mem::take(&mut carry);
            data.reserve(BLOCK);
            let start = data.len();
            let n = (&mut input)
                .take(BLOCK as u64)
                .read_to_end(&mut data)
                .map_err(|source| ReplayError::Read {
                    path: path.clone(),
                    source,
                })?;
            let eof = n == 0;
            if !eof {
                // Cut after the last newline; the rest starts the next block.
                match memchr_last(&data[start..]) {
                    Some(i) => carry = data.split_off(start + i + 1),
                    None => {
                        carry = data;
                        continue;
                    }
                }
            }
            if data.is_empty() {
                break;
            }
            let (newlines, non_blank) = count_lines(&data);
            lines += non_blank;
            while outstanding >= IN_FLIGHT {
                credits.recv().map_err(|_| ReplayError::Thread("worker"))?;
                outstanding -= 1;
            }
            outstanding += 1;
            let block = Block {
                seq: *seq,
                source: source.clone(),
                first_line: line_no,
                data,
            };
            line_no += newlines;
            if txs[(*seq % txs.len() as u64) as usize]
                .send(Msg::Block(block))
                .is_err()
            {
                return Err(ReplayError::Thread("worker"));
            }
            *seq += 1;
            if eof {
                break;
            }
        }
    }
    Ok(lines)
}

fn memchr_last(b: &[u8]) -> Option<usize> {
    memchr::memrchr(b'\n', b)
}

/// The pieces of `data` between newlines, as `data.split(|&b| b == b'\n')` gives them,
/// found with memchr's vectorised search: the byte-at-a-time split and counts were a
/// tenth of a replay's CPU time (the reader thread's part of it on the critical path).
fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    memchr::memchr_iter(b'\n', data)
        .map(Some)
        .chain(std::iter::once(None))
        .map(move |end| {
            let end = end.unwrap_or(data.len());
            let line = &data[start..end];
            start = end + 1;
            line
        })
}

/// Newlines, and non-blank lines.
fn count_lines(data: &[u8]) -> (u64, u64) {
    let (mut newlines, mut non_blank) = (0u64, 0u64);
    for l in lines(data) {
        newlines += 1;
        non_blank += u64::from(!l.iter().all(u8::is_ascii_whitespace));
    }
    (newlines - 1, non_blank)
}

#[derive(Debug, Default)]
struct Counts {
    applied: u64,
    rejected: u64,
    duplicates: u64,
    late: u64,
}

struct Worker {
    partition: Partition,
    shared: Arc<Shared>,
    ctx: DecodeCtx,
    as_of: AsOf,
    now: Millis,
}

impl Worker {
    fn run(
        mut self,
        rx: Receiver<Msg>,
        txs: &[Sender<Msg>],
        credits: &Sender<()>,
        dead_letters: Option<Sender<(u64, Vec<u8>)>>,
    ) -> (Partition, Counts) {
        let mut counts = Counts::default();
        let mut pending: BTreeMap<u64, Routed> = BTreeMap::new();
        let mut next = 0u64;
        let mut total: Option<u64> = None;
        let mut watermark = Millis::MIN;
        while total.is_none_or(|t| next < t) {
            let Ok(msg) = rx.recv() else { break };
            match msg {
                Msg::Block(b) => {
                    self.decode_block(b, txs, &mut counts, dead_letters.as_ref());
                    let _ = credits.send(());
                }
                Msg::Routed(r) => {
                    pending.insert(r.seq, r);
                }
                Msg::Done(n) => total = Some(n),
            }
            // Apply the blocks in input order.
            while let Some(r) = pending.remove(&next) {
                watermark = watermark.max(r.max_at);
                let as_of = self.as_of.at(watermark, self.now);
                self.apply(&r.events, as_of, &mut counts);
                next += 1;
            }
        }
        (self.partition, counts)
    }

    fn decode_block(
        &self,
        b: Block,
        txs: &[Sender<Msg>],
        counts: &mut Counts,
        dead_letters: Option<&Sender<(u64, Vec<u8>)>>,
    ) {
        let shards = txs.len();
        let mut out: Vec<Vec<u8>> = vec![Vec::with_capacity(b.data.len() / shards + 64); shards];
        let mut max_at = Millis::MIN;
        let mut dead = Vec::new();
        for (i, line) in lines(&b.data).enumerate() {
            let mut msg = line;
            while let [rest @ .., b'\r'] = msg {
                msg = rest;
            }
            if msg.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match decode(msg, &self.ctx) {
                Ok(ev) => {
                    max_at = max_at.max(ev.at);
                    let center = ev
                        .center
                        .as_deref()
                        .unwrap_or(&self.shared.config.default_center);
                    let shard = shard_of(center, &ev.order_id, shards);
                    route(&mut out[shard], &ev);
                }
                Err(reject) => {
                    counts.rejected += 1;
                    self.shared.stats.reject(reject.reason);
                    let line_no = b.first_line + i as u64;
                    tracing::warn!(source = %b.source, line = line_no, reason = reject.reason.code(), field = reject.field, "rejected line");
                    if dead_letters.is_some() {
                        let text = String::from_utf8_lossy(msg);
                        let record = DeadLetter {
                            reason: reject.reason.code(),
                            field: reject.field,
                            source: &b.source,
                            line: line_no,
                            message: &text,
                        };
                        if let Ok(mut v) = serde_json::to_vec(&record) {
                            v.push(b'\n');
                            dead.extend_from_slice(&v);
                        }
                    }
                }
            }
        }
        if max_at != Millis::MIN {
            self.shared.observe(max_at);
        }
        if let Some(dl) = dead_letters {
            let _ = dl.send((b.seq, dead));
        }
        for (shard, events) in out.into_iter().enumerate() {
            let _ = txs[shard].send(Msg::Routed(Routed {
                seq: b.seq,
                events,
                max_at,
            }));
        }
    }

    fn apply(&mut self, mut events: &[u8], as_of: Millis, counts: &mut Counts) {
        while !events.is_empty() {
            let Some(ev) = unroute(&mut events) else {
                tracing::error!("a routed event does not read back (a bug)");
                return;
            };
            match self.partition.apply(&ev, as_of) {
                Outcome::Applied => counts.applied += 1,
                Outcome::Duplicate => counts.duplicates += 1,
                Outcome::Late => counts.late += 1,
            }
        }
        self.partition.advance(as_of);
    }
}

/// Packs an event for another shard: order id, centre, then the packed event.
fn route<S: AsRef<str>>(out: &mut Vec<u8>, ev: &Event<S>) {
    packed::put_bytes(out, ev.order_id.as_ref().as_bytes());
    let center = ev.center.as_ref().map(|c| c.as_ref());
    <Text as packed::Codec>::put_opt(out, center.as_ref());
    let kind = ev.kind.as_ref().map(|s| s.as_ref());
    let id = EventId {
        prefixed: false,
        rest: ev.event_id.as_ref().as_bytes(),
    };
    packed::put::<Text>(out, 0, ev.at, id, &kind);
}

fn unroute<'a>(input: &mut &'a [u8]) -> Option<Event<&'a str>> {
    let order_id = std::str::from_utf8(packed::get_bytes(input)?).ok()?;
    let center = <Text as packed::Codec>::get_opt(input)?;
    let p = packed::get::<Text>(input, 0)?;
    Some(Event {
        event_id: std::str::from_utf8(p.id.rest).ok()?,
        order_id,
        at: p.at,
        center,
        kind: p.kind,
    })
}

/// Writes dead letters in input order as blocks finish.
fn write_dead_letters(
    rx: Receiver<(u64, Vec<u8>)>,
    out: Option<&mut dyn Write>,
) -> Result<(), ReplayError> {
    let Some(out) = out else {
        for _ in rx {}
        return Ok(());
    };
    let mut pending = BTreeMap::new();
    let mut next = 0u64;
    for (seq, bytes) in rx {
        pending.insert(seq, bytes);
        while let Some(b) = pending.remove(&next) {
            out.write_all(&b).map_err(ReplayError::DeadLetter)?;
            next += 1;
        }
    }
    for b in pending.into_values() {
        out.write_all(&b).map_err(ReplayError::DeadLetter)?;
    }
    out.flush().map_err(ReplayError::DeadLetter)
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
    fn lines_are_cut_as_split_cuts_them() {
        for data in [&b""[..], b"\n", b"a", b"a\n", b"a\nb", b"\n\na\n \nb\r\n"] {
            let want: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
            assert_eq!(lines(data).collect::<Vec<_>>(), want, "{data:?}");
        }
        assert_eq!(count_lines(b"\n\na\n \nb\r\n"), (5, 2));
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
