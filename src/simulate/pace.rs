//! When simulated events may be delivered live: the simulated clock plays the month
//! from its start at `speed` times real time but never passes the wall clock, so a
//! live demo never shows a 截至时间 or a reply in the future; once it has reached the
//! wall clock it keeps pace with it, holding each event until its `at` has come.
//!
//! [`Paced`] is pure (the caller passes the wall clock and the elapsed time), so the
//! "never after now" guarantee is tested without sleeping.

use std::iter::Peekable;
use std::time::Duration;

use super::SimEvent;

/// How fast the simulated month is played.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    /// Epoch ms where the simulated clock starts (the month's first instant).
    pub start_ms: i64,
    /// Simulated seconds per real second while catching up; 0 = no limit (the clock
    /// jumps to the wall clock at once).
    pub speed: f64,
    /// Most events per second; 0 = no limit.
    pub rate: f64,
}

/// What the caller should do next.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Deliver this event now.
    Event(SimEvent),
    /// Nothing is due yet: poll again after about this long.
    Wait(Duration),
    /// Returned once, the first time the simulated clock has reached the wall clock
    /// and every event due so far has been delivered: from now on the stream keeps
    /// pace with real time.
    CaughtUp,
    /// The simulated month has no event left.
    Done,
}

/// A simulated stream delivered at a [`Pace`].
#[derive(Debug)]
pub struct Paced<I: Iterator<Item = SimEvent>> {
    events: Peekable<I>,
    pace: Pace,
    sent: u64,
    caught_up: bool,
}

/// Longest wait handed out, so a caller polling a stop flag stays responsive.
const MAX_WAIT: Duration = Duration::from_millis(200);

impl<I: Iterator<Item = SimEvent>> Paced<I> {
    pub fn new(events: I, pace: Pace) -> Self {
        Paced {
            events: events.peekable(),
            pace,
            sent: 0,
            caught_up: false,
        }
    }

    /// Events delivered so far.
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// Whether the stream has caught up with the wall clock.
    pub fn caught_up(&self) -> bool {
        self.caught_up
    }

    /// The simulated clock at wall-clock `now_ms`, `elapsed` after the start.
    pub fn clock(&self, now_ms: i64, elapsed: Duration) -> i64 {
        let p = &self.pace;
        if p.speed <= 0.0 {
            return now_ms;
        }
        let played = (elapsed.as_secs_f64() * p.speed * 1000.0).min(i64::MAX as f64) as i64;
        p.start_ms.saturating_add(played).min(now_ms)
    }

