//! Writing contract-v1 event lines with fresh event ids.

use chrono::{NaiveDate, NaiveDateTime};

use crate::common::engine::ev;

pub fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(h, min, 0))
        .unwrap_or_else(|| panic!("bad date {y}-{m}-{d} {h}:{min}"))
}

/// Event lines with fresh event ids, handed to a sink (a Vec, or a chunked apply).
pub struct Gen<'a> {
    pub n: u64,
    pub sink: &'a mut dyn FnMut(String),
}

impl Gen<'_> {
    pub fn ev(&mut self, order: &str, kind: &str, t: NaiveDateTime, fields: &str) {
        self.n += 1;
        let line = ev(
            &format!("e{}", self.n),
            order,
            kind,
            &t.format("%Y-%m-%d %H:%M:%S").to_string(),
            fields,
        );
        (self.sink)(line);
    }

    pub fn dispatched(&mut self, order: &str, t: NaiveDateTime, unit: &str, due: NaiveDateTime) {
        let due = due.format("%Y-%m-%d %H:%M:%S");
        self.ev(
            order,
            "dispatched",
            t,
            &format!(r#""unit":"{unit}","due_at":"{due}""#),
        );
    }

    pub fn unit_event(&mut self, order: &str, kind: &str, t: NaiveDateTime, unit: &str) {
        self.ev(order, kind, t, &format!(r#""unit":"{unit}""#));
    }

    /// A valid callback; `resolved` is left out when `None` (the citizen was not asked).
    pub fn callback(
        &mut self,
        order: &str,
        t: NaiveDateTime,
        rating: &str,
        unit: Option<&str>,
        resolved: Option<bool>,
    ) {
        let mut f = format!(r#""satisfaction":"{rating}""#);
        if let Some(r) = resolved {
            f.push_str(&format!(r#","resolved":{r}"#));
        }
        if let Some(u) = unit {
            f.push_str(&format!(r#","unit":"{u}""#));
        }
        self.ev(order, "callback", t, &f);
    }
}

pub fn received_fields(channel: &str, purpose: &str, disposition: &str, extra: &str) -> String {
    format!(r#""channel":"{channel}","purpose":"{purpose}","disposition":"{disposition}"{extra}"#)
}

/// Cycles through `(label, count)` by index: index `i` gets the label whose cumulative
/// range holds it.
pub fn nth_label<'a>(table: &[(&'a str, i64)], i: i64) -> Option<&'a str> {
    let mut start = 0;
    for &(label, n) in table {
        if i < start + n {
            return Some(label);
        }
        start += n;
    }
    None
}
