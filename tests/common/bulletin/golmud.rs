//! Golmud, November 2024: the figures of the seed the golden test checks, the unit
//! spellings it uses, and its stream (`golmud_stream.rs`) replayed.

use std::collections::BTreeMap;

use super::as_of;
pub use super::golmud_stream::{golmud, Golmud};
use crate::common::engine::Harness;

pub const GOLMUD_MONTH: &str = "2024-11";
/// The bulletin's 截至时间.
pub const GOLMUD_AS_OF: &str = "2024-12-12T10:00:00+08:00";

/// Section 一 of the bulletin: records by source.
pub const GOLMUD_RECORDS: i64 = 4151;
pub const GOLMUD_GOV_WEBSITE: i64 = 26;
pub const GOLMUD_PROVINCIAL: i64 = 22;
pub const GOLMUD_DIRECT: i64 = 2802;
pub const GOLMUD_DISPATCH: i64 = 1046;
pub const GOLMUD_INVALID: i64 = 255;
/// The bulletin says "较上月上升 2.52%" without October's count; 4049 is the count
/// that gives 2.52% (4151 / 4049 − 1 = 2.519…%).
pub const GOLMUD_PREVIOUS: i64 = 4049;

/// 目的分类 of the phone records (3848 = 2547 + 762 + 483 + 19 + 37), split by us between
/// direct answers and dispatched orders: (purpose, direct answers, dispatched). The
/// bulletin's 37 其他类 are 27 other and 10 praise.
pub const GOLMUD_PURPOSES: &[(&str, i64, i64)] = &[
    ("consultation", 2300, 247),
    ("help", 400, 362),
    ("complaint", 80, 403),
    ("suggestion", 10, 9),
    ("other", 7, 20),
    ("praise", 5, 5),
];
/// The purpose we give the 48 transfers, which the bulletin's 3848 leaves out (its 3896
/// valid records include them): they land in 其他类.
pub const GOLMUD_TRANSFER_PURPOSE: &str = "other";

/// 诉求分类 of the 3896 valid records (section 二（二）); 其他 is written by leaving
/// `category` out.
pub const GOLMUD_CATEGORIES: &[(&str, i64)] = &[
    ("政务咨询", 1543),
    ("公共服务", 630),
    ("社会事业", 557),
    ("城乡建设", 372),
    ("交通运输", 364),
    ("市场监管", 146),
    ("其他", 284),
];
/// Hot topics (section 三 names 薪资拖欠 304; the other two are ours).
pub const GOLMUD_TOPICS: &[(&str, i64)] = &[("薪资拖欠", 304), ("供暖", 156), ("物业服务", 98)];

/// Spellings of the Golmud bulletin that name one unit (as in deploy/config/units.toml).
pub const GOLMUD_ALIASES: &[(&str, &str)] = &[
    ("卫生健康委员会", "市卫生健康委员会"),
    ("人力资源和社会保障", "市人力资源和社会保障局"),
    ("昆仑经济技术开发区 管委会", "昆仑经济技术开发区管委会"),
];

/// The unit registry the Golmud stream is replayed with.
pub fn golmud_registry() -> String {
    let mut by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (alias, name) in GOLMUD_ALIASES {
        by.entry(name).or_default().push(alias);
    }
    by.iter()
        .map(|(name, aliases)| {
            let list: Vec<String> = aliases.iter().map(|a| format!("{a:?}")).collect();
            format!(
                "[[unit]]\nname = {name:?}\naliases = [{}]\n\n",
                list.join(", ")
            )
        })
        .collect()
}

/// The canonical name of a Golmud spelling.
pub fn golmud_canonical(name: &str) -> String {
    GOLMUD_ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, canonical)| canonical)
        .to_owned()
}

/// The units of an overdue row's 承办单位 cell (space-separated, except where a PDF line
/// break split one name: those are registry aliases).
pub fn overdue_units(cell: &str) -> Vec<String> {
    if GOLMUD_ALIASES.iter().any(|(alias, _)| *alias == cell) {
        return vec![golmud_canonical(cell)];
    }
    cell.split_whitespace().map(golmud_canonical).collect()
}

/// The Golmud stream replayed with the unit registry, as of the bulletin's 截至时间.
pub fn golmud_harness() -> (Harness, Golmud) {
    let g = golmud();
    let mut h = Harness::with_registry(&golmud_registry());
    h.apply_as_of(&g.lines, as_of(GOLMUD_AS_OF));
    (h, g)
}

/// The Golmud stream and its unit registry written to `dir` (for the CLI): the paths of
/// the events file and of the registry.
pub fn golmud_files(g: &Golmud, dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let events = dir.join("golmud.jsonl");
    let registry = dir.join("units.toml");
    std::fs::write(&events, g.lines.join("\n") + "\n").expect("write the events");
    std::fs::write(&registry, golmud_registry()).expect("write the registry");
    (events, registry)
}
