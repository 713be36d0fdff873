//! The contract's timestamps: RFC 3339 with an offset, or naive local time read in the
//! configured zone.

use std::cell::Cell;

use chrono::NaiveDate;

use super::{days_from_civil, days_in_month, TimeZone};
use crate::event::Millis;

/// Parses `YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|±HH:MM]`; a naive time is read in `tz`.
/// Returns `None` for anything else, including impossible dates (Feb 30).
///
/// The fixed part is matched as one 19-byte pattern, its digits checked together: an
/// event's timestamps were 350 instructions each when read field by field with bounds
/// checks (5 % of a replay's instructions). The date is read through [`Date::of`],
/// which remembers the last ones.
pub fn parse_timestamp(s: &str, tz: TimeZone) -> Option<Millis> {
    let (head, tail) = s.as_bytes().split_first_chunk::<19>()?;
    let (date, time) = head.split_first_chunk::<10>()?;
    let date = Date::of(date)?;
    let [b'T' | b' ', h0, h1, b':', mi0, mi1, b':', s0, s1] = *time else {
        return None;
    };
    let [hour, min, sec] = pairs([h0, h1, mi0, mi1, s0, s1])?;
    let (millis, zone) = match tail {
        [b'.', fraction @ ..] => {
            let digits = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
            if !(1..=9).contains(&digits) {
                return None;
            }
            let millis = fraction[..digits.min(3)]
                .iter()
                .fold(0, |m, &c| m * 10 + u32::from(c - b'0'))
                * [100, 10, 1][digits.min(3) - 1];
            (millis, &fraction[digits..])
        }
        _ => (0, tail),
    };
    // As chrono would check them (no leap seconds: the contract has none).
    if hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    let offset_secs: i64 = match *zone {
        [] => {
            let local = NaiveDate::from_ymd_opt(date.year, date.month, date.day)?
                .and_hms_milli_opt(hour, min, sec, millis)?;
            return Some(tz.instant_of_local(&local));
        }
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h0, h1, b':', m0, m1] => {
            let [h, m] = pairs([h0, h1, m0, m1])?;
            if h > 23 || m > 59 {
                return None;
            }
            let v = i64::from(h * 3600 + m * 60);
            if sign == b'-' {
                -v
            } else {
                v
            }
        }
        _ => return None,
    };
    let secs = date.days * 86_400 + i64::from(hour * 3600 + min * 60 + sec) - offset_secs;
    Some(secs * 1000 + i64::from(millis))
}

/// A valid calendar date of a timestamp and its day number.
#[derive(Debug, Clone, Copy)]
struct Date {
    /// The ten bytes `YYYY-MM-DD` it was read from, as one number.
    text: u128,
    year: i32,
    month: u32,
    day: u32,
    days: i64,
}

/// Dates remembered per thread, by their day of month's last digits.
const REMEMBERED: usize = 8;

thread_local! {
    /// The dates read last on this thread. An input's timestamps come in time order,
    /// mostly, so most share the date of an event shortly before; an assignment's
    /// deadline is some days later, in another place. The memo saves the date's checks
    /// and its day number.
    static DATES: [Cell<Option<Date>>; REMEMBERED] = const { [const { Cell::new(None) }; REMEMBERED] };
}

impl Date {
    /// The date written `YYYY-MM-DD` in `b`; `None` if it is not one.
    fn of(b: &[u8; 10]) -> Option<Date> {
        let mut text = [0u8; 16];
        text[..10].copy_from_slice(b);
        let text = u128::from_le_bytes(text);
        let place = usize::from(b[9].wrapping_add(b[8].wrapping_mul(2))) % REMEMBERED;
        DATES.with(|dates| {
            let place = &dates[place];
            if let Some(date) = place.get().filter(|d| d.text == text) {
                return Some(date);
            }
            let date = Date::read(b, text)?;
            place.set(Some(date));
            Some(date)
        })
    }

