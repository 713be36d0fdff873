//! Simulated time: when records arrive over a month, working-day deadlines, office hours,
//! and the RFC 3339 text every timestamp is written as.
//!
//! All instants are UTC epoch milliseconds on whole seconds (the wire format has second
//! precision, so `SimEvent::at_ms` always equals what its line says). Local time is UTC
//! plus a fixed offset; calendar maths is done on day numbers so that nothing here can
//! fail for a validated month.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::event::{civil_from_days, days_from_civil, days_in_month};

pub(crate) const SEC: i64 = 1_000;
pub(crate) const MIN: i64 = 60 * SEC;
pub(crate) const HOUR: i64 = 60 * MIN;
pub(crate) const DAY: i64 = 24 * HOUR;

/// Relative call volume per local hour: a 24-hour hotline whose calls follow office
/// hours, with a lunch dip and a quiet night.
const HOURLY: [f64; 24] = [
    1.0, 0.5, 0.3, 0.3, 0.3, 0.5, 1.5, 3.0, 6.0, 9.0, 10.0, 9.5, 7.0, 6.0, 8.0, 9.0, 8.5, 7.0, 5.0,
    4.0, 3.5, 3.0, 2.0, 1.5,
];
/// Saturdays and Sundays carry fewer calls; each day also gets ±10% of noise.
const WEEKEND: f64 = 0.8;

fn is_weekend(day: i64) -> bool {
    // Day 0 was a Thursday; 0 = Sunday below.
    matches!((day + 4).rem_euclid(7), 0 | 6)
}

/// The local day number and millisecond-of-day of an instant.
fn local(ms: i64, offset_ms: i64) -> (i64, i64) {
    let l = ms + offset_ms;
    (l.div_euclid(DAY), l.rem_euclid(DAY))
}

/// The local date of an instant, for order ids.
pub(crate) fn local_date(ms: i64, offset_ms: i64) -> (i64, u32, u32) {
    civil_from_days(local(ms, offset_ms).0)
}

/// 18:00 local time `working_days` working days (Monday to Friday) after the local day
/// of `ms`. Public holidays are not modelled: the spec leaves working-day rules to
/// upstream, and a fixed calendar would tie the simulator to particular years.
pub(crate) fn due_after(ms: i64, working_days: u32, offset_ms: i64) -> i64 {
    let (mut day, _) = local(ms, offset_ms);
    let mut left = working_days;
    while left > 0 {
        day += 1;
        if !is_weekend(day) {
            left -= 1;
        }
    }
    day * DAY + 18 * HOUR - offset_ms
}

/// Moves an instant that falls outside 08:00–21:00 local to the next morning, keeping
/// some spread. Never moves backwards, and never past 11:00, so a time before an 18:00
/// deadline stays before it.
pub(crate) fn office(ms: i64, offset_ms: i64) -> i64 {
    let (day, t) = local(ms, offset_ms);
    let moved = if t < 8 * HOUR {
        day * DAY + 8 * HOUR + t / 4
    } else if t >= 21 * HOUR {
        (day + 1) * DAY + 8 * HOUR + (t - 21 * HOUR)
    } else {
        return ms;
    };
    let moved = moved - offset_ms;
    moved - moved.rem_euclid(SEC)
}

/// Received times of a month in increasing order, without holding the month in memory:
/// the month is cut into local hours, each hour is given its share of the records up
/// front (rounded cumulatively, so the shares add up to exactly the total), and only
/// one hour's times are drawn and sorted at a time.
#[derive(Debug)]
pub(crate) struct Arrivals {
    rng: ChaCha8Rng,
    /// UTC instant at which hour slot 0 starts.
    start_ms: i64,
    /// Cumulative weight at the end of each hour slot.
    cumulative: Vec<f64>,
    total: u64,
    slot: usize,
    handed_out: u64,
    hour: Vec<i64>,
    pos: usize,
}

impl Arrivals {
    pub(crate) fn new(
        year: i32,
        month: u32,
        offset_ms: i64,
        total: u64,
        mut rng: ChaCha8Rng,
    ) -> Self {
        let first = days_from_civil(year, month, 1);
        let days = days_in_month(year, month);
        let mut cumulative = Vec::with_capacity(days as usize * 24);
        let mut sum = 0.0;
        for day in first..first + days {
            let shape = if is_weekend(day) { WEEKEND } else { 1.0 };
            let noise = rng.random_range(0.9..1.1);
            for w in HOURLY {
                sum += w * shape * noise;
                cumulative.push(sum);
            }
        }
        Arrivals {
            rng,
            start_ms: first * DAY - offset_ms,
            cumulative,
            total,
            slot: 0,
            handed_out: 0,
            hour: Vec::new(),
            pos: 0,
        }
    }

