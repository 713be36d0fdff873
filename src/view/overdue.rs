//! The overdue list (超期工单一览表) of a month.

use serde::Serialize;

use crate::engine::Shared;
use crate::event::{Millis, Month};
use crate::units::LabelId;

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

/// Overdue orders of `month`, by deadline then order id.
pub fn overdue_list(shared: &Shared, center: LabelId, month: Month) -> Vec<OverdueItem> {
    let tz = shared.config.tz;
    let fmt = |t: Millis| tz.local(t).format("%Y-%m-%d %H:%M").to_string();
    let mut items = Vec::new();
    for view in shared.views() {
        for e in view.overdue.iter() {
            if e.key().center != center || e.value().month != month {
                continue;
            }
            let row = &e.value().row;
            let mut remark: Vec<String> = row.reasons.iter().map(|r| r.to_string()).collect();
            remark.dedup();
            if row.returns > 0 {
                remark.push(format!("退回 {} 次", row.returns));
            }
            items.push(OverdueItem {
                order_id: e.key().order_id.to_string(),
                units: row
                    .units
                    .iter()
                    .map(|&u| shared.units.name(u).to_string())
                    .collect(),
                due_at: row.due_at.map(fmt),
                replied_at: row.replied_at.map(fmt),
                remark: remark.join("；"),
                purpose: row.purpose.map(|p| p.as_str().to_owned()),
                due_at_ms: row.due_at,
            });
        }
    }
    items.sort_by(|a, b| {
        a.due_at_ms
            .cmp(&b.due_at_ms)
            .then_with(|| a.order_id.cmp(&b.order_id))
    });
    items
}
