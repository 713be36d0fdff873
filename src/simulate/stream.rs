//! The event stream: orders are drawn in received-time order and their planned events
//! wait in a min-heap keyed by (emission time, sequence) until every event that could
//! precede them has been drawn.
//!
//! An order's events are all at or after its `received`, and orders are drawn in
//! received order, so once the next order's received time is known, every pending event
//! due no later than it can be emitted: nothing drawn afterwards can come before it. The
//! heap therefore holds only orders still in flight (plus delayed copies), whatever the
//! total. Emission time is the event time, plus a delay for the `disorder` fraction.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::clock::{local_date, Arrivals, DAY, SEC};
use super::lifecycle::Planner;
use super::profile::spec;
use super::{SimConfig, SimConfigError, SimEvent};

/// Disorder delays an event by up to this much.
const MAX_DELAY_MS: i64 = 3 * DAY;

/// A deterministic simulated hotline; see the module documentation.
#[derive(Debug)]
pub struct Simulator {
    arrivals: Arrivals,
    planner: Planner,
    /// Separate from the planner's stream so that `disorder` and `duplicates` change
    /// only how events are delivered, never which events exist.
    delivery: ChaCha8Rng,
    ids: OrderIds,
    heap: BinaryHeap<Reverse<Pending>>,
    seq: u64,
    offset_ms: i64,
    disorder: f64,
    duplicates: f64,
    center: Option<String>,
}

#[derive(Debug, Clone)]
struct Event {
    at: i64,
    order: Arc<str>,
    /// 1-based position in the order's life; with the order id it makes the event_id.
    n: u32,
    kind: crate::event::EventKind<&'static str>,
}

#[derive(Debug)]
struct Pending {
    emit: i64,
    seq: u64,
    /// Boxed: heap sifts move entries around, and an event is ten times a key's size.
    event: Box<Event>,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.emit, self.seq).cmp(&(other.emit, other.seq))
    }
}

impl Simulator {
    /// # Panics
    /// If the configuration is invalid; see [`SimConfig::validate`] and
    /// [`Simulator::try_new`].
    pub fn new(cfg: SimConfig) -> Self {
        match Self::try_new(cfg) {
            Ok(sim) => sim,
            Err(e) => panic!("invalid simulator configuration: {e}"),
        }
    }

    pub fn try_new(cfg: SimConfig) -> Result<Self, SimConfigError> {
        cfg.validate()?;
        let offset_ms = i64::from(cfg.tz_offset_secs) * SEC;
        // Three independent streams from one seed: received times, order content,
        // delivery.
        let mut root = ChaCha8Rng::seed_from_u64(cfg.seed);
        let times = ChaCha8Rng::seed_from_u64(root.random());
        let content = ChaCha8Rng::seed_from_u64(root.random());
        let delivery = ChaCha8Rng::seed_from_u64(root.random());
        let (year, month) = cfg.month;
        Ok(Simulator {
            arrivals: Arrivals::new(year, month, offset_ms, cfg.orders, times),
            planner: Planner::new(spec(cfg.profile), offset_ms, content),
            delivery,
            ids: OrderIds::default(),
            heap: BinaryHeap::new(),
            seq: 0,
            offset_ms,
            disorder: cfg.disorder,
            duplicates: cfg.duplicates,
            center: cfg.center,
        })
    }

    /// Events planned but not yet emitted: the simulator's memory, which grows with the
    /// orders in flight, not with the total.
    pub fn pending(&self) -> usize {
        self.heap.len()
    }

    fn start_order(&mut self, received: i64) {
        let id: Arc<str> = self
            .ids
            .next(received, self.offset_ms, &mut self.planner.rng)
            .into();
        for (i, p) in self.planner.plan(received).enumerate() {
            let event = Event {
                at: p.at,
                order: Arc::clone(&id),
                n: i as u32 + 1,
                kind: p.kind,
            };
            let copies = if self.duplicates > 0.0 && self.delivery.random_bool(self.duplicates) {
                2
            } else {
                1
            };
            for _ in 0..copies {
                let delay = if self.disorder > 0.0 && self.delivery.random_bool(self.disorder) {
                    // Mostly short delays, a few of up to three days.
                    let f = self.delivery.random::<f64>().powi(2);
                    SEC.max((MAX_DELAY_MS as f64 * f) as i64)
                } else {
                    0
                };
                self.seq += 1;
                self.heap.push(Reverse(Pending {
                    emit: event.at + delay,
                    seq: self.seq,
                    event: Box::new(event.clone()),
                }));
            }
        }
    }

