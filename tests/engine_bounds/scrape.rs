//! A scrape never sees half an order applied: writers apply a stream and publish
//! snapshots on a `Board` while readers sum the board in a loop, checking on every read
//! the inequalities every consistent state satisfies — per unit: completed ≤ assigned,
//! on time ≤ completed, first-time ≤ completed, answered at the desk ≤ consultations,
//! resolved ≤ callbacks; per centre: completed ≤ dispatched, first-time ≤ completed,
//! callbacks ≤ records, resolved ≤ callbacks.
//!
//! Each pair moves in one event (an on-time completion moves both `completed` and
//! `completed_on_time`), so a publication made field by field is caught as soon as a
//! reader sees one field new and the other old: `torn_publication_is_caught` shows the
//! checks catch such a state on this stream. The threaded test was also checked to
//! fail with a temporary mutation of `Board::publish` that first published the torn
//! state (the new snapshot with those four fields' new values over the old snapshot's
//! counts) and then the new snapshot: the readers reported violations within the run.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use hotline_pulse::config::EngineConfig;
use hotline_pulse::engine::{
    CentreCounts, MonthView, Partition, PartitionSnapshot, Ratings, Shared, UnitCounts,
};
use hotline_pulse::event::{decode, DecodeCtx, TimeZone};
use hotline_pulse::simulate::{Profile, SimConfig, Simulator};
use hotline_pulse::source::replay::shard_of;
use hotline_pulse::view::{aggregate, Aggregate, Board, Filter, Scope};

const SHARDS: usize = 2;

/// A simulated Golmud month in time order (every order starts with its `received`),
/// routed to its shard, decoded.
fn stream() -> Vec<Vec<hotline_pulse::event::Event>> {
    let ctx = DecodeCtx::unguarded(TimeZone::CHINA);
    let mut shards = vec![Vec::new(); SHARDS];
    let sim = Simulator::new(SimConfig {
        orders: 2_500,
        profile: Profile::Golmud,
        ..SimConfig::default()
    });
    for e in sim {
        let ev = decode(e.line.as_bytes(), &ctx).unwrap().into_owned();
        shards[shard_of("12345", &ev.order_id, SHARDS)].push(ev);
    }
    shards
}

/// The inequalities a consistent state satisfies, broken ones described.
fn violations(agg: &Aggregate) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |ok: bool, what: &str, key: &dyn std::fmt::Debug| {
        if !ok {
            out.push(format!("{what} at {key:?}"));
        }
    };
    for (key, m) in &agg.months {
        let c = &m.centre;
        check(
            c.completed <= c.dispatched,
            "centre completed > dispatched",
            key,
        );
        check(
            c.first_time_resolved <= c.completed,
            "centre first-time > completed",
            key,
        );
        let records: i64 = m.records.iter().sum();
        check(
            i64::from(c.callbacks()) <= records,
            "centre callbacks > records",
            key,
        );
        check(
            c.callbacks_resolved <= c.callbacks(),
            "centre resolved > callbacks",
            key,
        );
        for (unit, u) in &m.units {
            let u = &u.counts;
            let key = &(key, unit);
            check(u.completed <= u.assigned, "completed > assigned", key);
            check(
                u.completed_on_time <= u.completed,
                "on time > completed",
                key,
            );
            check(
                u.first_time_resolved <= u.completed,
                "first-time > completed",
                key,
            );
            check(
                u.consultations_answered_directly <= u.consultations,
                "answered > consultations",
                key,
            );
            check(
                u.callbacks_resolved <= u.callbacks(),
                "resolved > callbacks",
                key,
            );
        }
    }
    out
}

fn sum(board: &Board) -> Aggregate {
    aggregate(&board.snapshots(Scope::Local), &Filter::default())
}