    fn read(b: &[u8; 10], text: u128) -> Option<Date> {
        let [y0, y1, y2, y3, b'-', mo0, mo1, b'-', d0, d1] = *b else {
            return None;
        };
        let [century, of_century, month, day] = pairs([y0, y1, y2, y3, mo0, mo1, d0, d1])?;
        // The four-digit year is in range; month and day are checked as chrono would.
        let year = (century * 100 + of_century) as i32;
        if !(1..=12).contains(&month) || day == 0 || i64::from(day) > days_in_month(year, month) {
            return None;
        }
        Some(Date {
            text,
            year,
            month,
            day,
            days: days_from_civil(year, month, day),
        })
    }
}

/// The two-digit numbers written by `N` ASCII digits (`M` = `N / 2`), all checked at
/// once; `None` if any is not a digit.
fn pairs<const N: usize, const M: usize>(chars: [u8; N]) -> Option<[u32; M]> {
    debug_assert_eq!(N, 2 * M);
    let d = chars.map(|c| c.wrapping_sub(b'0'));
    if d.iter().fold(0, |max, &d| max.max(d)) > 9 {
        return None;
    }
    Some(std::array::from_fn(|i| {
        u32::from(d[2 * i]) * 10 + u32::from(d[2 * i + 1])
    }))
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
        // One to nine digits, the first three kept; ten are refused.
        let digits = "9876543210";
        for n in 1..=10 {
            let text = format!("2024-11-12T18:00:00.{}+08:00", &digits[..n]);
            let want = (n <= 9).then(|| base + [900, 980, 987][n.min(3) - 1]);
            assert_eq!(parse_timestamp(&text, CST), want, "{text}");
        }
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
            // Bytes just outside the digits, in digit places.
            "2024-11-12T18:00:0/",
            "2024-11-12T18:00:0:",
            "2O24-11-12T18:00:00",
            "2024-11-12T18:00:00+0a:00",
            "1731405600",
        ] {
            assert_eq!(parse_timestamp(s, CST), None, "{s:?}");
        }
    }

    proptest::proptest! {
        /// The integer calendar agrees with chrono's on every field value, valid or
        /// not (chrono was the parser's calendar before).
        #[test]
        fn calendar_is_chronos(
            (y, mo, d) in (0i32..=9999, 0u32..=13, 0u32..=32),
            (h, mi, s, ms) in (0u32..=25, 0u32..=61, 0u32..=61, 0u32..=999),
            (east, oh, om) in (proptest::bool::ANY, 0i64..=23, 0i64..=59),
        ) {
            let sign = if east { '+' } else { '-' };
            let text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}{sign}{oh:02}:{om:02}");
            let offset = (oh * 3600 + om * 60) * if east { 1 } else { -1 };
            let want = NaiveDate::from_ymd_opt(y, mo, d)
                .and_then(|date| date.and_hms_milli_opt(h, mi, s, ms))
                .map(|local| local.and_utc().timestamp_millis() - offset * 1000);
            proptest::prop_assert_eq!(parse_timestamp(&text, CST), want, "{}", text);
        }
    }

    /// What chrono reads in `text` (`YYYY-MM-DDTHH:MM:SS+08:00` only).
    fn chronos(text: &str) -> Option<Millis> {
        chrono::DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.timestamp_millis())
    }

    proptest::proptest! {
        /// A remembered date is reused only for the same ten bytes: timestamps read
        /// one after another, the second's date one byte away from the first's.
        #[test]
        fn the_remembered_date_is_the_one_written(
            (y, mo, d) in (1990i32..=2030, 1u32..=12, 1u32..=31),
            (at, to) in (0usize..10, 0u8..=9),
            (h, mi, s) in (0u32..=23, 0u32..=59, 0u32..=59),
        ) {
            let first = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}+08:00");
            let mut second = first.clone().into_bytes();
            if second[at].is_ascii_digit() {
                second[at] = b'0' + to;
            }
            let second = String::from_utf8(second).unwrap();
            for text in [&first, &second, &first, &first, &second] {
                proptest::prop_assert_eq!(parse_timestamp(text, CST), chronos(text), "{}", text);
            }
        }
    }

    #[test]
    fn naive_time_uses_configured_zone() {
        let utc = TimeZone::from_offset_secs(0).unwrap();
        let a = parse_timestamp("2024-11-12 18:00:00", utc).unwrap();
        let b = parse_timestamp("2024-11-12 18:00:00", CST).unwrap();
        assert_eq!(a - b, 8 * 3600 * 1000);
    }
}