    fn emit(&mut self) -> Option<SimEvent> {
        let Reverse(p) = self.heap.pop()?;
        let line = render(&p.event, self.center.as_deref(), self.offset_ms);
        Some(SimEvent {
            at_ms: p.event.at,
            order_id: p.event.order.to_string(),
            line,
        })
    }
}

impl Iterator for Simulator {
    type Item = SimEvent;

    fn next(&mut self) -> Option<SimEvent> {
        loop {
            let next_order = self.arrivals.peek();
            let due = self.heap.peek().map(|p| p.0.emit);
            match (due, next_order) {
                (Some(emit), Some(r)) if emit <= r => return self.emit(),
                (_, Some(r)) => {
                    self.arrivals.advance();
                    self.start_order(r);
                }
                (_, None) => return self.emit(),
            }
        }
    }
}

/// Order ids shaped like the real ones: `HX` + yymmdd of the received day + `60` + a
/// two-digit seat + a four-digit sequence per seat and day (`HX24110160350008`).
#[derive(Debug, Default)]
struct OrderIds {
    day: Option<(i64, u32, u32)>,
    seats: Vec<u16>,
    overflow: u64,
}

impl OrderIds {
    fn next(&mut self, received: i64, offset_ms: i64, rng: &mut ChaCha8Rng) -> String {
        let date = local_date(received, offset_ms);
        if self.day != Some(date) {
            self.day = Some(date);
            self.seats = vec![0; 100];
            self.overflow = 0;
        }
        let (y, m, d) = date;
        let yy = y.rem_euclid(100);
        // Seats 20–40 as on the Golmud list; a full seat spills to the next, so ids stay
        // unique up to 999,900 records a day, and beyond that an overflow series starting
        // with 7 (or a longer id) keeps them unique.
        let start = rng.random_range(20..=40_usize);
        for k in 0..100 {
            let seat = (start + k) % 100;
            if self.seats[seat] < 9_999 {
                self.seats[seat] += 1;
                return format!("HX{yy:02}{m:02}{d:02}60{seat:02}{:04}", self.seats[seat]);
            }
        }
        self.overflow += 1;
        if self.overflow < 10_000_000 {
            format!("HX{yy:02}{m:02}{d:02}7{:07}", self.overflow)
        } else {
            format!("HX{yy:02}{m:02}{d:02}8{:010}", self.overflow)
        }
    }
}

/// The contract's own event and encoder write the line, so the simulator cannot drift
/// from it: what it plans is already a contract event, its vocabularies typed.
fn render(e: &Event, center: Option<&str>, offset_ms: i64) -> String {
    use crate::event::{self as contract, TimeZone};
    let event_id = format!("{}-{}", e.order, e.n);
    let ev = contract::Event {
        event_id: event_id.as_str(),
        order_id: &e.order,
        at: e.at,
        center,
        kind: e.kind.clone(),
    };
    // Validated in SimConfig (whole minutes, under a day).
    let tz = TimeZone::from_offset_secs((offset_ms / SEC) as i32).unwrap_or_default();
    contract::encode(&ev, tz)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn order_ids_stay_unique_past_every_seat_filling_up() {
        let mut ids = OrderIds::default();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let noon = 12 * 3_600_000;
        let mut seen = HashSet::new();
        for _ in 0..1_000_100 {
            let id = ids.next(noon, 0, &mut rng);
            assert!(id.starts_with("HX700101") && id.len() == 16, "{id}");
            assert!(seen.insert(id));
        }
        assert_eq!(ids.overflow, 200);
        assert!(seen.contains("HX70010170000200"));
        // A new day starts the seats again.
        assert_eq!(ids.next(noon + DAY, 0, &mut rng).get(..8), Some("HX700102"));
    }
}
