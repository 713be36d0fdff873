//! A file's block mapped, and its pages given back behind the decoding.

use std::fs::File;
use std::io;
use std::ops::Range;

use super::lines::line_range;
use super::{OpenFile, RUN};

/// Maps `file` from `from` to `len`, its length when it was opened.
pub(super) fn map_from(file: &File, from: u64, len: u64) -> io::Result<memmap2::Mmap> {
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
pub(in crate::source::replay) fn map_range(
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
pub(in crate::source::replay) struct Behind<'a> {
    map: &'a memmap2::Mmap,
    /// Offset below which the pages were given back.
    done: usize,
}

impl<'a> Behind<'a> {
    pub(in crate::source::replay) fn new(map: &'a memmap2::Mmap) -> Self {
        Behind { map, done: 0 }
    }

    /// Decoding has passed everything before `at` (an offset in the mapping).
    pub(in crate::source::replay) fn passed(&mut self, at: usize) {
        const PAGE: usize = 4096;
        if at < self.done + RUN {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::replay::read::BLOCK;

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
}
