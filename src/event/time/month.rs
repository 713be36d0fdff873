//! Cohort months: a calendar month in the configured zone.

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveTime};

use super::TimeZone;
use crate::event::Millis;

/// order and subtract as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(u32);

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Self> {
        ((1..=12).contains(&month) && (1..=9999).contains(&year))
            .then(|| Month(year as u32 * 12 + month - 1))
    }

    /// The month of a date from [`TimeZone::local_date`] (month 0 of year 0 outside
    /// years 1..=9999).
    pub fn of_date((year, month, _): (i32, u32, u32)) -> Self {
        Month::new(year, month).unwrap_or(Month(0))
    }

    pub fn year(self) -> i32 {
        (self.0 / 12) as i32
    }

    /// 1..=12
    pub fn month(self) -> u32 {
        self.0 % 12 + 1
    }

    pub fn pred(self, n: u32) -> Month {
        Month(self.0.saturating_sub(n))
    }

    pub fn succ(self) -> Month {
        Month(self.0 + 1)
    }

    /// First instant of the month in `tz`.
    pub fn start(self, tz: TimeZone) -> Millis {
        let d = NaiveDate::from_ymd_opt(self.year(), self.month(), 1).unwrap_or_default();
        tz.instant_of_local(&d.and_time(NaiveTime::MIN))
    }

    pub fn days(self) -> u32 {
        let start = NaiveDate::from_ymd_opt(self.year(), self.month(), 1).unwrap_or_default();
        let next = self.succ();
        let end = NaiveDate::from_ymd_opt(next.year(), next.month(), 1).unwrap_or_default();
        (end - start).num_days() as u32
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

impl FromStr for Month {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("invalid month {s:?}: expected YYYY-MM");
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let y: i32 = y.parse().map_err(|_| bad())?;
        let m: u32 = m.parse().map_err(|_| bad())?;
        Month::new(y, m).ok_or_else(bad)
    }
}

impl serde::Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The month `at` falls in, in `tz`.
pub fn month_of(at: Millis, tz: TimeZone) -> Month {
    Month::of_date(tz.local_date(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::parse_timestamp;

    const CST: TimeZone = TimeZone::CHINA;

    #[test]
    fn month_boundaries_follow_the_zone() {
        // 2024-10-31T17:00Z is 2024-11-01 01:00 in Beijing.
        let at = parse_timestamp("2024-10-31T17:00:00Z", CST).unwrap();
        assert_eq!(month_of(at, CST).to_string(), "2024-11");
        assert_eq!(
            month_of(at, TimeZone::from_offset_secs(0).unwrap()).to_string(),
            "2024-10"
        );
        let m: Month = "2024-11".parse().unwrap();
        assert_eq!(
            m.start(CST),
            parse_timestamp("2024-11-01 00:00:00", CST).unwrap()
        );
        assert_eq!(m.days(), 30);
        assert_eq!("2024-02".parse::<Month>().unwrap().days(), 29);
        assert_eq!(m.pred(11).to_string(), "2023-12");
        assert!("2024-13".parse::<Month>().is_err());
        assert!("2024-1".parse::<Month>().is_err());
    }
}
