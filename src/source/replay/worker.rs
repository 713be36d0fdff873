//! A replay worker: reads and decodes blocks, routes events to the shard owning their
//! order, and applies its own shard's events in input order.

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;

use super::super::AsOf;
use super::read::{checked_lines, mapped_runs};
use super::rejects::{Rejected, Report};
use super::{shard_of, Back, Block, Chunk, Msg, ReplayError, Routed};
use crate::engine::{Outcome, Partition, Shared, WARM_BATCH};
use crate::event::{decode, decode_text, DecodeCtx, Millis};

#[derive(Debug, Default)]
pub(super) struct Counts {
    /// Lines that are not blank.
    pub(super) lines: u64,
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
    /// Rejected lines are kept whole for the dead-letter file.
    pub(super) keep_rejects: bool,
}

/// Where a worker's results go.
pub(super) struct Links<'a> {
    /// Every worker, by shard.
    pub(super) txs: &'a [Sender<Msg>],
    pub(super) back: &'a Sender<Back>,
    pub(super) reports: &'a Sender<Report>,
}

/// A block's events and rejects as its lines are decoded.
struct Decoded {
    /// By shard.
    out: Vec<Routed>,
    max_at: Millis,
    rejects: Vec<Rejected>,
    /// Newlines before the lines to decode next: their index in the block.
    newlines: u64,
}

/// What a worker ends with: its shard, its counts, and the first read error.
pub(super) type Finished = (Partition, Counts, Option<ReplayError>);

impl Worker {
    pub(super) fn run(mut self, rx: Receiver<Msg>, links: &Links<'_>) -> Finished {
        let mut counts = Counts::default();
        let mut failed = None;
        let mut pending: BTreeMap<u64, Routed> = BTreeMap::new();
        let mut next = 0u64;
        let mut total: Option<u64> = None;
        let mut watermark = Millis::MIN;
        while total.is_none_or(|t| next < t) {
            let Ok(msg) = rx.recv() else { break };
            match msg {
                Msg::Block(b) => {
                    if let Err(e) = self.decode_block(b, links, &mut counts) {
                        failed.get_or_insert(e);
                    }
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
                let _ = links.back.send(Back::Applied(r));
                next += 1;
            }
        }
        (self.partition, counts, failed)
    }

    /// Decodes a block, mapping it a run at a time if it is a file range, and routes
    /// its events. Every shard gets its share and the reject stage its report even
    /// when mapping failed (the lines before it, or none): the others wait for them.
    fn decode_block(
        &self,
        b: Block,
        links: &Links<'_>,
        counts: &mut Counts,
    ) -> Result<(), ReplayError> {
        let shards = links.txs.len();
        let bytes = match &b.chunk {
            Chunk::Bytes(data) => data.len(),
            Chunk::Range { start, end, .. } => (end - start) as usize,
        };
        // About 220 bytes of JSON per event, a third of them text that is kept.
        let (events, text) = (bytes / 200 / shards, bytes / 3 / shards);
        let mut spare = b.spare.into_iter();
        let mut block = Decoded {
            out: (0..shards)
                .map(|_| match spare.next() {
                    Some(r) => r.reuse(b.seq),
                    None => Routed::with_capacity(b.seq, events, text),
                })
                .collect(),
            max_at: Millis::MIN,
            rejects: Vec::new(),
            newlines: 0,
        };
        let failed = match &b.chunk {
            Chunk::Bytes(data) => {
                self.decode_lines(data, &mut block, counts);
                None
            }
            // Each run's mapping goes, and its pages with it, once its lines are
            // decoded (their events' text is copied into the routed buffers).
            Chunk::Range { file, start, end } => {
                mapped_runs(file, *start, *end).find_map(|mapped| match mapped {
                    Ok((map, lines)) => {
                        self.decode_lines(&map[lines], &mut block, counts);
                        None
                    }
                    Err(source) => Some(ReplayError::Read {
                        path: file.path.clone(),
                        source,
                    }),
                })
            }
        };
        if block.max_at != Millis::MIN {
            self.shared.observe(block.max_at);
        }
        let _ = links.reports.send(Report {
            seq: b.seq,
            input: b.input,
            newlines: block.newlines,
            rejects: block.rejects,
        });
        for (shard, mut routed) in block.out.into_iter().enumerate() {
            routed.max_at = block.max_at;
            let _ = links.txs[shard].send(Msg::Routed(routed));
        }
        if let Chunk::Bytes(data) = b.chunk {
            let _ = links.back.send(Back::Buffer(data));
        }
        failed.map_or(Ok(()), Err)
    }

    /// Decodes whole lines of a block (all of them, or a mapped run's) into `block`.
    fn decode_lines(&self, data: &[u8], block: &mut Decoded, counts: &mut Counts) {
        let shards = block.out.len();
        let mut last = 0;
        for (i, (line, utf8)) in checked_lines(data).enumerate() {
            last = i as u64;
            let mut msg = line;
            while let [rest @ .., b'\r'] = msg {
                msg = rest;
            }
            if msg.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            counts.lines += 1;
            let decoded = if utf8 {
                // SAFETY: `msg` is a piece of a line of a run that was checked UTF-8
                // (`checked_lines`), cut before ASCII bytes (`\n`, `\r`): on char
                // boundaries, so UTF-8 too.
                decode_text(unsafe { std::str::from_utf8_unchecked(msg) }, &self.ctx)
            } else {
                decode(msg, &self.ctx)
            };
            match decoded {
                Ok(ev) => {
                    block.max_at = block.max_at.max(ev.at);
                    let center = ev
                        .center
                        .as_deref()
                        .unwrap_or(&self.shared.config.default_center);
                    let shard = shard_of(center, &ev.order_id, shards);
                    block.out[shard].push(ev);
                }
                Err(reject) => {
                    counts.rejected += 1;
                    self.shared.stats.reject(reject.reason);
                    block.rejects.push(Rejected {
                        index: block.newlines + i as u64,
                        reason: reject.reason,
                        field: reject.field,
                        message: self.keep_rejects.then(|| msg.to_vec()),
                    });
                }
            }
        }
        // The pieces after the lines' newlines: a run's lines end with one, so its
        // last piece is empty and the next run's first line has its index.
        block.newlines += last;
    }

    fn apply(&mut self, routed: &Routed, as_of: Millis, counts: &mut Counts) {
        // A batch's orders are looked up from their keys alone, then its events are
        // read whole as they are applied (gathering the whole events of a batch first
        // was 4 % of a replay's instructions).
        let (mut keys, mut events) = (routed.order_keys(), routed.events());
        loop {
            self.partition.warm(keys.by_ref().take(WARM_BATCH));
            let mut any = false;
            for ev in events.by_ref().take(WARM_BATCH) {
                any = true;
                match self.partition.apply(&ev, as_of) {
                    Outcome::Applied => counts.applied += 1,
                    Outcome::Duplicate => counts.duplicates += 1,
                    Outcome::Late => counts.late += 1,
                }
            }
            if !any {
                break;
            }
        }
        self.partition.advance(as_of);
    }
}
