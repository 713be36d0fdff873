//! Rejected lines, in input order: the workers report each block's rejects with their
//! place in the block; this stage numbers the lines (counting each input's lines block
//! by block), logs every reject and writes the dead-letter file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc::Receiver;

use super::ReplayError;
use crate::event::RejectReason;

/// One block's lines as a worker saw them.
pub(super) struct Report {
    pub(super) seq: u64,
    pub(super) input: usize,
    /// Newlines in the block: the lines the next block's numbers start after.
    pub(super) newlines: u64,
    pub(super) rejects: Vec<Rejected>,
}

pub(super) struct Rejected {
    /// The line's index in its block (0: the block's first line).
    pub(super) index: u64,
    pub(super) reason: RejectReason,
    pub(super) field: Option<&'static str>,
    /// The line, when dead letters are kept.
    pub(super) message: Option<Vec<u8>>,
}

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

/// Takes the workers' reports in block order until they are all done.
pub(super) fn report(
    rx: Receiver<Report>,
    inputs: &[PathBuf],
    mut out: Option<&mut dyn Write>,
) -> Result<(), ReplayError> {
    let names: Vec<String> = inputs
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let mut pending = BTreeMap::new();
    let mut next = 0u64;
    // Lines of the current input before the next block.
    let (mut input, mut before) = (0usize, 0u64);
    let mut failed = None;
    for r in rx {
        pending.insert(r.seq, r);
        while let Some(r) = pending.remove(&next) {
            next += 1;
            if r.input != input {
                (input, before) = (r.input, 0);
            }
            let source = names.get(r.input).map_or("", String::as_str);
            for reject in r.rejects {
                let line = before + reject.index + 1;
                let code = reject.reason.code();
                tracing::warn!(source = %source, line, reason = code, field = reject.field, "rejected line");
                let (Some(out), Some(message), None) = (out.as_mut(), reject.message, &failed)
                else {
                    continue;
                };
                let record = DeadLetter {
                    reason: code,
                    field: reject.field,
                    source,
                    line,
                    message: &String::from_utf8_lossy(&message),
                };
                if let Ok(mut v) = serde_json::to_vec(&record) {
                    v.push(b'\n');
                    if let Err(e) = out.write_all(&v) {
                        failed = Some(e);
                    }
                }
            }
            before += r.newlines;
        }
    }
    if let Some(e) = failed {
        return Err(ReplayError::DeadLetter(e));
    }
    match out {
        Some(out) => out.flush().map_err(ReplayError::DeadLetter),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(index: u64) -> Rejected {
        Rejected {
            index,
            reason: RejectReason::InvalidJson,
            field: None,
            message: Some(format!("bad {index}").into_bytes()),
        }
    }

    #[test]
    fn lines_are_numbered_per_input_in_block_order_whatever_order_reports_come_in() {
        let (tx, rx) = std::sync::mpsc::channel();
        let report = |seq, input, newlines, rejects| Report {
            seq,
            input,
            newlines,
            rejects,
        };
        // Input 0: blocks 0 (10 lines) and 1 (5 lines); input 1: block 2. Sent out
        // of order, as two workers would.
        tx.send(report(2, 1, 3, vec![rejected(0)])).unwrap();
        tx.send(report(1, 0, 5, vec![rejected(4)])).unwrap();
        tx.send(report(0, 0, 10, vec![rejected(0), rejected(9)]))
            .unwrap();
        drop(tx);
        let inputs = [PathBuf::from("a.jsonl"), PathBuf::from("b.jsonl")];
        let mut out = Vec::new();
        report_all(rx, &inputs, &mut out);
        let lines: Vec<(String, u64)> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    v["source"].as_str().unwrap().to_owned(),
                    v["line"].as_u64().unwrap(),
                )
            })
            .collect();
        let want = [
            ("a.jsonl", 1),
            ("a.jsonl", 10),
            ("a.jsonl", 15),
            ("b.jsonl", 1),
        ];
        assert_eq!(
            lines,
            want.map(|(s, l)| (s.to_owned(), l)).to_vec(),
            "dead letters in input order with their line numbers"
        );
    }

    fn report_all(rx: Receiver<Report>, inputs: &[PathBuf], out: &mut Vec<u8>) {
        report(rx, inputs, Some(out)).unwrap();
    }
}
