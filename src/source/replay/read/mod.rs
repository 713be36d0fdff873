//! Cutting the input into blocks, handed round-robin to the workers. A regular file is
//! cut into byte ranges that the workers map and decode in place: no copy out of the
//! page cache (reading a Haikou month's 120 MB into buffers was 5 % of its replay's
//! CPU time, in the kernel), and on a cold page cache both cores share its faults.
//! Standard input and pipes are read here, in blocks cut at line ends.
//!
//! - `map` — a file's block mapped a run at a time.
//! - `lines` — which lines a block holds, and their UTF-8 checked a run at a time.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;

pub(super) use self::lines::checked_lines;
use self::map::map_from;
pub(super) use self::map::mapped_runs;
use super::{Back, Block, Chunk, Msg, OpenFile, ReplayError, Routed};

mod lines;
mod map;

/// Input is cut into blocks of about this size.
pub(super) const BLOCK: usize = 1 << 20;
/// A mapped block is mapped and decoded this much at a time, and lines have their UTF-8
/// checked this much at a time: about what a worker holds of the file.
const RUN: usize = BLOCK / 4;
/// Blocks sent and not yet applied by every shard: a block and its routed copies are
/// held until then.
const IN_FLIGHT: usize = 4;

/// Cuts the inputs into blocks, round-robin to the workers, then tells every worker
/// how many blocks there were — also when opening or reading failed: the workers
/// finish the blocks they have and stop, and the error is the replay's result (a
/// worker left waiting would hang the replay for good).
pub(super) fn read(
    inputs: &[PathBuf],
    txs: &[Sender<Msg>],
    back: Receiver<Back>,
) -> Result<(), ReplayError> {
    let mut out = Out {
        txs,
        seq: 0,
        back,
        outstanding: 0,
        buffers: Vec::new(),
        routed: Vec::new(),
    };
    let result = inputs
        .iter()
        .enumerate()
        .try_for_each(|(input, path)| read_input(input, path, &mut out));
    for tx in txs {
        let _ = tx.send(Msg::Done(out.seq));
    }
    result
}

fn read_input(input: usize, path: &Path, out: &mut Out<'_>) -> Result<(), ReplayError> {
    let read_error = |source| ReplayError::Read {
        path: path.to_owned(),
        source,
    };
    if path == Path::new("-") {
        return read_stream(input, path, io::stdin().lock(), out);
    }
    let file = File::open(path).map_err(|source| ReplayError::Open {
        path: path.to_owned(),
        source,
    })?;
    let meta = file.metadata().map_err(read_error)?;
    if !meta.is_file() || meta.len() == 0 {
        // A pipe or a device (or nothing to map): read in turn.
        return read_stream(input, path, file, out);
    }
    if map_from(&file, 0, meta.len()).is_err() {
        // A file system that cannot map files: read it in turn.
        return read_stream(input, path, file, out);
    }
    let file = Arc::new(OpenFile {
        file,
        path: path.to_owned(),
        len: meta.len(),
    });
    let mut start = 0;
    while start < file.len {
        let end = file.len.min(start + BLOCK as u64);
        let chunk = Chunk::Range {
            file: file.clone(),
            start,
            end,
        };
        out.send(input, chunk)?;
        start = end;
    }
    Ok(())
}

/// Reads a stream in blocks cut after their last newline.
fn read_stream(
    input: usize,
    path: &Path,
    mut stream: impl Read,
    out: &mut Out<'_>,
) -> Result<(), ReplayError> {
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let mut data = out.buffer();
        data.extend_from_slice(&carry);
        carry.clear();
        let eof = loop {
            let start = data.len();
            data.reserve(BLOCK);
            let n = (&mut stream)
                .take(BLOCK as u64)
                .read_to_end(&mut data)
                .map_err(|source| ReplayError::Read {
                    path: path.to_owned(),
                    source,
                })?;
            if n == 0 {
                break true;
            }
            // Cut after the last newline; the rest starts the next block.
            if let Some(i) = memchr::memrchr(b'\n', &data[start..]) {
                carry.extend_from_slice(&data[start + i + 1..]);
                data.truncate(start + i + 1);
                break false;
            }
            // A line longer than a block: read on into the same buffer.
        };
        if data.is_empty() {
            return Ok(());
        }
        out.send(input, Chunk::Bytes(data))?;
        if eof {
            return Ok(());
        }
    }
}

