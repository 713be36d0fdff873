//! The weekly report (周通报) of orders still open past their deadline: the Haikou
//! bulletin announces one ("市热线办将进行周通报") for the long-overdue orders of each
//! unit. It is read off the overdue lists of the retained months.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};

use super::model::centre_name;
use super::text;
use crate::config::EngineConfig;
use crate::event::{Millis, TimeZone};
use crate::view::Aggregate;

const DAY_MS: i64 = 86_400_000;

/// An ISO 8601 week, `YYYY-Www` (Monday to Sunday).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Week {
    year: i32,
    week: u32,
}

impl Week {
    /// Its Monday.
    pub fn monday(self) -> NaiveDate {
        // Checked when the week was parsed.
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon).unwrap_or_default()
    }

    /// Its first instant, and the first instant of the next week, in `tz`: local
    /// midnights, each at the offset of its own day (a week with a DST change is an
    /// hour shorter or longer than seven days).
    pub fn bounds(self, tz: TimeZone) -> (Millis, Millis) {
        let at = |d: NaiveDate| tz.instant_of_local(&d.and_time(NaiveTime::MIN));
        let monday = self.monday();
        (at(monday), at(monday + Duration::days(7)))
    }

    pub fn number(self) -> u32 {
        self.week
    }

    pub fn year(self) -> i32 {
        self.year
    }
}

impl fmt::Display for Week {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

impl FromStr for Week {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("invalid week {s:?}: expected YYYY-Www (ISO week, e.g. 2024-W47)");
        let (y, w) = s.split_once("-W").ok_or_else(bad)?;
        if y.len() != 4 || w.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let week: u32 = w.parse().map_err(|_| bad())?;
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(bad)?;
        Ok(Week { year, week })
    }
}

/// An order still open past its deadline at the end of the week.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekOrder {
    pub order_id: String,
    /// The unit it was last sent to (承办单位).
    pub unit: String,
    /// Every unit it passed through.
    pub units: Vec<String>,
    pub due: Millis,
    /// The deadline as the report prints it.
    pub due_date: String,
    /// Days past the deadline at the end of the week; a started day counts.
    pub days: i64,
}

/// One unit's long-overdue orders.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekUnit {
    pub unit: String,
    pub orders: i64,
    pub longest_days: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WeekReport {
    pub title: String,
    pub week: Week,
    /// "2024 年 11 月 18 日" and "2024 年 11 月 24 日".
    pub from: String,
    pub to: String,
    /// The time the orders are judged at: the week's end, or the as-of time if earlier.
    pub cutoff: Millis,
    /// The cutoff as the report prints it.
    pub as_of: String,
    /// Longest overdue first, then by order id.
    pub orders: Vec<WeekOrder>,
    /// Most orders first, then by name.
    pub units: Vec<WeekUnit>,
}

