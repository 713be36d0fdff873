//! The contract's timestamps: RFC 3339 with an offset, or naive local time read in the
//! configured zone.

use chrono::NaiveDate;

use super::TimeZone;
use crate::event::Millis;

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
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    let local = date.and_hms_milli_opt(hour, min, sec, millis)?;
    let offset_secs: i64 = match &b[i..] {
        [] => return Some(tz.instant_of_local(&local)),
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
}