#[test]
fn readers_never_see_half_an_order_applied() {
    let shards = stream();
    let board = Board::new();
    let shared = Shared::new(EngineConfig::default(), None);
    let done = AtomicBool::new(false);
    let (reads, broken) = (AtomicU64::new(0), AtomicU64::new(0));
    let first = std::sync::Mutex::new(None::<String>);
    std::thread::scope(|s| {
        let writers: Vec<_> = shards
            .iter()
            .enumerate()
            .map(|(i, events)| {
                let (board, shared) = (board.clone(), shared.clone());
                s.spawn(move || {
                    let mut p = Partition::new(i as i32, shared);
                    let mut watermark = i64::MIN;
                    for ev in events {
                        watermark = watermark.max(ev.at);
                        p.apply(ev, watermark);
                        board.publish(i as i32, p.snapshot(), watermark);
                    }
                })
            })
            .collect();
        for _ in 0..2 {
            s.spawn(|| {
                while !done.load(Ordering::Acquire) {
                    let v = violations(&sum(&board));
                    reads.fetch_add(1, Ordering::Relaxed);
                    if let Some(v) = v.into_iter().next() {
                        broken.fetch_add(1, Ordering::Relaxed);
                        first.lock().unwrap().get_or_insert(v);
                    }
                }
            });
        }
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::Release);
    });
    let reads = reads.load(Ordering::Relaxed);
    assert_eq!(
        broken.load(Ordering::Relaxed),
        0,
        "{} of {reads} reads saw an inconsistent state, first: {:?}",
        broken.load(Ordering::Relaxed),
        first.lock().unwrap()
    );
    assert!(
        reads >= 50,
        "the readers ran alongside the writers ({reads} reads)"
    );
    // And the end state is the whole stream.
    let agg = sum(&board);
    assert!(
        agg.months
            .values()
            .map(|m| i64::from(m.centre.dispatched))
            .sum::<i64>()
            > 500
    );
}

/// A partition snapshot as a field-by-field publication would show it midway: the new
/// values of four fields over the old counts.
fn torn(old: &PartitionSnapshot, new: &PartitionSnapshot) -> PartitionSnapshot {
    let mut months = old.months.clone();
    for (key, n) in &new.months {
        let o = old
            .months
            .get(key)
            .map(|v| (**v).clone())
            .unwrap_or_default();
        let mut t = MonthView {
            centre: CentreCounts {
                first_time_resolved: n.centre.first_time_resolved,
                callbacks_resolved: n.centre.callbacks_resolved,
                ..o.centre
            },
            ..o.clone()
        };
        for (unit, nu) in &n.units {
            let ou = o.units.get(unit).cloned().unwrap_or_default();
            let mut tu = ou.clone();
            tu.counts = UnitCounts {
                completed_on_time: nu.counts.completed_on_time,
                first_time_resolved: nu.counts.first_time_resolved,
                consultations_answered_directly: nu.counts.consultations_answered_directly,
                callbacks_resolved: nu.counts.callbacks_resolved,
                ..ou.counts
            };
            t.units.insert(unit.clone(), tu);
        }
        months.insert(key.clone(), Arc::new(t));
    }
    PartitionSnapshot {
        months,
        ..old.clone()
    }
}

#[test]
fn torn_publication_is_caught() {
    let shards = stream();
    let shared = Shared::new(EngineConfig::default(), None);
    let mut p = Partition::new(0, shared);
    let mut old = p.snapshot();
    let (mut caught, mut consistent) = (0, 0);
    let mut watermark = i64::MIN;
    for ev in &shards[0] {
        watermark = watermark.max(ev.at);
        p.apply(ev, watermark);
        let new = p.snapshot();
        let agg = aggregate(&[Arc::new(torn(&old, &new))], &Filter::default());
        if !violations(&agg).is_empty() {
            caught += 1;
        }
        if violations(&aggregate(&[Arc::new(new.clone())], &Filter::default())).is_empty() {
            consistent += 1;
        }
        old = new;
    }
    assert_eq!(
        consistent,
        shards[0].len(),
        "every published state is consistent"
    );
    assert!(
        caught > 100,
        "the checks catch torn states ({caught} caught)"
    );
}
