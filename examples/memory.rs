//! Memory per tracked order: replays JSON Lines files in-process (as `replay` does, with
//! the default engine settings and the watermark as-of) and prints one JSON line with
//! what `Partition::approx_bytes()` counts and what the process's peak resident set grew
//! by, each divided by the orders held. Used by `scripts/bench-e2e.sh`.
//!
//! ```text
//! cargo run --release --example memory -- haikou.jsonl
//! ```
//!
//! The RSS figures come from /proc/self/status (Linux); elsewhere they print as 0.

use std::path::PathBuf;
use std::process::ExitCode;

use hotline_pulse::config::EngineConfig;
use hotline_pulse::engine::Shared;
use hotline_pulse::source::replay::replay;
use hotline_pulse::source::AsOf;
use hotline_pulse::view::Board;

/// A field of /proc/self/status in bytes (`VmRSS`, `VmHWM`), 0 when unavailable.
fn status_bytes(field: &str) -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

fn main() -> ExitCode {
    let files: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if files.is_empty() {
        eprintln!("usage: memory FILE.jsonl...");
        return ExitCode::from(2);
    }
    let shards = std::thread::available_parallelism().map_or(2, |n| n.get());
    let shared = Shared::new(EngineConfig::default(), None);
    let board = Board::new();
    let rss_before = status_bytes("VmRSS");
    let stats = match replay(&files, &shared, &board, shards, AsOf::Watermark, None) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("memory: {e}");
            return ExitCode::FAILURE;
        }
    };
    let hwm = status_bytes("VmHWM");
    let orders = stats.orders;
    let per = |b: u64| {
        if orders == 0 {
            0.0
        } else {
            b as f64 / orders as f64
        }
    };
    println!(
        "{{\"events\":{},\"applied\":{},\"orders\":{orders},\"approx_bytes\":{},\
\"approx_bytes_per_order\":{:.1},\"rss_before\":{rss_before},\"rss_hwm\":{hwm},\
\"rss_growth_per_order\":{:.1}}}",
        stats.lines,
        stats.applied,
        stats.approx_bytes,
        per(stats.approx_bytes),
        per(hwm.saturating_sub(rss_before)),
    );
    ExitCode::SUCCESS
}