/// The weekly report of `week`, or `None` if the week has not started at `as_of`.
///
/// An order is listed when its missed deadline (应回复时间) fell before the end of the
/// week and it was not answered (实际回复) by then, among the overdue orders of every
/// retained month of the centre.
pub fn build(
    agg: &Aggregate,
    config: &EngineConfig,
    center: &str,
    week: Week,
    as_of: Millis,
) -> Option<WeekReport> {
    let tz = config.tz;
    let (start, end) = week.bounds(tz);
    if start > as_of {
        return None;
    }
    let cutoff = end.min(as_of);
    let name = center.to_owned();
    let mut orders = vec![];
    for ((_, _), sum) in agg.months.iter().filter(|((c, _), _)| *c == name) {
        for row in &sum.overdue {
            let Some(due) = row.due_at.filter(|&d| d < cutoff) else {
                continue;
            };
            if row.replied_at.is_some_and(|r| r <= cutoff) {
                continue;
            }
            orders.push(WeekOrder {
                order_id: row.order_id.clone(),
                unit: row.units.last().cloned().unwrap_or_default(),
                units: row.units.clone(),
                due,
                due_date: text::date(tz.local(due)),
                days: (cutoff - due + DAY_MS - 1) / DAY_MS,
            });
        }
    }
    orders.sort_by(|a, b| {
        b.days
            .cmp(&a.days)
            .then_with(|| a.order_id.cmp(&b.order_id))
    });
    let mut units: Vec<WeekUnit> = vec![];
    for o in &orders {
        match units.iter_mut().find(|u| u.unit == o.unit) {
            Some(u) => {
                u.orders += 1;
                u.longest_days = u.longest_days.max(o.days);
            }
            None => units.push(WeekUnit {
                unit: o.unit.clone(),
                orders: 1,
                longest_days: o.days,
            }),
        }
    }
    units.sort_by(|a, b| b.orders.cmp(&a.orders).then_with(|| a.unit.cmp(&b.unit)));
    let monday = week.monday();
    Some(WeekReport {
        title: format!(
            "{} 政务服务便民热线逾期未办结工单周通报（{} 年第 {} 周）",
            centre_name(&name),
            week.year,
            week.week
        ),
        week,
        from: format!(
            "{} 年 {} 月 {} 日",
            monday.year(),
            monday.month(),
            monday.day()
        ),
        to: {
            let sunday = monday + Duration::days(6);
            format!(
                "{} 年 {} 月 {} 日",
                sunday.year(),
                sunday.month(),
                sunday.day()
            )
        },
        cutoff,
        as_of: text::hour(tz.local(cutoff)),
        orders,
        units,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_are_iso_weeks() {
        let w: Week = "2024-W47".parse().unwrap();
        assert_eq!(w.to_string(), "2024-W47");
        assert_eq!(w.monday(), NaiveDate::from_ymd_opt(2024, 11, 18).unwrap());
        let (start, end) = w.bounds(TimeZone::CHINA);
        // 2024-11-18T00:00:00+08:00
        assert_eq!(start, 1_731_859_200_000);
        assert_eq!(end - start, 7 * DAY_MS);
        // 2020 has a week 53, 2021 does not.
        assert!("2020-W53".parse::<Week>().is_ok());
        for bad in [
            "2021-W53", "2024-W00", "2024-47", "2024W47", "24-W47", "2024-W4", "x",
        ] {
            let e = bad.parse::<Week>().unwrap_err();
            assert!(e.contains("YYYY-Www"), "{bad}: {e}");
        }
    }

    #[test]
    fn bounds_are_local_midnights_across_daylight_saving_changes() {
        let berlin: TimeZone = "Europe/Berlin".parse().unwrap();
        let utc = |s: &str| crate::event::parse_timestamp(s, TimeZone::CHINA).unwrap();
        let hour = 3_600_000;
        // 2024-W13 ends on Sunday 31 March, when Berlin springs forward: it starts at
        // +01:00 and its next Monday at +02:00.
        let (start, end) = "2024-W13".parse::<Week>().unwrap().bounds(berlin);
        assert_eq!(start, utc("2024-03-24T23:00:00Z"));
        assert_eq!(end, utc("2024-03-31T22:00:00Z"));
        assert_eq!(end - start, 7 * DAY_MS - hour);
        assert_eq!(berlin.local(start).to_string(), "2024-03-25 00:00:00");
        assert_eq!(berlin.local(end).to_string(), "2024-04-01 00:00:00");
        // 2024-W43 ends on Sunday 27 October, when it falls back.
        let (start, end) = "2024-W43".parse::<Week>().unwrap().bounds(berlin);
        assert_eq!(start, utc("2024-10-20T22:00:00Z"));
        assert_eq!(end, utc("2024-10-27T23:00:00Z"));
        assert_eq!(end - start, 7 * DAY_MS + hour);
        // A fixed zone has no such weeks: the same bounds as ever.
        for w in ["2024-W13", "2024-W43", "2024-W47"] {
            let (start, end) = w.parse::<Week>().unwrap().bounds(TimeZone::CHINA);
            assert_eq!(end - start, 7 * DAY_MS, "{w}");
            assert_eq!(TimeZone::CHINA.local(start).time(), NaiveTime::MIN, "{w}");
        }
        let (start, _) = "2024-W13".parse::<Week>().unwrap().bounds(TimeZone::CHINA);
        assert_eq!(start, utc("2024-03-24T16:00:00Z"));
    }
}
