//! Timestamps of the contract (RFC 3339 or naive local time), the configured zone and
//! cohort months.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

use super::Millis;

/// A fixed UTC offset. 12345 reports use UTC+08:00, which has no daylight saving time,
/// so a fixed offset is the whole story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone {
    offset_secs: i32,
}

impl TimeZone {
    pub const CHINA: TimeZone = TimeZone {
        offset_secs: 8 * 3600,
    };

    pub fn from_offset_secs(offset_secs: i32) -> Option<Self> {
        (offset_secs.abs() < 24 * 3600).then_some(TimeZone { offset_secs })
    }

    pub fn offset_secs(self) -> i32 {
        self.offset_secs
    }

    /// The local wall-clock time of `at`, for display.
    pub fn local(self, at: Millis) -> chrono::NaiveDateTime {
        let local = at + i64::from(self.offset_secs) * 1000;
        chrono::DateTime::from_timestamp_millis(local)
            .unwrap_or_default()
            .naive_utc()
    }
}

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone::CHINA
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.offset_secs < 0 { '-' } else { '+' };
        let abs = self.offset_secs.abs();
        write!(f, "{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60)
    }
}

impl FromStr for TimeZone {
    type Err = String;

    /// Accepts `+08:00`, `-05:30`, `Z`, `UTC`, `UTC+8`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("invalid time zone {s:?}: expected an offset such as +08:00");
        let t = s.trim();
        let t = t.strip_prefix("UTC").unwrap_or(t);
        if t.is_empty() || t == "Z" {
            return Ok(TimeZone { offset_secs: 0 });
        }
        let (sign, rest) = match t.as_bytes()[0] {
            b'+' => (1, &t[1..]),
            b'-' => (-1, &t[1..]),
            _ => return Err(bad()),
        };
        let (h, m) = match rest.split_once(':') {
            Some((h, m)) => (h, m),
            None => (rest, "0"),
        };
        let h: i32 = h.parse().map_err(|_| bad())?;
        let m: i32 = m.parse().map_err(|_| bad())?;
        if !(0..=23).contains(&h) || !(0..=59).contains(&m) {
            return Err(bad());
        }
        TimeZone::from_offset_secs(sign * (h * 3600 + m * 60)).ok_or_else(bad)
    }
}

/// A calendar month, `YYYY-MM`, stored as `year * 12 + (month - 1)` so that months
/// order and subtract as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(u32);

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Self> {
        ((1..=12).contains(&month) && (1..=9999).contains(&year))
            .then(|| Month(year as u32 * 12 + month - 1))
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
        let secs = d
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp();
        (secs - i64::from(tz.offset_secs())) * 1000
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
    let d = tz.local(at).date();
    Month::new(d.year(), d.month()).unwrap_or(Month(0))
}

/// Parses `YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|±HH:MM]`; a naive time is read in `tz`.
/// Returns `None` for anything else, including impossible dates (Feb 30).
pub fn parse_timestamp(s: &str, tz: TimeZone) -> Option<Millis> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut i = 19;
    let mut millis = 0u32;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        let mut end = start;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
        }
        let digits = end - start;
        if !(1..=9).contains(&digits) {
            return None;
        }
        for k in 0..3 {
            millis = millis * 10
                + b.get(start + k)
                    .filter(|_| k < digits)
                    .map_or(0, |c| u32::from(c - b'0'));
        }
        i = end;
    }
    let offset_secs: i64 = match &b[i..] {
        [] => i64::from(tz.offset_secs()),
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let h = i64::from(num(i + 1..i + 3)?);
            let m = i64::from(num(i + 4..i + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let v = h * 3600 + m * 60;
            if *sign == b'-' {
                -v
            } else {
                v
            }
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    let local = date.and_hms_milli_opt(hour, min, sec, millis)?;
    Some(local.and_utc().timestamp_millis() - offset_secs * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CST: TimeZone = TimeZone::CHINA;

    #[test]
    fn all_forms_agree() {
        let want = parse_timestamp("2024-11-12T10:00:00Z", CST).unwrap();
        for s in [
            "2024-11-12T18:00:00+08:00",
            "2024-11-12 18:00:00",
            "2024-11-12T18:00:00",
            "2024-11-12T18:00:00.000+08:00",
            "2024-11-12T05:00:00-05:00",
        ] {
            assert_eq!(parse_timestamp(s, CST), Some(want), "{s}");
        }
        assert_eq!(want, 1_731_405_600_000);
    }

    #[test]
    fn fractions_keep_milliseconds() {
        let a = parse_timestamp("2024-11-12T18:00:00.5+08:00", CST).unwrap();
        let b = parse_timestamp("2024-11-12T18:00:00.123456789+08:00", CST).unwrap();
        let base = parse_timestamp("2024-11-12T18:00:00+08:00", CST).unwrap();
        assert_eq!(a - base, 500);
        assert_eq!(b - base, 123);
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "",
            "2024-11-12",
            "2024/11/12 18:00:00",
            "2024-02-30T10:00:00",
            "2024-11-12T25:00:00",
            "2024-11-12T18:00:00+8",
            "2024-11-12T18:00:00.+08:00",
            "2024-11-12T18:00:00.1234567890Z",
            "2024-11-12T18:00:00Zjunk",
            "２０２４-11-12T18:00:00",
            "1731405600",
        ] {
            assert_eq!(parse_timestamp(s, CST), None, "{s:?}");
        }
    }

    #[test]
    fn naive_time_uses_configured_zone() {
        let utc = TimeZone::from_offset_secs(0).unwrap();
        let a = parse_timestamp("2024-11-12 18:00:00", utc).unwrap();
        let b = parse_timestamp("2024-11-12 18:00:00", CST).unwrap();
        assert_eq!(a - b, 8 * 3600 * 1000);
    }

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

    #[test]
    fn zones_parse() {
        assert_eq!("+08:00".parse::<TimeZone>().unwrap(), CST);
        assert_eq!("UTC+8".parse::<TimeZone>().unwrap(), CST);
        assert_eq!("-05:30".parse::<TimeZone>().unwrap().offset_secs(), -19800);
        assert!("+25:00".parse::<TimeZone>().is_err());
        assert!("Asia/Shanghai".parse::<TimeZone>().is_err());
        assert_eq!(CST.to_string(), "+08:00");
    }
}
