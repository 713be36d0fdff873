//! Calendar dates and day numbers (days since 1970-01-01, proleptic Gregorian), in
//! plain integer arithmetic: H. Hinnant's algorithms. The engine's hot path (cohort
//! months, days of month) and the simulator's calendar share them.

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days in a month (1..=12) of a proleptic Gregorian year.
pub(crate) fn days_in_month(y: i32, m: u32) -> i64 {
    const DAYS: [u8; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    i64::from(DAYS[m as usize - 1]) + i64::from(m == 2 && leap)
}

/// The date of a day number: (year, month, day).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_lengths_are_the_day_numbers_between_firsts() {
        for y in -1000..3000 {
            for m in 1..=12 {
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                let want = days_from_civil(ny, nm, 1) - days_from_civil(y, m, 1);
                assert_eq!(days_in_month(y, m), want, "{y}-{m}");
            }
        }
    }
}
