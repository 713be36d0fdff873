//! The ranked tables: 办结率 and 满意度 by volume (sections 四 and 五), and the two
//! appendices, 绩效考核得分明细表 (by score) and 满意率情况表 (by satisfaction).

use super::{by_volume, Row, Table};
use crate::units::OTHER_UNITS;
use crate::view::{ratio, Ratios, UnitFigures};

/// A row of 附件 1: an assessed unit's score and the ratios it is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub rank: usize,
    pub unit: String,
    pub assigned: i64,
    pub ratios: Ratios,
    pub score: f64,
}

/// A row of 附件 2; `rank` is `None` for units that are not assessed.
#[derive(Debug, Clone, PartialEq)]
pub struct SatisfactionRow {
    pub rank: Option<usize>,
    pub unit: String,
    pub total: i64,
    pub satisfied: i64,
    pub basically_satisfied: i64,
    pub unsatisfied: i64,
    pub ratio: Option<f64>,
}

/// Assessed units ranked by volume, then the others, unranked, in the same order.
/// 其他单位 (the overflow of the unit-label cap, and the bulletins' name for the small
/// fry) is a sum of many units, so it closes its group as in the Golmud table.
fn ranked(mut rows: Vec<(bool, Row)>) -> Vec<Row> {
    rows.sort_by(|(ax, x), (ay, y)| {
        ay.cmp(ax)
            .then_with(|| (x.unit == OTHER_UNITS).cmp(&(y.unit == OTHER_UNITS)))
            .then_with(|| by_volume(x.a, y.a, &x.unit, &y.unit))
    });
    let mut rank = 0;
    rows.into_iter()
        .map(|(assessed, mut row)| {
            if assessed {
                rank += 1;
                row.rank = Some(rank);
            }
            row
        })
        .collect()
}

pub(super) fn completion_table(units: &[UnitFigures]) -> Table {
    let rows = ranked(
        units
            .iter()
            .filter(|u| u.assigned > 0 || u.completed > 0)
            .map(|u| {
                let row = Row {
                    rank: None,
                    unit: u.unit.clone(),
                    a: u.assigned,
                    b: u.completed,
                    ratio: u.ratios.completion,
                };
                (u.assessed, row)
            })
            .collect(),
    );
    let total_a = rows.iter().map(|r| r.a).sum();
    let total_b = rows.iter().map(|r| r.b).sum();
    Table {
        rows,
        total_a,
        total_b,
        total_ratio: ratio(total_b as f64, total_a),
    }
}

/// 满意工单数量 counts 满意 and 基本满意 (as the bulletins do); the weight of 基本满意
/// applies to the ratio only.
pub(super) fn satisfaction_table(units: &[UnitFigures], w: f64) -> Table {
    let rated: Vec<&UnitFigures> = units.iter().filter(|u| u.callbacks.total > 0).collect();
    let rows = ranked(
        rated
            .iter()
            .map(|u| {
                let row = Row {
                    rank: None,
                    unit: u.unit.clone(),
                    a: u.callbacks.total,
                    b: u.callbacks.satisfied + u.callbacks.basically_satisfied,
                    ratio: u.ratios.satisfaction,
                };
                (u.assessed, row)
            })
            .collect(),
    );
    let total_a = rated.iter().map(|u| u.callbacks.total).sum();
    let satisfied: i64 = rated.iter().map(|u| u.callbacks.satisfied).sum();
    let basic: i64 = rated.iter().map(|u| u.callbacks.basically_satisfied).sum();
    Table {
        rows,
        total_a,
        total_b: satisfied + basic,
        total_ratio: ratio(satisfied as f64 + w * basic as f64, total_a),
    }
}

/// Assessed units by score (best first), then by name.
pub(super) fn scores(units: &[UnitFigures]) -> Vec<Scored> {
    let mut v: Vec<(&UnitFigures, f64)> = units
        .iter()
        .filter(|u| u.assessed)
        .filter_map(|u| u.score.map(|s| (u, s)))
        .collect();
    v.sort_by(|(x, sx), (y, sy)| sy.total_cmp(sx).then_with(|| x.unit.cmp(&y.unit)));
    v.into_iter()
        .enumerate()
        .map(|(i, (u, score))| Scored {
            rank: i + 1,
            unit: u.unit.clone(),
            assigned: u.assigned,
            ratios: u.ratios.clone(),
            score,
        })
        .collect()
}

/// Units with callbacks: assessed ones ranked by satisfaction (best first, then by
/// callbacks, then by name), then the others, unranked, in the same order.
pub(super) fn satisfaction_detail(units: &[UnitFigures], w: f64) -> Vec<SatisfactionRow> {
    let mut rated: Vec<&UnitFigures> = units.iter().filter(|u| u.callbacks.total > 0).collect();
    rated.sort_by(|x, y| {
        y.assessed
            .cmp(&x.assessed)
            .then_with(|| {
                let r = |u: &UnitFigures| u.callbacks.satisfaction_ratio(w).unwrap_or(0.0);
                r(y).total_cmp(&r(x))
            })
            .then_with(|| by_volume(x.callbacks.total, y.callbacks.total, &x.unit, &y.unit))
    });
    let mut rank = 0;
    rated
        .into_iter()
        .map(|u| {
            let c = &u.callbacks;
            SatisfactionRow {
                rank: u.assessed.then(|| {
                    rank += 1;
                    rank
                }),
                unit: u.unit.clone(),
                total: c.total,
                satisfied: c.satisfied,
                basically_satisfied: c.basically_satisfied,
                unsatisfied: c.unsatisfied,
                ratio: c.satisfaction_ratio(w),
            }
        })
        .collect()
}
