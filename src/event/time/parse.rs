//! The contract's timestamps: RFC 3339 with an offset, or naive local time read in the
//! configured zone.

use chrono::NaiveDate;

use super::{days_from_civil, days_in_month, TimeZone};
use crate::event::Millis;

/// Parses `YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|±HH:MM]`; a naive time is read in `tz`.
/// Returns `None` for anything else, including impossible dates (Feb 30).
pub fn parse_timestamp(s: &str, tz: TimeZone) -> Option<Millis> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = two_digits(b, 0)? * 100 + two_digits(b, 2)?;
    let (month, day) = (two_digits(b, 5)?, two_digits(b, 8)?);
    let (hour, min, sec) = (two_digits(b, 11)?, two_digits(b, 14)?, two_digits(b, 17)?);
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
    // The four-digit year is in range; the rest is checked as chrono would (no leap
    // seconds: the contract has none).
    let year = year as i32;
    if !(1..=12).contains(&month)
        || day == 0
        || i64::from(day) > days_in_month(year, month)
        || hour > 23
        || min > 59
        || sec > 59
    {
        return None;
    }
    let offset_secs: i64 = match &b[i..] {
        [] => {
            let local = NaiveDate::from_ymd_opt(year, month, day)?
                .and_hms_milli_opt(hour, min, sec, millis)?;
            return Some(tz.instant_of_local(&local));
        }
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let h = i64::from(two_digits(b, i + 1)?);
            let m = i64::from(two_digits(b, i + 4)?);
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
    let secs = days_from_civil(year, month, day) * 86_400 + i64::from(hour * 3600 + min * 60 + sec)
        - offset_secs;
    Some(secs * 1000 + i64::from(millis))
}

/// The two-digit number at `b[i..i + 2]`.
fn two_digits(b: &[u8], i: usize) -> Option<u32> {
    let tens = b.get(i)?.wrapping_sub(b'0');
    let units = b.get(i + 1)?.wrapping_sub(b'0');
    (tens < 10 && units < 10).then(|| u32::from(tens) * 10 + u32::from(units))
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

    #[test]
    fn naive_time_uses_configured_zone() {
        let utc = TimeZone::from_offset_secs(0).unwrap();
        let a = parse_timestamp("2024-11-12 18:00:00", utc).unwrap();
        let b = parse_timestamp("2024-11-12 18:00:00", CST).unwrap();
        assert_eq!(a - b, 8 * 3600 * 1000);
    }
}
