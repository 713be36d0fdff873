//! Timestamps of the contract (RFC 3339 or naive local time), the configured zone and
//! cohort months.

use std::fmt;
use std::str::FromStr;

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

    /// The instant of a local wall-clock time, read with the offset in force at that
    /// time in this zone, not today's: the one definition behind naive timestamps and
    /// the bounds of days, weeks and months. A time in a DST gap takes the offset before
    /// the gap (so a midnight skipped by the gap gives the day's first instant); an
    /// ambiguous one the earlier instant.
    pub fn instant_of_local(self, local: &chrono::NaiveDateTime) -> Millis {
        local.and_utc().timestamp_millis() - i64::from(self.offset_of_local(local)) * 1000
    }

    /// The UTC offset of a local wall-clock time (see [`TimeZone::instant_of_local`]).
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

    /// The local calendar date of `at`: (year, month 1..=12, day 1..=31). The hot
    /// path's date (cohort months, days of month): plain integer arithmetic on the
    /// day number (H. Hinnant's `civil_from_days`), a fifth of what going through
    /// chrono's calendar cost per event.
    pub fn local_date(self, at: Millis) -> (i32, u32, u32) {
        let local = at.saturating_add(i64::from(self.offset_at(at)) * 1000);
        let (year, month, day) = civil_from_days(local.div_euclid(86_400_000));
        (
            year.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32,
            month,
            day,
        )
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

mod civil;
mod month;
mod parse;

pub(crate) use self::civil::{civil_from_days, days_from_civil, days_in_month};

pub use self::month::{month_of, Month};
pub use self::parse::parse_timestamp;

#[cfg(test)]
mod tests {
    use super::*;

    const CST: TimeZone = TimeZone::CHINA;

    #[test]
    fn zones_parse() {
        assert_eq!("+08:00".parse::<TimeZone>().unwrap(), CST);
        assert_eq!("UTC+8".parse::<TimeZone>().unwrap(), CST);
        assert_eq!("-05:30".parse::<TimeZone>().unwrap().offset_at(0), -19800);
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

    #[test]
    fn local_times_resolve_with_the_offset_of_their_own_day() {
        let berlin: TimeZone = "Europe/Berlin".parse().unwrap();
        let local =
            |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        let utc = |s: &str| parse_timestamp(s, CST).unwrap();
        // Midnights either side of the spring-forward night: +01:00, then +02:00.
        assert_eq!(
            berlin.instant_of_local(&local("2024-03-31 00:00:00")),
            utc("2024-03-30T23:00:00Z")
        );
        assert_eq!(
            berlin.instant_of_local(&local("2024-04-01 00:00:00")),
            utc("2024-03-31T22:00:00Z")
        );
        // In the gap: the offset before it. Ambiguous (the fall-back night): the earlier.
        assert_eq!(
            berlin.instant_of_local(&local("2024-03-31 02:30:00")),
            utc("2024-03-31T01:30:00Z")
        );
        assert_eq!(
            berlin.instant_of_local(&local("2024-10-27 02:30:00")),
            utc("2024-10-27T00:30:00Z")
        );
        // A fixed zone: one offset, and naive timestamps read the same way.
        let at = local("2024-11-12 18:00:00");
        assert_eq!(CST.instant_of_local(&at), utc("2024-11-12T10:00:00Z"));
        assert_eq!(
            parse_timestamp("2024-10-27 02:30:00", berlin),
            Some(berlin.instant_of_local(&local("2024-10-27 02:30:00")))
        );
    }

    #[test]
    fn local_date_is_chronos_date() {
        use chrono::Datelike;
        let berlin: TimeZone = "Europe/Berlin".parse().unwrap();
        let zones = [
            TimeZone::CHINA,
            TimeZone::from_offset_secs(-34_200).unwrap(),
            berlin,
        ];
        // Every 7 hours 13 minutes over ±300 years around 1970, plus the extremes
        // chrono can represent.
        let step = (7 * 3600 + 13 * 60) * 1000;
        let span = 300 * 366 * 86_400_000i64;
        let instants = (-span / step..span / step)
            .step_by(97)
            .map(|k| k * step)
            .chain([0, -1, 1, 951_782_400_000, -62_135_596_800_000]);
        for at in instants {
            for tz in zones {
                let d = tz.local(at).date();
                assert_eq!(
                    tz.local_date(at),
                    (d.year(), d.month(), d.day()),
                    "{at} {tz}"
                );
            }
        }
    }
}
