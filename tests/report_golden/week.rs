//! The weekly report (周通报) against the Golmud overdue list.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use hotline_pulse::report::{self, Format, Week};

use crate::bulletin::*;

/// Local time of a seed date at `hour` (the Golmud stream's deadlines are at 18:00, its
/// replies at 10:00).
fn seed_time((y, m, d): (i32, u32, u32), hour: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(hour, 0, 0))
        .expect("seed date")
}

#[test]
fn the_weekly_report_lists_the_golmud_orders_still_open_past_their_deadline() {
    let (h, g) = golmud_harness();
    let week: Week = "2024-W47".parse().expect("week");
    // The end of the week: Monday 25 November, 0:00.
    let cutoff = seed_time((2024, 11, 25), 0);
    let mut want: Vec<(String, String, String)> = g
        .overdue
        .iter()
        .filter(|o| seed_time(o.due, 18) < cutoff && seed_time(o.replied, 10) > cutoff)
        .map(|o| {
            let late = cutoff - seed_time(o.due, 18);
            let days = (late.num_minutes() + 24 * 60 - 1) / (24 * 60);
            let units = overdue_units(&o.units).join(" ");
            (o.order_id.clone(), units, days.to_string())
        })
        .collect();
    want.sort();
    assert!(
        want.len() >= 3,
        "the seed has orders open over that weekend: {want:?}"
    );

    let r = build_week(&h, &week.to_string()).expect("a past week");
    let md = report::render_week(&r, Format::Markdown);
    assert!(
        md.contains("逾期未办结工单周通报（2024 年第 47 周）"),
        "{md}"
    );
    assert!(md.contains("统计时段：2024 年 11 月 18 日 至 2024 年 11 月 24 日"));
    assert!(md.contains("截至时间：2024 年 11 月 25 日 0 时"));
    let rows = md_table(section(&md, "二、逾期未办结工单明细"));
    let mut got: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r[1].clone(), r[2].clone(), r[4].clone()))
        .collect();
    let days: Vec<i64> = got.iter().map(|r| r.2.parse().unwrap()).collect();
    assert!(
        days.windows(2).all(|w| w[0] >= w[1]),
        "longest first: {days:?}"
    );
    got.sort();
    assert_eq!(got, want);
    assert!(md.contains(&format!("共有 {} 件工单超过办理期限仍未办结", want.len())));

    // By unit: the unit each order was last sent to; the total counts every order.
    let by_unit = md_table(section(&md, "一、各单位逾期未办结工单"));
    let (total, units) = by_unit.split_last().expect("rows and 合计");
    assert_eq!(total[1..3], ["合计".to_owned(), want.len().to_string()]);
    let mut holders: BTreeMap<String, i64> = BTreeMap::new();
    for (_, units, _) in &want {
        let last = units.rsplit(' ').next().expect("a unit").to_owned();
        *holders.entry(last).or_default() += 1;
    }
    let got: BTreeMap<String, i64> = units
        .iter()
        .map(|r| (r[1].clone(), r[2].parse().unwrap()))
        .collect();
    assert_eq!(got, holders);

    // The week of the as-of time is cut at the as-of time; later weeks have no report.
    let now = build_week(&h, "2024-W50").expect("the current week");
    assert_eq!(now.as_of, "2024 年 12 月 12 日 10 时");
    assert!(build_week(&h, "2024-W51").is_none());
}
