//! Memory per tracked order: replays JSON Lines files in-process (as `replay` does, with
//! the default engine settings and the watermark as-of) and prints one JSON line with
//! what `Partition::approx_bytes()` counts and what the process's resident set grew by,
//! each divided by the orders held. Used by `scripts/bench-e2e.sh`.
//!
//! ```text
//! cargo run --release --example memory -- haikou.jsonl
//! ```
//!
//! The RSS figures come from /proc/self/status (Linux); elsewhere they print as 0. The
//! breakdown (events per order, the size of a stored event, id bytes) says where the
//! bytes go.

use std::path::PathBuf;
use std::process::ExitCode;

use hotline_pulse::config::EngineConfig;
use hotline_pulse::engine::{OrderKey, Partition, Shared, StoredEvent};
use hotline_pulse::source::replay::replay;
use hotline_pulse::source::AsOf;
use hotline_pulse::units::Units;

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
    let config = EngineConfig::default();
    let cap = config.unit_label_cap;
    let shared = Shared::new(config, Units::new(None, cap));
    let mut partition = Partition::new(0, shared.clone());
    let rss_before = status_bytes("VmRSS");
    let stats = match replay(&files, &shared, &mut partition, AsOf::Watermark, None) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("memory: {e}");
            return ExitCode::FAILURE;
        }
    };
    let rss_after = status_bytes("VmRSS");
    let hwm = status_bytes("VmHWM");
    let orders = partition.len();
    let approx = partition.approx_bytes();
    let (mut events, mut order_id_bytes, mut event_id_bytes) = (0usize, 0usize, 0usize);
    for (key, evs) in partition.orders() {
        events += evs.len();
        order_id_bytes += key.order_id.len();
        event_id_bytes += evs.iter().map(|e| e.event_id.len()).sum::<usize>();
    }
    let per = |b: u64| {
        if orders == 0 {
            0.0
        } else {
            b as f64 / orders as f64
        }
    };
    println!(
        "{{\"events\":{},\"applied\":{},\"orders\":{orders},\"approx_bytes\":{approx},\
\"approx_bytes_per_order\":{:.1},\"rss_before\":{rss_before},\"rss_after\":{rss_after},\
\"rss_hwm\":{hwm},\"rss_growth_per_order\":{:.1},\"events_per_order\":{:.2},\
\"order_id_bytes_per_order\":{:.1},\"event_id_bytes_per_order\":{:.1},\
\"size_of_stored_event\":{},\"size_of_order_key\":{}}}",
        stats.lines,
        stats.applied,
        per(approx as u64),
        per(rss_after.saturating_sub(rss_before)),
        per(events as u64),
        per(order_id_bytes as u64),
        per(event_id_bytes as u64),
        std::mem::size_of::<StoredEvent>(),
        std::mem::size_of::<OrderKey>(),
    );
    ExitCode::SUCCESS
}