    /// The next received time, without consuming it.
    pub(crate) fn peek(&mut self) -> Option<i64> {
        while self.pos == self.hour.len() {
            if self.slot == self.cumulative.len() {
                return None;
            }
            self.fill_slot();
        }
        Some(self.hour[self.pos])
    }

    pub(crate) fn advance(&mut self) {
        self.pos += 1;
    }

    fn fill_slot(&mut self) {
        let last = self.cumulative.len() - 1;
        let upto = if self.slot == last {
            self.total
        } else {
            let share = self.cumulative[self.slot] / self.cumulative[last];
            ((self.total as f64 * share).round() as u64).clamp(self.handed_out, self.total)
        };
        let n = upto - self.handed_out;
        self.handed_out = upto;
        let base = self.start_ms + self.slot as i64 * HOUR;
        self.hour.clear();
        self.pos = 0;
        for _ in 0..n {
            self.hour
                .push(base + self.rng.random_range(0..3600_i64) * SEC);
        }
        self.hour.sort_unstable();
        self.slot += 1;
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, NaiveDate, Timelike, Weekday};

    use super::*;

    /// RFC 3339 as the contract's encoder writes it (`offset_ms` as everywhere here).
    fn rfc3339(ms: i64, offset_ms: i64) -> String {
        let tz = crate::event::TimeZone::from_offset_secs((offset_ms / SEC) as i32).unwrap();
        crate::event::format_timestamp(ms, tz)
    }

    #[test]
    fn calendar_maths_agrees_with_chrono() {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        for z in (-800_000..3_000_000).step_by(97) {
            let date = epoch + chrono::TimeDelta::days(z);
            let (y, m, d) = civil_from_days(z);
            assert_eq!(
                (y, m, d),
                (i64::from(date.year()), date.month(), date.day())
            );
            assert_eq!(days_from_civil(date.year(), m, d), z);
            let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
            assert_eq!(is_weekend(z), weekend, "{date}");
        }
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2023, 2), 28);
        assert_eq!(days_in_month(2024, 12), 31);
    }

    #[test]
    fn deadlines_are_working_days_at_six_in_the_evening() {
        let tz = 8 * HOUR;
        // Friday 2024-11-01 09:40 +08:00, as on the Golmud list: 7 working days later is
        // Tuesday 2024-11-12.
        let at = days_from_civil(2024, 11, 1) * DAY + 9 * HOUR + 40 * MIN - tz;
        assert_eq!(
            rfc3339(due_after(at, 7, tz), tz),
            "2024-11-12T18:00:00+08:00"
        );
        // Late on a Saturday in UTC is already Sunday in UTC+8; Monday is 1 working day.
        let at = days_from_civil(2024, 11, 2) * DAY + 20 * HOUR;
        assert_eq!(
            rfc3339(due_after(at, 1, tz), tz),
            "2024-11-04T18:00:00+08:00"
        );
    }

    #[test]
    fn office_hours_only_move_forward_and_stay_before_an_evening_deadline() {
        let tz = -(5 * HOUR + 30 * MIN);
        let day = days_from_civil(2024, 3, 5) * DAY - tz;
        for t in (0..2 * DAY).step_by(7 * MIN as usize) {
            let at = day + t;
            let moved = office(at, tz);
            assert!(moved >= at && moved % SEC == 0);
            let local = chrono::DateTime::from_timestamp_millis(moved + tz).unwrap();
            assert!((8..21).contains(&local.hour()), "{local}");
            let deadline = due_after(at, 0, tz);
            if at <= deadline {
                assert!(moved <= deadline);
            }
        }
        assert_eq!(rfc3339(0, tz), "1969-12-31T18:30:00-05:30");
    }

    #[test]
    fn arrivals_are_sorted_complete_and_inside_the_month() {
        let tz = 8 * HOUR;
        let rng = <ChaCha8Rng as rand::SeedableRng>::seed_from_u64(1);
        let mut a = Arrivals::new(2024, 2, tz, 50_000, rng);
        let (start, end) = (
            days_from_civil(2024, 2, 1) * DAY - tz,
            days_from_civil(2024, 3, 1) * DAY - tz,
        );
        let mut times = Vec::new();
        while let Some(t) = a.peek() {
            a.advance();
            times.push(t);
        }
        assert_eq!(times.len(), 50_000);
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        assert!(times[0] >= start && times[times.len() - 1] < end);
        let by_hour = |h: i64| {
            times
                .iter()
                .filter(|&&t| (t + tz).rem_euclid(DAY) / HOUR == h)
                .count()
        };
        assert!(by_hour(10) > 10 * by_hour(3), "calls follow office hours");
    }
}
