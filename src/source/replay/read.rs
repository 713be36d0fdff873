//! Reading the input: blocks cut at line ends, handed round-robin to the workers.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;

use super::{Back, Block, Msg, ReplayError, Routed};

/// Input is cut into blocks of about this size.
const BLOCK: usize = 1 << 20;
/// Blocks read and not yet applied by every shard: a block and its routed copies are
/// held until then.
const IN_FLIGHT: usize = 4;

/// Reads the files into blocks cut at line ends, round-robin to the workers, then
/// tells every worker how many blocks there were — also when reading failed: the
/// workers finish the blocks they have and stop, and the error is the replay's
/// result (a worker left waiting would hang the replay for good).
pub(super) fn read(
    files: &[PathBuf],
    txs: &[Sender<Msg>],
    back: Receiver<Back>,
) -> Result<u64, ReplayError> {
    let mut seq = 0u64;
    let mut returns = Returns {
        rx: back,
        shares: txs.len(),
        outstanding: 0,
        buffers: Vec::new(),
        routed: Vec::new(),
    };
    let result = read_blocks(files, txs, &mut returns, &mut seq);
    for tx in txs {
        let _ = tx.send(Msg::Done(seq));
    }
    result
}

/// What the workers hand back, as the reader keeps count of it.
struct Returns {
    rx: Receiver<Back>,
    /// Shares per block: one per shard.
    shares: usize,
    /// Shares of blocks sent and not applied yet.
    outstanding: usize,
    /// Block buffers handed back, for the next blocks.
    buffers: Vec<Vec<u8>>,
    /// Routed buffers handed back, for the next blocks.
    routed: Vec<Routed>,
}

impl Returns {
    fn take(&mut self, back: Back) {
        match back {
            Back::Applied(r) => {
                self.outstanding -= 1;
                self.routed.push(r);
            }
            Back::Buffer(b) => self.buffers.push(b),
        }
    }

    /// Waits until one more block may be sent, and counts it sent.
    fn room(&mut self) -> Result<(), ReplayError> {
        while self.outstanding + self.shares > IN_FLIGHT * self.shares {
            let back = self.rx.recv().map_err(|_| ReplayError::Thread("worker"))?;
            self.take(back);
        }
        self.outstanding += self.shares;
        Ok(())
    }

    /// An empty buffer: one handed back if there is one (its pages are already
    /// mapped: fresh 1 MiB buffers were 3 % of a replay in page faults).
    fn buffer(&mut self) -> Vec<u8> {
        while let Ok(back) = self.rx.try_recv() {
            self.take(back);
        }
        let mut b = self.buffers.pop().unwrap_or_default();
        b.clear();
        b
    }

    /// Routed buffers for a block: one per shard, as far as there are.
    fn spare(&mut self) -> Vec<Routed> {
        let n = self.routed.len().saturating_sub(self.shares);
        self.routed.split_off(n)
    }
}

fn read_blocks(
    files: &[PathBuf],
    txs: &[Sender<Msg>],
    returns: &mut Returns,
    seq: &mut u64,
) -> Result<u64, ReplayError> {
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
            let mut data = returns.buffer();
            data.reserve(carry.len() + BLOCK);
            data.extend_from_slice(&carry);
            carry.clear();
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
                    Some(i) => {
                        carry.extend_from_slice(&data[start + i + 1..]);
                        data.truncate(start + i + 1);
                    }
                    None => {
                        // A line longer than a block: read on.
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
            returns.room()?;
            let block = Block {
                seq: *seq,
                source: source.clone(),
                first_line: line_no,
                data,
                spare: returns.spare(),
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
pub(super) fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_cut_as_split_cuts_them() {
        for data in [&b""[..], b"\n", b"a", b"a\n", b"a\nb", b"\n\na\n \nb\r\n"] {
            let want: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
            assert_eq!(lines(data).collect::<Vec<_>>(), want, "{data:?}");
        }
        assert_eq!(count_lines(b"\n\na\n \nb\r\n"), (5, 2));
    }
}
