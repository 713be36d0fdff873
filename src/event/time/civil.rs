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

/// The date of a day number: (year, month, day). C. Neri and L. Schneider's algorithm
/// ("Euclidean affine functions and their application to calendar algorithms", 2022):
/// multiplications and shifts where H. Hinnant's divides five times, for the engine's
/// date of every order it folds. Days outside its range (years -32,800 to about
/// 2.9 million) take Hinnant's.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    // Days counted from a March 1st 82 eras (400 years each) before 0000-03-01, so
    // that every day from year -32,800 on is a non-negative u32.
    const ERAS: u32 = 82;
    const K: i64 = 719_468 + 146_097 * ERAS as i64;
    let Some(n) = u32::try_from(z + K)
        .ok()
        .filter(|&n| n <= (u32::MAX - 3) / 4)
    else {
        return civil_from_days_hinnant(z);
    };
    // The century, and the day within it.
    let n1 = 4 * n + 3;
    let (century, of_century) = (n1 / 146_097, n1 % 146_097 / 4);
    // The year within the century, and the day within the year (from March 1st).
    let p2 = 2_939_745 * u64::from(4 * of_century + 3);
    let (of_century_year, of_year) = ((p2 >> 32) as u32, (p2 as u32) / 2_939_745 / 4);
    // The month (March = 3 .. February = 14) and the day.
    let n3 = 2_141 * of_year + 197_913;
    let (m, d) = (n3 >> 16, (n3 & 0xffff) / 2_141 + 1);
    let january_or_february = of_year >= 306;
    let year = i64::from(100 * century + of_century_year) - i64::from(400 * ERAS)
        + i64::from(january_or_february);
    (year, if january_or_february { m - 12 } else { m }, d)
}

/// [`civil_from_days`] by H. Hinnant's algorithm, for any day.
fn civil_from_days_hinnant(z: i64) -> (i64, u32, u32) {
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
    fn both_date_algorithms_agree() {
        const K: i64 = 719_468 + 146_097 * 82;
        let last = i64::from((u32::MAX - 3) / 4) - K;
        let edges = [-K - 3000..-K + 3000, last - 3000..last + 3000];
        let near = -800_000..800_000;
        let spread = (i64::from(i32::MIN)..i64::from(i32::MAX)).step_by(9_973);
        for z in edges.into_iter().flatten().chain(near).chain(spread) {
            assert_eq!(civil_from_days(z), civil_from_days_hinnant(z), "day {z}");
        }
        for z in [i64::MIN / 2, -K - 1, last + 1, i64::MAX / 2] {
            assert_eq!(civil_from_days(z), civil_from_days_hinnant(z), "day {z}");
        }
        for (y, m, d) in [
            (1970, 1, 1),
            (2000, 2, 29),
            (2023, 1, 31),
            (-1, 12, 31),
            (2400, 3, 1),
        ] {
            assert_eq!(
                civil_from_days(days_from_civil(y, m, d)),
                (i64::from(y), m, d)
            );
        }
    }

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
