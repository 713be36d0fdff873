//! Replay/backfill from JSON Lines files (or standard input).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;

use super::{wall_clock, AsOf, Watermark};
use crate::engine::{Partition, Shared};
use crate::event::{decode, Event, RejectReason};

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
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("cannot open {path}")]
    Open { path: PathBuf, source: io::Error },
    #[error("cannot read {path}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write the dead-letter file: {0}")]
    DeadLetter(io::Error),
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

enum Item {
    Event(Event),
    Rejected,
}

const BATCH: usize = 1024;

/// Replays `files` into `partition`: a reader thread decodes while this thread applies,
/// so the two cores each do half the work.
pub fn replay(
    files: &[PathBuf],
    shared: &Arc<Shared>,
    partition: &mut Partition,
    as_of: AsOf,
    mut dead_letter: Option<&mut dyn Write>,
) -> Result<ReplayStats, ReplayError> {
    let (tx, rx) = mpsc::sync_channel::<Vec<Item>>(64);
    let (dl_tx, dl_rx) = mpsc::channel::<Vec<u8>>();
    let tz = shared.config.tz;
    let decoder_shared = shared.clone();
    let files = files.to_vec();
    let want_dead_letters = dead_letter.is_some();
    let reader = std::thread::spawn(move || -> Result<u64, ReplayError> {
        let mut lines = 0;
        let mut batch = Vec::with_capacity(BATCH);
        for path in &files {
            let input: Box<dyn Read> = if path == Path::new("-") {
                Box::new(io::stdin())
            } else {
                Box::new(File::open(path).map_err(|source| ReplayError::Open {
                    path: path.clone(),
                    source,
                })?)
            };
            let mut input = BufReader::with_capacity(1 << 20, input);
            let mut buf = Vec::with_capacity(4096);
            let mut line_no = 0u64;
            loop {
                buf.clear();
                let n = input
                    .read_until(b'\n', &mut buf)
                    .map_err(|source| ReplayError::Read {
                        path: path.clone(),
                        source,
                    })?;
                if n == 0 {
                    break;
                }
                line_no += 1;
                let mut msg = &buf[..];
                while let [rest @ .., b'\n' | b'\r'] = msg {
                    msg = rest;
                }
                if msg.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                lines += 1;
                match decode(msg, tz) {
                    Ok(ev) => batch.push(Item::Event(ev)),
                    Err(reject) => {
                        decoder_shared.stats.reject(reject.reason);
                        tracing::warn!(file = %path.display(), line = line_no, reason = reject.reason.code(), field = reject.field, "rejected line");
                        if want_dead_letters {
                            let text = String::from_utf8_lossy(msg);
                            let record = DeadLetter {
                                reason: reject.reason.code(),
                                field: reject.field,
                                source: &path.to_string_lossy(),
                                line: line_no,
                                message: &text,
                            };
                            let mut out = serde_json::to_vec(&record).unwrap_or_default();
                            out.push(b'\n');
                            let _ = dl_tx.send(out);
                        }
                        batch.push(Item::Rejected);
                    }
                }
                if batch.len() == BATCH
                    && tx
                        .send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                        .is_err()
                {
                    return Ok(lines);
                }
            }
        }
        if !batch.is_empty() {
            let _ = tx.send(batch);
        }
        Ok(lines)
    });

    let mut stats = ReplayStats::default();
    let mut watermark = Watermark::default();
    let now = wall_clock();
    let write_dead_letters = |dead_letter: &mut Option<&mut dyn Write>| -> Result<(), ReplayError> {
        if let Some(out) = dead_letter.as_deref_mut() {
            for rec in dl_rx.try_iter() {
                out.write_all(&rec).map_err(ReplayError::DeadLetter)?;
            }
        }
        Ok(())
    };
    for batch in rx {
        for item in batch {
            match item {
                Item::Rejected => stats.rejected += 1,
                Item::Event(ev) => {
                    watermark.observe(ev.at, now);
                    match partition.apply(ev, as_of.at(watermark.get(), now)) {
                        crate::engine::Outcome::Applied => stats.applied += 1,
                        crate::engine::Outcome::Duplicate => stats.duplicates += 1,
                        crate::engine::Outcome::Late => stats.late += 1,
                    }
                }
            }
        }
        write_dead_letters(&mut dead_letter)?;
    }
    stats.lines = reader.join().unwrap_or(Ok(0))?;
    write_dead_letters(&mut dead_letter)?;
    if let Some(out) = dead_letter {
        out.flush().map_err(ReplayError::DeadLetter)?;
    }
    stats.as_of = as_of.at(watermark.get(), now);
    partition.advance(stats.as_of);
    Ok(stats)
}

/// Applies in-memory lines (tests, benchmarks): decode and apply on this thread.
pub fn apply_lines<'a>(
    lines: impl IntoIterator<Item = &'a [u8]>,
    shared: &Shared,
    partition: &mut Partition,
    as_of: AsOf,
) -> i64 {
    let now = wall_clock();
    let mut watermark = Watermark::default();
    for line in lines {
        match decode(line, shared.config.tz) {
            Ok(ev) => {
                watermark.observe(ev.at, now);
                partition.apply(ev, as_of.at(watermark.get(), now));
            }
            Err(r) => shared.stats.reject(r.reason),
        }
    }
    let t = as_of.at(watermark.get(), now);
    partition.advance(t);
    t
}

/// Reason codes, for callers that print a summary.
pub fn reason_codes() -> impl Iterator<Item = &'static str> {
    RejectReason::ALL.iter().map(|r| r.code())
}
