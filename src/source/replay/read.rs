//! Cutting the input into blocks, handed round-robin to the workers. A regular file is
//! cut into byte ranges that the workers read themselves, so that both cores share the
//! copying out of the page cache (on a cold page cache the costliest single step of a
//! replay: one reader thread spent 0.3 s of a 0.72 s Haikou replay on it). Standard
//! input and pipes are read here, in blocks cut at line ends.

use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;

use super::{Back, Block, Chunk, Msg, OpenFile, ReplayError, Routed};

/// Input is cut into blocks of about this size.
pub(super) const BLOCK: usize = 1 << 20;
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
    if !meta.is_file() || cfg!(not(unix)) {
        // A pipe or a device: read in turn.
        return read_stream(input, path, file, out);
    }
    let file = Arc::new(OpenFile {
        file,
        path: path.to_owned(),
    });
    let len = meta.len();
    let mut start = 0;
    while start < len {
        let end = len.min(start + BLOCK as u64);
        out.send(
            input,
            Chunk::Range {
                file: file.clone(),
                start,
                end,
            },
        )?;
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

/// Reads the lines that start in `start..end` of `file` into `buf`: from the first
/// line start at or after `start` through the end of the last line starting before
/// `end`, which may run past it; returns where in `buf` they are. Every line of a file
/// so belongs to exactly one range.
///
/// `buf` is scratch kept initialised from one call to the next, zeroed only where it
/// grows (zeroing a megabyte before each read was 1 % of a replay): bytes outside the
/// returned range are left over from earlier reads.
#[cfg(unix)]
pub(super) fn read_range(
    file: &File,
    start: u64,
    end: u64,
    buf: &mut Vec<u8>,
) -> io::Result<Range<usize>> {
    use std::os::unix::fs::FileExt;

    // One byte before `start` says whether a line starts at `start`.
    let from = start.saturating_sub(1);
    let mut len = read_at(file, from, (end - from) as usize, buf, 0)?;
    let head = match memchr::memchr(b'\n', &buf[..len]) {
        _ if start == 0 => 0,
        Some(i) => i + 1,
        // No line starts in the range.
        None => len,
    };
    if head == len {
        return Ok(0..0);
    }
    // Through the end of the line running past `end`.
    let mut at = end;
    while buf[..len].last() != Some(&b'\n') {
        let before = len;
        len = read_at(file, at, 64 * 1024, buf, len)?;
        if len == before {
            break; // end of file
        }
        if let Some(i) = memchr::memchr(b'\n', &buf[before..len]) {
            len = before + i + 1;
        }
        at += (len - before) as u64;
    }
    return Ok(head..len);

    /// Reads up to `n` bytes from `offset` into `buf` at `to` (fewer at the end of
    /// the file); returns where they end.
    fn read_at(
        file: &File,
        offset: u64,
        n: usize,
        buf: &mut Vec<u8>,
        to: usize,
    ) -> io::Result<usize> {
        if buf.len() < to + n {
            buf.resize(to + n, 0);
        }
        let mut filled = 0;
        while filled < n {
            match file.read_at(&mut buf[to + filled..to + n], offset + filled as u64) {
                Ok(0) => break,
                Ok(k) => filled += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(to + filled)
    }
}

/// Files are read as streams where positional reads are not available.
#[cfg(not(unix))]
pub(super) fn read_range(_: &File, _: u64, _: u64, _: &mut Vec<u8>) -> io::Result<Range<usize>> {
    Err(io::Error::other("positional reads need a unix system"))
}

/// The pieces of `data` between newlines, as `data.split(|&b| b == b'\n')` gives them,
/// found with memchr's vectorised search: the byte-at-a-time split and counts were a
/// tenth of a replay's CPU time.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_cut_as_split_cuts_them() {
        for data in [&b""[..], b"\n", b"a", b"a\n", b"a\nb", b"\n\na\n \nb\r\n"] {
            let want: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
            assert_eq!(lines(data).collect::<Vec<_>>(), want, "{data:?}");
        }
    }

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

    #[cfg(unix)]
    #[test]
    fn ranges_read_every_line_once_whatever_the_cuts() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let texts: [&[u8]; 5] = [
            b"a\nbb\n\nccc\ndddd\ne",
            b"a\nbb\n\nccc\ndddd\ne\n",
            b"\n\n\n",
            b"one long line without an end",
            b"",
        ];
        // Scratch shared by every read, starting with stale lines: what a read leaves
        // outside its range must never show through.
        let mut buf = b"stale\n".repeat(64);
        for text in texts {
            let path = dir.path().join("in.jsonl");
            std::fs::File::create(&path)
                .unwrap()
                .write_all(text)
                .unwrap();
            let file = File::open(&path).unwrap();
            let len = text.len() as u64;
            for size in 1..=len.max(1) + 1 {
                let mut pieces = Vec::new();
                let mut start = 0;
                while start < len {
                    let end = len.min(start + size);
                    let lines = read_range(&file, start, end, &mut buf).unwrap();
                    if !lines.is_empty() {
                        pieces.push(buf[lines].to_vec());
                    }
                    start = end;
                }
                // Whole lines each: only the file's last piece may lack its newline.
                let cut = pieces.len().saturating_sub(1);
                assert!(pieces[..cut].iter().all(|p| p.ends_with(b"\n")), "{size}");
                let all = pieces.concat();
                assert_eq!(all, text, "blocks of {size} bytes");
            }
        }
    }
}
