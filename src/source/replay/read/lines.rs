//! Which lines a block holds, and their UTF-8 checked a run at a time.

use std::ops::Range;

use super::RUN;

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
pub(in crate::source::replay) fn checked_lines(data: &[u8]) -> impl Iterator<Item = (&[u8], bool)> {
    let (mut run, mut utf8) = (0..0, false);
    lines(data).map(move |line| {
        let start = line.as_ptr() as usize - data.as_ptr() as usize;
        if start >= run.end {
            // Through the end of the line running past a quarter block on.
            let from = data.len().min(start + RUN);
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
    use crate::source::replay::read::BLOCK;

    #[test]
    fn lines_are_cut_as_split_cuts_them() {
        for data in [&b""[..], b"\n", b"a", b"a\n", b"a\nb", b"\n\na\n \nb\r\n"] {
            let want: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
            assert_eq!(lines(data).collect::<Vec<_>>(), want, "{data:?}");
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
