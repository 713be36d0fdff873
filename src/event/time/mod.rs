//! Timestamps of the contract (RFC 3339 or naive local time), the configured zone and
//! cohort months.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

use super::Millis;

/// The zone of naive timestamps and of months: a fixed UTC offset (the fast path:
/// 12345 reports use UTC+08:00, which has no daylight saving time), or an IANA zone
/// (`Asia/Shanghai`, `Europe/Berlin`) whose offset is looked up per instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone {
    offset_secs: i32,
    named: Option<chrono_tz::Tz>,
}

impl TimeZone {
    pub const CHINA: TimeZone = TimeZone {
        offset_secs: 8 * 3600,
        named: None,
    };

    pub fn from_offset_secs(offset_secs: i32) -> Option<Self> {
        (offset_secs.abs() < 24 * 3600).then_some(TimeZone {
            offset_secs,
            named: None,
        })
    }

    /// The fixed offset; for an IANA zone, its offset at the current instant (use
    /// [`TimeZone::offset_at`] where the instant is known).
    pub fn offset_secs(self) -> i32 {
        match self.named {
            None => self.offset_secs,
            Some(_) => self.offset_at(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as Millis),
            ),
        }
    }

    /// The UTC offset in force at `at`.
    pub fn offset_at(self, at: Millis) -> i32 {
        use chrono::{Offset, TimeZone as _};
        match self.named {
            None => self.offset_secs,
            Some(tz) => {
                chrono::DateTime::from_timestamp_millis(at).map_or(self.offset_secs, |utc| {
                    tz.offset_from_utc_datetime(&utc.naive_utc())
                        .fix()
                        .local_minus_utc()
                })
            }
        }
    }

    /// The fixed zone in force at `at` (for writing `at` as RFC 3339).
    pub fn fixed_at(self, at: Millis) -> TimeZone {
        TimeZone {
            offset_secs: self.offset_at(at),
            named: None,
        }
    }

    /// The UTC offset of a local wall-clock time (a time in a DST gap takes the offset
    /// before the gap; an ambiguous one the earlier instant).
    fn offset_of_local(self, local: &chrono::NaiveDateTime) -> i32 {
        use chrono::{Offset, TimeZone as _};
        match self.named {
            None => self.offset_secs,
            Some(tz) => {
                let r = tz.offset_from_local_datetime(local);
                let off = r.earliest().or_else(|| {
                    tz.offset_from_local_datetime(&(*local - chrono::TimeDelta::hours(3)))
                        .earliest()
                });
                off.map_or(self.offset_secs, |o| o.fix().local_minus_utc())
            }
        }
    }

    /// The local wall-clock time of `at`, for display.
    pub fn local(self, at: Millis) -> chrono::NaiveDateTime {
        let local = at + i64::from(self.offset_at(at)) * 1000;
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
    /// The offset (`+08:00`), or the IANA name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(tz) = self.named {
            return f.write_str(tz.name());
        }
        let sign = if self.offset_secs < 0 { '-' } else { '+' };
        let abs = self.offset_secs.abs();
        write!(f, "{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60)
    }
}

impl FromStr for TimeZone {
    type Err = String;

    /// Accepts `+08:00`, `-05:30`, `Z`, `UTC`, `UTC+8`, and IANA names
    /// (`Asia/Shanghai`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "invalid time zone {s:?}: expected an offset such as +08:00 or an IANA zone name such as Asia/Shanghai"
            )
        };
        let t = s.trim();
        if t.contains('/') {
            let tz: chrono_tz::Tz = t.parse().map_err(|_| bad())?;
            let mut zone = TimeZone {
                offset_secs: 0,
                named: Some(tz),
            };
            // A zone with one offset since 1992 (Asia/Shanghai: +08:00 since its last
            // DST in 1991) takes the fixed fast path.
            let probes = [
                694_224_000_000i64, // 1992-01-01
                1_000_000_000_000,
                1_700_000_000_000,
                1_720_000_000_000, // mid-year: catches summer time
                4_102_444_800_000, // 2100-01-01
            ];
            let first = zone.offset_at(probes[0]);
            if probes.iter().all(|&p| zone.offset_at(p) == first) {
                zone = TimeZone {
                    offset_secs: first,
                    named: None,
                };
            }
            return Ok(zone);
        }
        let t = t.strip_prefix("UTC").unwrap_or(t);
        if t.is_empty() || t == "Z" {
            return Ok(TimeZone {
                offset_secs: 0,
                named: None,
            });
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
        let local = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        (local.and_utc().timestamp() - i64::from(tz.offset_of_local(&local))) * 1000
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
        [] if tz.named.is_none() => i64::from(tz.offset_secs),
        [] => {
            let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
            let local = date.and_hms_milli_opt(hour, min, sec, millis)?;
            i64::from(tz.offset_of_local(&local))
        }
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
        assert!("Asia/Shangai".parse::<TimeZone>().is_err());
        assert_eq!(CST.to_string(), "+08:00");
    }

    #[test]
    fn iana_zones_parse_and_fixed_ones_take_the_fast_path() {
        // Shanghai has kept +08:00 since 1991: the same fixed zone as +08:00.
        assert_eq!("Asia/Shanghai".parse::<TimeZone>().unwrap(), CST);
        assert_eq!(
            "Asia/Urumqi".parse::<TimeZone>().unwrap().to_string(),
            "+06:00"
        );
        let berlin: TimeZone = "Europe/Berlin".parse().unwrap();
        assert_eq!(berlin.to_string(), "Europe/Berlin");
        let winter = parse_timestamp("2024-01-15 12:00:00", berlin).unwrap();
        let summer = parse_timestamp("2024-07-15 12:00:00", berlin).unwrap();
        assert_eq!(
            winter,
            parse_timestamp("2024-01-15T11:00:00Z", CST).unwrap()
        );
        assert_eq!(
            summer,
            parse_timestamp("2024-07-15T10:00:00Z", CST).unwrap()
        );
        assert_eq!(berlin.offset_at(summer), 7200);
        assert_eq!(berlin.local(summer).to_string(), "2024-07-15 12:00:00");
        assert_eq!(berlin.fixed_at(summer).to_string(), "+02:00");
        // Months start at local midnight, in winter and in summer.
        let m: Month = "2024-07".parse().unwrap();
        assert_eq!(
            m.start(berlin),
            parse_timestamp("2024-06-30T22:00:00Z", CST).unwrap()
        );
        assert_eq!(month_of(m.start(berlin), berlin), m);
        assert_eq!(month_of(m.start(berlin) - 1, berlin).to_string(), "2024-06");
        // 02:30 on the spring-forward night does not exist: the offset before the gap.
        assert!(parse_timestamp("2024-03-31 02:30:00", berlin).is_some());
    }
}