/// Where blocks go, and what the workers hand back.
struct Out<'a> {
    txs: &'a [Sender<Msg>],
    /// Blocks sent.
    seq: u64,
    back: Receiver<Back>,
    /// Shares of blocks sent and not applied yet (one per shard per block).
    outstanding: usize,
    /// Stream buffers handed back, for the next blocks.
    buffers: Vec<Vec<u8>>,
    /// Routed buffers handed back, for the next blocks.
    routed: Vec<Routed>,
}

impl Out<'_> {
    /// Sends a block to the next worker once fewer than `IN_FLIGHT` are unapplied.
    fn send(&mut self, input: usize, chunk: Chunk) -> Result<(), ReplayError> {
        let shares = self.txs.len();
        while self.outstanding + shares > IN_FLIGHT * shares {
            let back = self
                .back
                .recv()
                .map_err(|_| ReplayError::Thread("worker"))?;
            self.take(back);
        }
        self.outstanding += shares;
        let spare = self.routed.len().saturating_sub(shares);
        let block = Block {
            seq: self.seq,
            input,
            chunk,
            spare: self.routed.split_off(spare),
        };
        self.txs[(self.seq % shares as u64) as usize]
            .send(Msg::Block(block))
            .map_err(|_| ReplayError::Thread("worker"))?;
        self.seq += 1;
        Ok(())
    }

    fn take(&mut self, back: Back) {
        match back {
            Back::Applied(r) => {
                self.outstanding -= 1;
                self.routed.push(r);
            }
            Back::Buffer(b) => self.buffers.push(b),
        }
    }

    /// An empty buffer: one handed back if there is one (its pages are mapped already).
    fn buffer(&mut self) -> Vec<u8> {
        while let Ok(back) = self.back.try_recv() {
            self.take(back);
        }
        let mut b = self.buffers.pop().unwrap_or_default();
        b.clear();
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_is_cut_at_line_ends_also_around_a_line_longer_than_blocks() {
        let long = vec![b'x'; 2 * BLOCK + BLOCK / 2];
        let text = [b"a\n".as_slice(), &long, b"\nb\nlast"].concat();
        let (tx, rx) = std::sync::mpsc::channel();
        let (back_tx, back_rx) = std::sync::mpsc::channel();
        let blocks = std::thread::scope(|scope| {
            // What the workers do: take the blocks, hand back their shares.
            let worker = scope.spawn(move || {
                let mut blocks = Vec::new();
                for msg in rx {
                    if let Msg::Block(b) = msg {
                        if let Chunk::Bytes(data) = b.chunk {
                            blocks.push(data);
                        }
                        let _ = back_tx.send(Back::Applied(Routed::with_capacity(b.seq, 0, 0)));
                    }
                }
                blocks
            });
            let txs = [tx];
            let mut out = Out {
                txs: &txs,
                seq: 0,
                back: back_rx,
                outstanding: 0,
                buffers: Vec::new(),
                routed: Vec::new(),
            };
            read_stream(0, Path::new("-"), &text[..], &mut out).unwrap();
            drop(out);
            drop(txs);
            worker.join().unwrap()
        });
        let cut = blocks.len() - 1;
        assert!(blocks[..cut].iter().all(|b| b.ends_with(b"\n")));
        assert!(
            blocks.iter().any(|b| b.len() > 2 * BLOCK),
            "the long line whole"
        );
        assert_eq!(blocks.concat(), text);
    }
}
