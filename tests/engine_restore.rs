//! The Kafka path's state protocol at the engine's level: a partition drains what
//! changed at commit points into a changelog, dies with applied events not drained,
//! and its next owner restores the last value of every key and reads the input again
//! from a committed offset at or before the last commit point. Whatever the points, the
//! figures equal one run over the whole stream.

mod common;

use std::collections::HashMap;

use common::engine::Harness;
use common::lines;
use hotline_pulse::engine::{ChangeRecord, TOMBSTONE_PREFIX};
use hotline_pulse::view::Scope;
use proptest::prelude::*;

/// One owner's life: drains at `commits` (positions in the input it reached), dies at
/// `crash`; the next owner starts reading at `committed`.
#[derive(Debug, Clone)]
struct Life {
    commits: Vec<usize>,
    crash: usize,
}

/// The restore as `source::kafka::consumer::restore` does it: last value per key,
/// tombstone chunks first.
fn restore(log: &[ChangeRecord]) -> Harness {
    let mut latest: HashMap<&[u8], Option<&[u8]>> = HashMap::new();
    for r in log {
        latest.insert(&r.key, r.value.as_deref());
    }
    let mut entries: Vec<(&[u8], &[u8])> = latest
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
    entries.sort_by(|a, b| {
        let t = |k: &[u8]| !k.starts_with(TOMBSTONE_PREFIX);
        (t(a.0), a.0).cmp(&(t(b.0), b.0))
    });
    let mut h = Harness::new();
    for (k, v) in entries {
        h.partition.restore(k, v).expect("reads back");
    }
    if let Some(at) = h.partition.max_at() {
        h.shared.observe(at);
    }
    h.partition.track_changes();
    h
}

/// Everything the partition published, as comparable data.
fn flatten(h: &mut Harness) -> String {
    let as_of = h.as_of;
    h.advance(as_of);
    let mut out = String::new();
    for snap in h.board.snapshots(Scope::Local) {
        for (key, view) in &snap.months {
            out.push_str(&format!("{key:?}"));
            out.push_str(&serde_json::to_string(&**view).unwrap());
        }
    }
    out
}

/// Runs `lines` through owners that die as `lives` say; returns the last owner.
fn through_lives(lines: &[String], lives: &[Life]) -> Harness {
    let mut log: Vec<ChangeRecord> = Vec::new();
    let mut h = Harness::new();
    h.partition.track_changes();
    // Where the current owner starts reading (the committed offset).
    let mut at = 0;
    for life in lives {
        let mut durable = at;
        for &c in &life.commits {
            let c = c.clamp(at, lines.len());
            if c > durable {
                h.apply(&lines[durable.max(at)..c]);
            }
            h.partition.drain_changes(|r| log.push(r));
            durable = durable.max(c);
        }
        let crash = life.crash.clamp(durable, lines.len());
        h.apply(&lines[durable..crash]);
        // Dies: what it applied after its last drain is lost. The committed offset is
        // at most its last commit point (auto-commit lags behind).
        h = restore(&log);
        at = durable - (durable - at).min(life.crash % 4);
        let as_of = h.shared.watermark().unwrap_or(i64::MIN);
        h.as_of = as_of;
        h.partition.advance(as_of);
    }
    h.apply(&lines[at..]);
    h
}

fn life() -> impl Strategy<Value = Life> {
    (prop::collection::vec(0usize..60, 0..4), 0usize..60).prop_map(|(mut commits, crash)| {
        commits.sort_unstable();
        Life { commits, crash }
    })
}

/// Checks that the stream through `lives` ends where one run over it does.
fn equals_one_run(lines: &[String], lives: &[Life]) -> Result<(), TestCaseError> {
    let mut once = Harness::new();
    once.apply(lines);
    let mut again = through_lives(lines, lives);
    prop_assert_eq!(again.as_of, once.as_of);
    prop_assert_eq!(again.partition.len(), once.partition.len());
    prop_assert_eq!(flatten(&mut again), flatten(&mut once));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn restores_after_crashes_anywhere_equal_one_run(
        lines in lines::stream(6, 40),
        lives in prop::collection::vec(life(), 1..4),
    ) {
        equals_one_run(&lines, &lives)?;
    }

    /// Few orders, many events: busy orders (their events stashed between drains).
    #[test]
    fn busy_orders_restore_after_crashes_anywhere(
        lines in lines::stream(2, 90),
        lives in prop::collection::vec(life(), 1..4),
    ) {
        equals_one_run(&lines, &lives)?;
    }
}
