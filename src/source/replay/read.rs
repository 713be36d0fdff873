//! Cutting the input into blocks, handed round-robin to the workers. A regular file is
//! cut into byte ranges that the workers map and decode in place: no copy out of the
//! page cache (reading a Haikou month's 120 MB into buffers was 5 % of its replay's
//! CPU time, in the kernel), and on a cold page cache both cores share its faults.
//! Standard input and pipes are read here, in blocks cut at line ends.

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

/// Maps `file` from `from` to `len`, its length when it was opened.
fn map_from(file: &File, from: u64, len: u64) -> io::Result<memmap2::Mmap> {
    let size = usize::try_from(len - from).map_err(io::Error::other)?;
    // SAFETY: the mapping is only read. Its hazards are another process's writes: a
    // file cut shorter while it is mapped ends the process with SIGBUS on the next
    // read past the new end, and one rewritten in place changes bytes under the
    // decoder (a line checked as UTF-8 could stop being so). The README says not to
    // truncate or rewrite a file being replayed.
    unsafe { memmap2::MmapOptions::new().offset(from).len(size).map(file) }
}

/// The lines that start in `start..end` of `file`, mapped: the mapping and where in
/// it they are ([`line_range`]). A mapping per block, from the byte before it to the
/// end of the file: only the pages read are ever resident (a mapping of the whole
/// file kept every page read until the end, its resident size growing by the file's
/// size), and they go with the mapping when the block is decoded.
pub(super) fn map_range(
    file: &OpenFile,
    start: u64,
    end: u64,
) -> io::Result<(memmap2::Mmap, Range<usize>)> {
    let from = start.saturating_sub(1);
    let map = map_from(&file.file, from, file.len)?;
    // Within the mapping: a block is BLOCK bytes.
    let lines = line_range(&map, (start - from) as usize, (end - from) as usize);
    Ok((map, lines))
}

/// Gives back the pages of a mapped block that decoding has passed, a quarter of a
/// block at a time, so that a worker holds about that much of the file resident
/// rather than its whole block (a replay's peak resident size had the blocks of both
/// workers in it, and a year's replay a few megabytes more than with read buffers).
/// The pages stay in the page cache; the mapping is read-only, so a read of a
/// given-back page (none is made) would fault the same bytes in again.
pub(super) struct Behind<'a> {
    map: &'a memmap2::Mmap,
    /// Offset below which the pages were given back.
    done: usize,
}

impl<'a> Behind<'a> {
    pub(super) fn new(map: &'a memmap2::Mmap) -> Self {
        Behind { map, done: 0 }
    }

    /// Decoding has passed everything before `at` (an offset in the mapping).
    pub(super) fn passed(&mut self, at: usize) {
        const STEP: usize = BLOCK / 4;
        const PAGE: usize = 4096;
        if at < self.done + STEP {
            return;
        }
        // Whole pages only: the page `at` is on is still being read.
        let base = self.map.as_ptr() as usize;
        let end = ((base + at) & !(PAGE - 1)).saturating_sub(base);
        if end <= self.done {
            return;
        }
        #[cfg(unix)]
        // SAFETY: the mapping is read-only, of a file that is not written while it
        // is replayed (the README says so): giving pages back drops only the
        // process's mapping of them, and the bytes behind them stay what they were.
        // The range is within the mapping.
        let _ = unsafe {
            self.map.unchecked_advise_range(
                memmap2::UncheckedAdvice::DontNeed,
                self.done,
                end - self.done,
            )
        };
        self.done = end;
    }
}

/// The lines that start in `start..end` of `data`: from the first line start at or
/// after `start` through the end of the last line starting before `end`, which may
/// run past it. Every line of `data` so belongs to exactly one range. A `start` after
/// 0 reads the byte before it: whether a line starts at `start`.
pub(super) fn line_range(data: &[u8], start: usize, end: usize) -> Range<usize> {
    let head = match start {
        0 => 0,
        _ => memchr::memchr(b'\n', &data[start - 1..end]).map_or(end, |i| start + i),
    };
    if head >= end {
        return 0..0;
    }
    let tail = memchr::memchr(b'\n', &data[end - 1..]).map_or(data.len(), |i| end + i);
    head..tail
}

/// The lines of `data` ([`lines`]), each with whether it is known to be UTF-8: checked
/// a run of whole lines at a time, a quarter of a block each. One call per line cost
/// about as much again in its fixed costs (simdutf8 was 3 % of a Haikou replay's
/// samples); one call for the whole block read it all in before decoding began. The
/// lines of a run that fails come with `false`, to be checked one by one, so that a
/// bad line is rejected alone.
pub(super) fn checked_lines(data: &[u8]) -> impl Iterator<Item = (&[u8], bool)> {
    let (mut run, mut utf8) = (0..0, false);
    lines(data).map(move |line| {
        let start = line.as_ptr() as usize - data.as_ptr() as usize;
        if start >= run.end {
            // Through the end of the line running past a quarter block on.
            let from = data.len().min(start + BLOCK / 4);
            let end = memchr::memchr(b'\n', &data[from..]).map_or(data.len(), |i| from + i);
            run = start..end;
            utf8 = simdutf8::basic::from_utf8(&data[run.clone()]).is_ok();
        }
        (line, utf8)
    })
}

