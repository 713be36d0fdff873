//! A replay worker: decodes blocks, routes events to the shard owning their order,
//! and applies its own shard's events in input order.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;

use super::super::AsOf;
use super::read::lines;
use super::{shard_of, Back, Block, Msg, ReplayError, Routed};
use crate::engine::{Outcome, Partition, Shared};
use crate::event::{decode, DecodeCtx, Millis};

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

#[derive(Debug, Default)]
pub(super) struct Counts {
    pub(super) applied: u64,
    pub(super) rejected: u64,
    pub(super) duplicates: u64,
    pub(super) late: u64,
}

pub(super) struct Worker {
    pub(super) partition: Partition,
    pub(super) shared: Arc<Shared>,
    pub(super) ctx: DecodeCtx,
    pub(super) as_of: AsOf,
    pub(super) now: Millis,
}

impl Worker {
    pub(super) fn run(
        mut self,
        rx: Receiver<Msg>,
        txs: &[Sender<Msg>],
        back: &Sender<Back>,
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
                    let buffer = self.decode_block(b, txs, &mut counts, dead_letters.as_ref());
                    let _ = back.send(Back::Buffer(buffer));
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
                self.apply(&r, as_of, &mut counts);
                let _ = back.send(Back::Applied(r));
                next += 1;
            }
        }
        (self.partition, counts)
    }

    /// Decodes a block and routes its events; gives back the block's buffer.
    fn decode_block(
        &self,
        b: Block,
        txs: &[Sender<Msg>],
        counts: &mut Counts,
        dead_letters: Option<&Sender<(u64, Vec<u8>)>>,
    ) -> Vec<u8> {
        let shards = txs.len();
        // About 220 bytes of JSON per event, a third of them text that is kept.
        let (events, text) = (b.data.len() / 200 / shards, b.data.len() / 3 / shards);
        let mut spare = b.spare.into_iter();
        let mut out: Vec<Routed> = (0..shards)
            .map(|_| match spare.next() {
                Some(r) => r.reuse(b.seq),
                None => Routed::with_capacity(b.seq, events, text),
            })
            .collect();
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
                    out[shard].push(ev);
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
        for (shard, mut routed) in out.into_iter().enumerate() {
            routed.max_at = max_at;
            let _ = txs[shard].send(Msg::Routed(routed));
        }
        b.data
    }

    fn apply(&mut self, routed: &Routed, as_of: Millis, counts: &mut Counts) {
        for ev in routed.events() {
            match self.partition.apply(&ev, as_of) {
                Outcome::Applied => counts.applied += 1,
                Outcome::Duplicate => counts.duplicates += 1,
                Outcome::Late => counts.late += 1,
            }
        }
        self.partition.advance(as_of);
    }
}

/// Writes dead letters in input order as blocks finish.
pub(super) fn write_dead_letters(
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
