//! Memory flat over a simulated year: twelve simulated months, one after another,
//! through one engine with 3-month retention. What the engine holds — orders, (centre,
//! month) cells, labels, tombstones — at month 12 is what it held at month 3.
//!
//! Each month's stream ends with its orders' last callbacks, weeks into the next month,
//! so after month k the as-of time is in month k + 1: retention holds months k - 1 and
//! k, and month k - 2 has just left it.
//!
//! Tombstones are bounded by the grace period: a month that left retention keeps its
//! orders' tombstones for `tombstone_grace_months` (`--tombstone-grace-months`) more
//! months. With the default of 6 they would grow until month 9 and the comparison with
//! month 3 would measure the grace period, not a leak; the test sets the grace to 1
//! month, so from month 3 on they hold exactly one month's orders: month 12 must be
//! within 10% of month 3 and at most 1.1 × one month's orders.

use hotline_pulse::config::EngineConfig;
use hotline_pulse::engine::{Partition, Shared};
use hotline_pulse::simulate::{Profile, SimConfig, Simulator};
use hotline_pulse::source::replay::apply_lines;
use hotline_pulse::source::AsOf;

use crate::common::engine::ev;

/// Records per simulated month (the Golmud profile: ~1.8 events each).
const ORDERS: u64 = 3_000;
/// Orders per month dispatched to a unit, with a topic, that no other month names.
const ONE_OFF: usize = 30;

#[derive(Debug, Clone, Copy)]
struct Held {
    orders: usize,
    months: usize,
    labels: usize,
    tombstones: usize,
}

fn within(what: &str, got: usize, want: usize, tolerance: f64) {
    let (g, w) = (got as f64, want as f64);
    assert!(
        (g - w).abs() <= w * tolerance,
        "{what}: {got} at month 12 against {want} ({}% apart)",
        ((g - w) / w * 100.0).round()
    );
}

#[test]
fn twelve_months_hold_what_three_did() {
    let config = EngineConfig {
        retention_months: 3,
        tombstone_grace_months: 1,
        ..EngineConfig::default()
    };
    let shared = Shared::new(config, None);
    let mut p = Partition::new(0, shared.clone());
    let mut held = Vec::new();
    for month in 1..=12u32 {
        let sim = Simulator::new(SimConfig {
            orders: ORDERS,
            month: (2024, month),
            seed: u64::from(month),
            profile: Profile::Golmud,
            ..SimConfig::default()
        });
        let mut lines: Vec<String> = sim.map(|e| e.line).collect();
        for i in 0..ONE_OFF {
            let o = format!("X{month}-{i}");
            let at = format!("2024-{month:02}-10 09:{i:02}:00");
            lines.push(ev(
                &format!("{o}-1"),
                &o,
                "received",
                &at,
                &format!(r#""channel":"phone","purpose":"help","disposition":"dispatch","topic":"话题{month}-{i}""#),
            ));
            lines.push(ev(
                &format!("{o}-2"),
                &o,
                "dispatched",
                &at,
                &format!(r#""unit":"临时单位{month}-{i}","due_at":"2024-{month:02}-20 18:00:00""#),
            ));
        }
        apply_lines(
            lines.iter().map(|l| l.as_bytes()),
            &shared,
            &mut p,
            AsOf::Watermark,
        );
        p.snapshot();
        held.push(Held {
            orders: p.len(),
            months: p.months_held(),
            labels: p.labels_held(),
            tombstones: p.tombstones_held(),
        });
    }
    for (i, h) in held.iter().enumerate() {
        eprintln!("month {:2}: {h:?}", i + 1);
    }
    let (m2, m3, m12) = (held[1], held[2], held[11]);
    within("orders held", m12.orders, m3.orders, 0.10);
    within("(centre, month) cells", m12.months, m3.months, 0.10);
    within("labels", m12.labels, m3.labels, 0.10);
    within("tombstones", m12.tombstones, m3.tombstones, 0.10);
    let month_of_orders = (ORDERS as usize + ONE_OFF) as f64;
    assert!(
        m12.tombstones as f64 <= 1.1 * month_of_orders,
        "tombstones: {} for a grace of one month of ~{month_of_orders} orders",
        m12.tombstones
    );
    // Retention did evict (else flat would mean nothing was ever held long).
    assert!(m2.tombstones == 0 && m3.tombstones > 0, "{held:?}");
    assert!(m12.orders < 3 * ORDERS as usize, "{held:?}");
}