/// The pieces of `data` between newlines, as `data.split(|&b| b == b'\n')` gives them,
/// found with memchr's vectorised search: the byte-at-a-time split and counts were a
/// tenth of a replay's CPU time.
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

    #[test]
    fn mapped_ranges_hold_every_line_of_a_file_once_whatever_the_cuts() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        // Lines across page boundaries too: mappings start at the byte before a
        // block, rarely on a page.
        let long = [b"x".repeat(5000), b"\n".to_vec(), b"y".repeat(4095)].concat();
        let texts: [&[u8]; 4] = [
            b"a\nbb\n\nccc\ndddd\ne",
            b"a\nbb\n\nccc\ndddd\ne\n",
            b"\n\n\n",
            &long,
        ];
        for text in texts {
            let path = dir.path().join("in.jsonl");
            std::fs::File::create(&path)
                .unwrap()
                .write_all(text)
                .unwrap();
            let file = OpenFile {
                file: File::open(&path).unwrap(),
                path: path.clone(),
                len: text.len() as u64,
            };
            let len = file.len;
            for size in [1, 2, 3, 5, 7, 4095, 4096, 4097, 6000, 20000] {
                let mut pieces = Vec::new();
                let mut start = 0;
                while start < len {
                    let end = len.min(start + size);
                    let (map, lines) = map_range(&file, start, end).unwrap();
                    if !lines.is_empty() {
                        pieces.push(map[lines].to_vec());
                    }
                    start = end;
                }
                let cut = pieces.len().saturating_sub(1);
                assert!(pieces[..cut].iter().all(|p| p.ends_with(b"\n")), "{size}");
                assert_eq!(pieces.concat(), text, "blocks of {size} bytes");
            }
        }
    }

    #[test]
    fn a_line_is_checked_utf8_with_its_run_and_a_bad_run_is_left_to_its_lines() {
        let good = b"{\"unit\":\"\xe5\xb8\x82\xe6\xb0\xb4\xe5\x8a\xa1\xe5\xb1\x80\"}".to_vec();
        let bad = b"{\"unit\":\"\xe5\xb8\"}".to_vec();
        // Runs of a quarter block: about 6,000 lines of 40-odd bytes each.
        let count = 4 * BLOCK / good.len();
        let mut lines_in: Vec<&[u8]> = vec![&good; count];
        lines_in[count / 2] = &bad;
        lines_in.push(b"");
        let data = lines_in.join(&b'\n');
        let out: Vec<(&[u8], bool)> = checked_lines(&data).collect();
        assert_eq!(
            out.len(),
            lines_in.len(),
            "every line, as lines() cuts them"
        );
        assert!(out.iter().zip(&lines_in).all(|((l, _), want)| l == want));
        // The bad line's run is left to its lines; every other run is checked.
        let unchecked: Vec<usize> = (0..out.len()).filter(|&i| !out[i].1).collect();
        assert!(unchecked.contains(&(count / 2)));
        assert!(
            unchecked.len() < count / 3,
            "one run of about four: {}",
            unchecked.len()
        );
        assert!(out[0].1 && out[out.len() - 1].1);
    }

    #[test]
    fn pages_given_back_behind_the_decoding_read_the_same_again() {
        use std::io::Write;
        let text: Vec<u8> = (0..BLOCK + 5000).map(|i| (i % 251) as u8).collect();
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&text).unwrap();
        let map = map_from(&file, 0, text.len() as u64).unwrap();
        let mut behind = Behind::new(&map);
        for at in (0..text.len()).step_by(4000) {
            behind.passed(at);
            assert_eq!(map[at], text[at]);
        }
        assert!(
            behind.done >= BLOCK / 2,
            "given back as it went: {}",
            behind.done
        );
        assert_eq!(
            &map[..],
            &text[..],
            "a given-back page faults in the same bytes"
        );
    }

    #[test]
    fn ranges_hold_every_line_once_whatever_the_cuts() {
        let texts: [&[u8]; 6] = [
            b"a\nbb\n\nccc\ndddd\ne",
            b"a\nbb\n\nccc\ndddd\ne\n",
            b"\n\n\n",
            b"one long line without an end",
            b"x",
            b"",
        ];
        for text in texts {
            let len = text.len();
            for size in 1..=len.max(1) + 1 {
                let mut pieces = Vec::new();
                let mut start = 0;
                while start < len {
                    let end = len.min(start + size);
                    let lines = line_range(text, start, end);
                    if !lines.is_empty() {
                        assert!(lines.start >= start && lines.start < end, "{size}");
                        pieces.push(&text[lines]);
                    }
                    start = end;
                }
                // Whole lines each: only the text's last piece may lack its newline.
                let cut = pieces.len().saturating_sub(1);
                assert!(pieces[..cut].iter().all(|p| p.ends_with(b"\n")), "{size}");
                assert_eq!(pieces.concat(), text, "blocks of {size} bytes");
            }
        }
    }
}
