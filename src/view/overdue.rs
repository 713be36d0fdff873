//! The overdue list (超期工单一览表) of a month.

use serde::Serialize;

use super::aggregate::MonthSum;
use crate::event::{Millis, TimeZone};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OverdueItem {
    pub order_id: String,
    /// Every unit the order passed through (承办单位).
    pub units: Vec<String>,
    /// The deadline that was missed (应回复时间), local time `YYYY-MM-DD HH:MM`.
    pub due_at: Option<String>,
    /// When the order was answered (实际回复日期), if it was.
    pub replied_at: Option<String>,
    /// Return reasons and "退回 N 次" (备注).
    pub remark: String,
    pub purpose: Option<String>,
    #[serde(skip)]
    pub due_at_ms: Option<Millis>,
}

/// The overdue list of a summed month, by deadline then order id.
pub fn overdue_list(sum: &MonthSum, tz: TimeZone) -> Vec<OverdueItem> {
    let fmt = |t: Millis| tz.local(t).format("%Y-%m-%d %H:%M").to_string();
    sum.overdue
        .iter()
        .map(|row| {
            let mut remark: Vec<String> = row.reasons.clone();
            remark.dedup();
            if row.returns > 0 {
                remark.push(format!("退回 {} 次", row.returns));
            }
            OverdueItem {
                order_id: row.order_id.clone(),
                units: row.units.clone(),
                due_at: row.due_at.map(fmt),
                replied_at: row.replied_at.map(fmt),
                remark: remark.join("；"),
                purpose: row.purpose.map(|p| p.as_str().to_owned()),
                due_at_ms: row.due_at,
            }
        })
        .collect()
}
