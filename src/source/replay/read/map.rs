//! A file's block mapped a run at a time.

use std::fs::File;
use std::io;
use std::ops::Range;

use super::lines::line_range;
use super::{OpenFile, RUN};

/// Bytes mapped past a run's end, for the line that runs past it. A longer line
/// maps the rest of the file.
const TAIL: usize = 64 * 1024;

/// Maps `file` from `from` to `to`.
pub(super) fn map_from(file: &File, from: u64, to: u64) -> io::Result<memmap2::Mmap> {
    let size = usize::try_from(to - from).map_err(io::Error::other)?;
    // SAFETY: the mapping is only read. Its hazards are another process's writes: a
    // file cut shorter while it is mapped ends the process with SIGBUS on the next
    // read past the new end, and one rewritten in place changes bytes under the
    // decoder (a line checked as UTF-8 could stop being so). The README says not to
    // truncate or rewrite a file being replayed.
    unsafe { memmap2::MmapOptions::new().offset(from).len(size).map(file) }
}

/// The lines that start in `start..end` of `file`, mapped a run ([`RUN`] bytes) at a
/// time: each mapping and where in it its lines are ([`line_range`]). A mapping is
/// dropped, and its pages with it, before the next is made, so a worker holds about a
/// run of the file. A mapping's extent is what bounds it: a fault maps a whole large
/// folio of the page cache (up to 2 MiB) when it lies within the mapping, and a
/// mapping from the block to the end of the file had a year's replay peak with
/// 2–3 MB of the file resident.
pub(in crate::source::replay) fn mapped_runs(
    file: &OpenFile,
    start: u64,
    end: u64,
) -> impl Iterator<Item = io::Result<(memmap2::Mmap, Range<usize>)>> + '_ {
    runs(file, start, end, RUN as u64, TAIL as u64)
}

fn runs(
    file: &OpenFile,
    start: u64,
    end: u64,
    run: u64,
    tail: u64,
) -> impl Iterator<Item = io::Result<(memmap2::Mmap, Range<usize>)>> + '_ {
    let starts = (start..end).step_by(usize::try_from(run).unwrap_or(usize::MAX));
    starts.filter_map(move |from| {
        let to = end.min(from + run);
        map_lines(file, from, to, tail).transpose()
    })
}

/// The lines that start in `start..end` of `file`, mapped from the byte before them
/// to `tail` bytes past them, or to the end of the file when the last line runs on
/// further; `None` when no line starts there.
fn map_lines(
    file: &OpenFile,
    start: u64,
    end: u64,
    tail: u64,
) -> io::Result<Option<(memmap2::Mmap, Range<usize>)>> {
    let from = start.saturating_sub(1);
    let (a, b) = ((start - from) as usize, (end - from) as usize);
    let mut to = file.len.min(end + tail);
    loop {
        let map = map_from(&file.file, from, to)?;
        let lines = line_range(&map, a, b);
        if lines.is_empty() {
            return Ok(None);
        }
        // The last line ends within the mapping, or the file ends there.
        if lines.end < map.len() || map[map.len() - 1] == b'\n' || to == file.len {
            return Ok(Some((map, lines)));
        }
        to = file.len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_runs_hold_every_line_of_a_file_once_whatever_the_cuts() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        // Lines across page boundaries too: mappings start at the byte before a
        // run, rarely on a page; and lines longer than a run and its tail.
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
            for block in [1, 3, 4096, 6000, 20000] {
                for (run, tail) in [(1, 1), (2, 3), (3, 4096), (4097, 2), (9000, 100)] {
                    let mut pieces = Vec::new();
                    let mut start = 0;
                    while start < len {
                        let end = len.min(start + block);
                        for mapped in runs(&file, start, end, run, tail) {
                            let (map, lines) = mapped.unwrap();
                            assert!(!lines.is_empty());
                            pieces.push(map[lines].to_vec());
                        }
                        start = end;
                    }
                    let cut = pieces.len().saturating_sub(1);
                    let at = format!("blocks of {block}, runs of {run}, tails of {tail}");
                    assert!(pieces[..cut].iter().all(|p| p.ends_with(b"\n")), "{at}");
                    assert_eq!(pieces.concat(), text, "{at}");
                }
            }
        }
    }

    #[test]
    fn a_run_maps_its_lines_and_a_tail_unless_its_last_line_runs_on() {
        use std::io::Write;
        let text = [b"a\n".repeat(3000), b"z".repeat(20000), b"\nb\n".to_vec()].concat();
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        tmp.write_all(&text).unwrap();
        let file = OpenFile {
            file: tmp.reopen().unwrap(),
            path: tmp.path().to_owned(),
            len: text.len() as u64,
        };
        let (map, lines) = map_lines(&file, 0, 100, 10).unwrap().unwrap();
        assert_eq!((map.len(), lines), (110, 0..100), "the run and its tail");
        // The lines from 5000 on, the last of them the long one from 6000.
        let (map, lines) = map_lines(&file, 5000, 6001, 10).unwrap().unwrap();
        assert_eq!(lines, 1..26001 - 4999, "the long line whole");
        assert_eq!(map.len() as u64, file.len - 4999, "to the end of the file");
        assert!(map_lines(&file, 7000, 8000, 10).unwrap().is_none());
    }
}
