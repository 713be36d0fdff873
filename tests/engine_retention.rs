//! Retention across month boundaries: an order whose month left the retention window is
//! gone, and its later events are late — in a live run, in a rebuild that starts after
//! the month left, and after a restore of the state (its tombstone is part of it).

mod common;

use common::engine::Harness;
use hotline_pulse::config::EngineConfig;
use hotline_pulse::engine::{Outcome, Partition};
use hotline_pulse::event::{decode, DecodeCtx, TimeZone};
use hotline_pulse::simulate::{Profile, SimConfig, Simulator};
use hotline_pulse::source::AsOf;

/// Four simulated months (August to November 2024), every event in time order, up to
/// the end of November (so that the last as-of is in November: September, October and
/// November retained).
fn four_months() -> Vec<String> {
    let end = hotline_pulse::event::parse_timestamp("2024-12-01 00:00:00", TimeZone::CHINA)
        .expect("timestamp");
    let mut events: Vec<(i64, String)> = Vec::new();
    for (i, month) in [8, 9, 10, 11].into_iter().enumerate() {
        let sim = Simulator::new(SimConfig {
            seed: 40 + i as u64,
            orders: 1500,
            month: (2024, month),
            profile: Profile::Golmud,
            ..SimConfig::default()
        });
        events.extend(sim.map(|e| (e.at_ms, e.line)));
    }
    events.retain(|(at, _)| *at < end);
    events.sort_by_key(|(at, _)| *at);
    events.into_iter().map(|(_, l)| l).collect()
}

fn figures(h: &Harness, month: &str) -> String {
    serde_json::to_string(&h.month(month)).expect("json")
}

#[test]
fn a_rebuild_after_a_month_left_retention_counts_its_orders_late_not_again() {
    let lines = four_months();
    // Live: the as-of follows the events; with three months retained, August leaves
    // when November begins.
    let mut live = Harness::new();
    live.apply(&lines);
    assert!(!live.has_month("2024-08"), "August has left retention");
    // A rebuild at the end: every event read again with the final as-of from the start
    // (a consumer restarted on an empty state reading the input from the beginning).
    let mut rebuilt = Harness::new();
    rebuilt.apply_as_of(&lines, AsOf::Fixed(live.as_of));
    assert!(!rebuilt.has_month("2024-08"));
    for month in ["2024-09", "2024-10", "2024-11"] {
        assert_eq!(
            figures(&rebuilt, month),
            figures(&live, month),
            "{month}: August orders' later events must not start new orders"
        );
    }
    let late = rebuilt.shared.stats.late();
    assert!(
        late > 1500,
        "August's events, and its orders' September ones, are late ({late})"
    );
}

#[test]
fn an_evicted_order_stays_late_after_a_restore_of_the_state() {
    let lines = four_months();
    let mut live = Harness::new();
    live.apply(&lines);
    // The state as the local cache holds it, restored into a new partition. The cache
    // is written after commits took what changed: the tombstones must be in it anyway.
    live.partition.drain_changes(|_| {});
    let mut records = Vec::new();
    live.partition.export(|r| records.push(r));
    assert!(
        records
            .iter()
            .any(|r| r.key.starts_with(hotline_pulse::engine::TOMBSTONE_PREFIX)),
        "the tombstones of August's orders are part of the state"
    );
    let shared = hotline_pulse::engine::Shared::new(EngineConfig::default(), None);
    let mut restored = Partition::new(0, shared.clone());
    restored.advance(live.as_of);
    for r in &records {
        restored
            .restore(&r.key, r.value.as_deref().expect("an export has values"))
            .expect("restores");
    }
    assert_eq!(restored.len(), live.partition.len());
    let mut again = Harness::with(EngineConfig::default(), None);
    again.partition = restored;
    again.as_of = live.as_of;
    again.advance(live.as_of);
    for month in ["2024-09", "2024-10", "2024-11"] {
        assert_eq!(figures(&again, month), figures(&live, month), "{month}");
    }
    // A late callback for an August order: late on both, never a new order.
    let august = lines
        .iter()
        .find(|l| l.contains("\"order_id\":\"HX2408"))
        .expect("an August order");
    let order = august
        .split("\"order_id\":\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("order id");
    let late = format!(
        r#"{{"event_id":"late-1","order_id":"{order}","type":"callback","at":"2024-11-25 10:00:00","satisfaction":"unsatisfied"}}"#
    );
    let ctx = DecodeCtx::unguarded(TimeZone::CHINA);
    let ev = decode(late.as_bytes(), &ctx).expect("valid");
    assert_eq!(live.partition.apply(&ev, live.as_of), Outcome::Late);
    assert_eq!(again.partition.apply(&ev, live.as_of), Outcome::Late);
    assert_eq!(again.partition.len(), live.partition.len());
}
