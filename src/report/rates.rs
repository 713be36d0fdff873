//! The 三率 section: the centre's satisfaction, first-time and instant resolution, and
//! the assessed units at 100% or past the configured thresholds.

use super::model::{by_volume, Rate, UnitList};
use super::text;
use crate::config::Assessment;
use crate::view::{CentreFigures, UnitFigures};

/// Which assessed units a threshold list names.
#[derive(Clone, Copy)]
enum Pick {
    /// The ratio is 100%.
    Full,
    Below(f64),
    Above(f64),
}

impl Pick {
    fn keeps(self, r: f64) -> bool {
        match self {
            Pick::Full => r >= 1.0,
            Pick::Below(t) => r < t,
            Pick::Above(t) => r > t,
        }
    }

    fn title(self, what: &str) -> String {
        match self {
            Pick::Full => format!("{what}达 100% 的单位"),
            Pick::Below(t) => format!("{what}低于 {} 的单位", text::threshold(t)),
            Pick::Above(t) => format!("{what}高于 {} 的单位", text::threshold(t)),
        }
    }
}

/// The lists of one ratio: `ratio` and `volume` read it off a unit.
fn unit_lists(
    units: &[UnitFigures],
    what: &str,
    ratio: fn(&UnitFigures) -> Option<f64>,
    volume: fn(&UnitFigures) -> i64,
    picks: &[Pick],
) -> Vec<UnitList> {
    picks
        .iter()
        .map(|&pick| {
            let mut hits: Vec<(&UnitFigures, f64)> = units
                .iter()
                .filter(|u| u.assessed)
                .filter_map(|u| ratio(u).map(|r| (u, r)))
                .filter(|&(_, r)| pick.keeps(r))
                .collect();
            // Worst first below a threshold, best first above one; then by volume.
            hits.sort_by(|(x, rx), (y, ry)| {
                let by_ratio = match pick {
                    Pick::Below(_) => rx.total_cmp(ry),
                    Pick::Full | Pick::Above(_) => ry.total_cmp(rx),
                };
                by_ratio.then_with(|| by_volume(volume(x), volume(y), &x.unit, &y.unit))
            });
            UnitList {
                title: pick.title(what),
                units: hits
                    .into_iter()
                    .map(|(u, r)| (u.unit.clone(), (!matches!(pick, Pick::Full)).then_some(r)))
                    .collect(),
            }
        })
        .collect()
}

pub(super) fn rates(s: &CentreFigures, units: &[UnitFigures], a: &Assessment) -> Vec<Rate> {
    let cb = &s.callbacks;
    vec![
        Rate {
            title: "热线办件回访满意率情况",
            summary: format!(
                "12345 热线共回访办件 {} 件，回访满意 {} 件，满意率 {}",
                cb.total,
                cb.satisfied + cb.basically_satisfied,
                text::pct(s.satisfaction_ratio)
            ),
            note: (cb.basically_satisfied > 0).then(|| {
                format!(
                    "回访满意含基本满意 {} 件（满意率中按 {} 计）。",
                    cb.basically_satisfied, a.basically_satisfied_weight
                )
            }),
            ratio: s.satisfaction_ratio,
            change: None,
            lists: unit_lists(
                units,
                "回访满意率",
                |u| u.ratios.satisfaction,
                |u| u.callbacks.total,
                &[Pick::Full, Pick::Below(a.satisfaction_below)],
            ),
        },
        Rate {
            title: "热线办件一次办结率情况",
            summary: format!(
                "12345 热线已办结工单 {} 件，一次性办结 {} 件，一次办结率 {}",
                s.completed,
                s.first_time_resolved,
                text::pct(s.first_time_resolution_ratio)
            ),
            note: None,
            ratio: s.first_time_resolution_ratio,
            change: None,
            lists: unit_lists(
                units,
                "一次办结率",
                |u| u.ratios.first_time_resolution,
                |u| u.completed,
                &[Pick::Full, Pick::Below(a.first_time_below)],
            ),
        },
        Rate {
            title: "热线咨询类办件即时办结率情况",
            summary: format!(
                "12345 热线有效咨询类办件 {} 件，前台即时办结 {} 件，即时办结率 {}",
                s.consultations,
                s.consultations_answered_directly,
                text::pct(s.instant_resolution_ratio)
            ),
            note: None,
            ratio: s.instant_resolution_ratio,
            change: None,
            lists: unit_lists(
                units,
                "即时办结率",
                |u| u.ratios.instant_resolution,
                |u| u.consultations,
                &[Pick::Above(a.instant_above), Pick::Below(a.instant_below)],
            ),
        },
    ]
}