    /// The next step at wall-clock `now_ms`, `elapsed` after the start. Never returns an
    /// event whose `at` is after `now_ms`.
    pub fn poll(&mut self, now_ms: i64, elapsed: Duration) -> Next {
        let p = self.pace;
        if p.rate > 0.0 {
            let budget = (elapsed.as_secs_f64() * p.rate) as u64;
            if self.sent >= budget {
                let next = Duration::from_secs_f64((self.sent + 1) as f64 / p.rate);
                return Next::Wait(next.saturating_sub(elapsed).min(MAX_WAIT));
            }
        }
        let clock = self.clock(now_ms, elapsed);
        let Some(head) = self.events.peek() else {
            return Next::Done;
        };
        if head.at_ms <= clock {
            self.sent += 1;
            return match self.events.next() {
                Some(ev) => Next::Event(ev),
                None => Next::Done,
            };
        }
        if clock >= now_ms && !self.caught_up {
            self.caught_up = true;
            return Next::CaughtUp;
        }
        // Real milliseconds until the simulated clock reaches the head event.
        let ahead = (head.at_ms - clock).max(1) as f64;
        let real_ms = if clock >= now_ms || p.speed <= 0.0 {
            ahead
        } else {
            ahead / p.speed
        };
        Next::Wait(Duration::from_secs_f64(real_ms / 1000.0).min(MAX_WAIT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::{SimConfig, Simulator};

    const DAY: i64 = 86_400_000;

    fn sim(month: (i32, u32), disorder: f64) -> (Simulator, i64) {
        let cfg = SimConfig {
            orders: 3_000,
            month,
            disorder,
            ..SimConfig::default()
        };
        let start = crate::event::Month::new(month.0, month.1)
            .map(|m| m.start(crate::event::TimeZone::CHINA))
            .unwrap_or(0);
        (Simulator::new(cfg), start)
    }

    /// Drains everything deliverable at a fixed wall clock with unlimited speed.
    fn drain(paced: &mut Paced<Simulator>, now: i64, elapsed: Duration) -> (Vec<SimEvent>, Next) {
        let mut out = Vec::new();
        loop {
            match paced.poll(now, elapsed) {
                Next::Event(e) => out.push(e),
                other => return (out, other),
            }
        }
    }

    #[test]
    fn the_stream_never_has_an_event_after_now() {
        for disorder in [0.0, 0.3] {
            let (s, start) = sim((2024, 11), disorder);
            let now = start + 12 * DAY + 5 * 3_600_000;
            let pace = Pace {
                start_ms: start,
                speed: 0.0,
                rate: 0.0,
            };
            let mut paced = Paced::new(s, pace);
            let (first, next) = drain(&mut paced, now, Duration::ZERO);
            assert!(first.len() > 500, "the month so far is delivered");
            assert!(first.iter().all(|e| e.at_ms <= now), "nothing after now");
            assert_eq!(next, Next::CaughtUp);
            assert!(matches!(paced.poll(now, Duration::ZERO), Next::Wait(_)));
            // Real time passes: the next day's events come, still none after it.
            let later = now + DAY;
            let (more, _) = drain(&mut paced, later, Duration::ZERO);
            assert!(!more.is_empty());
            assert!(more.iter().all(|e| e.at_ms <= later));
            assert!(more.iter().any(|e| e.at_ms > now));
        }
    }

    #[test]
    fn speed_plays_the_month_from_its_start_without_passing_the_wall_clock() {
        let (s, start) = sim((2024, 11), 0.0);
        let now = start + 20 * DAY;
        // One simulated day per real second: after 2 s, two days are played.
        let mut paced = Paced::new(
            s,
            Pace {
                start_ms: start,
                speed: 86_400.0,
                rate: 0.0,
            },
        );
        let (two_days, next) = drain(&mut paced, now, Duration::from_secs(2));
        assert!(!two_days.is_empty());
        assert!(two_days.iter().all(|e| e.at_ms <= start + 2 * DAY));
        assert!(
            matches!(next, Next::Wait(_)),
            "not caught up yet: the clock is 18 days behind"
        );
        assert!(!paced.caught_up());
        // Far later in real time the clock is capped at the wall clock.
        assert_eq!(paced.clock(now, Duration::from_secs(1_000)), now);
        let (rest, next) = drain(&mut paced, now, Duration::from_secs(1_000));
        assert!(rest.iter().all(|e| e.at_ms <= now));
        assert_eq!(next, Next::CaughtUp);
        assert!(paced.caught_up());
    }

    #[test]
    fn the_rate_caps_events_per_second() {
        let (s, start) = sim((2024, 11), 0.0);
        let mut paced = Paced::new(
            s,
            Pace {
                start_ms: start,
                speed: 0.0,
                rate: 100.0,
            },
        );
        let (first, next) = drain(&mut paced, start + 20 * DAY, Duration::from_millis(1_500));
        assert_eq!(first.len(), 150);
        assert!(matches!(next, Next::Wait(d) if d <= Duration::from_millis(10)));
    }

    #[test]
    fn a_past_month_plays_to_its_end() {
        let (s, start) = sim((2024, 1), 0.0);
        let total = Simulator::new(SimConfig {
            orders: 3_000,
            month: (2024, 1),
            ..SimConfig::default()
        })
        .count();
        let mut paced = Paced::new(
            s,
            Pace {
                start_ms: start,
                speed: 0.0,
                rate: 0.0,
            },
        );
        let (all, next) = drain(&mut paced, start + 400 * DAY, Duration::ZERO);
        assert_eq!(all.len(), total);
        assert_eq!(next, Next::Done);
        assert_eq!(paced.sent(), total as u64);
    }
}
