//! A replay worker: decodes blocks, routes events to the shard owning their order,
//! and applies its own shard's events in input order.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;

use super::super::AsOf;
use super::read::lines;
use super::{shard_of, Block, Msg, ReplayError, Routed};
use crate::engine::{Outcome, Partition, Shared};
use crate::event::packed::{self, EventId, Text};
use crate::event::{decode, DecodeCtx, Event, Millis};

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
