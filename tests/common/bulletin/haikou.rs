//! Haikou, January 2023: the centre figures, unit lists and analysis the golden test
//! checks, the units that give them, and the stream (`haikou_stream.rs`) replayed.

use super::as_of;
use super::haikou_stream::haikou_stream;
use crate::common::engine::Harness;
use crate::common::seeds;

pub const HAIKOU_MONTH: &str = "2023-01";
/// Any time after the month: the bulletin covers the whole of January.
pub const HAIKOU_AS_OF: &str = "2023-02-10T10:00:00+08:00";

/// The centre figures of the Haikou bulletin.
pub struct HaikouFigures {
    pub records: i64,
    pub daily_average: i64,
    pub callbacks: i64,
    pub satisfied: i64,
    pub satisfaction: &'static str,
    pub first_time: i64,
    pub first_time_ratio: &'static str,
    /// Not printed: 82426 / 86.71% (the only count that gives both).
    pub completed: i64,
    pub direct: i64,
    pub instant: &'static str,
    pub consultations: i64,
    pub consultations_overdue: i64,
    pub consultations_overdue_ratio: &'static str,
    pub complaints: i64,
    pub complaints_overdue: i64,
    pub complaints_overdue_ratio: &'static str,
    pub units: usize,
    pub not_assessed: usize,
}

pub const HAIKOU: HaikouFigures = HaikouFigures {
    records: 228_673,
    daily_average: 7377,
    callbacks: 101_592,
    satisfied: 99_809,
    satisfaction: "98.24%",
    first_time: 82_426,
    first_time_ratio: "86.71%",
    completed: 95_060,
    direct: 110_698,
    instant: "81.47%",
    consultations: 135_879,
    consultations_overdue: 545,
    consultations_overdue_ratio: "0.40%",
    complaints: 47_676,
    complaints_overdue: 657,
    complaints_overdue_ratio: "1.38%",
    units: 87,
    not_assessed: 25,
};

/// Section 二 of the bulletin (数据分析), as the golden test checks it.
pub struct HaikouAnalysis {
    /// 回访不满意办件 (101592 − 99809) and those the citizen called unresolved.
    pub unsatisfied: i64,
    pub unsatisfied_unresolved: i64,
    pub unsatisfied_share: &'static str,
    /// (problem, count, handling units as the bulletin names them).
    pub unsatisfied_problems: [(&'static str, i64, &'static str); 2],
    /// 未一次办结办件: 8281 / 65.43% (see docs/report.md for the definition).
    pub not_first_time: i64,
    pub not_first_time_unresolved: i64,
    pub not_first_time_share: &'static str,
    pub not_first_time_problems: [(&'static str, i64); 2],
    /// The main problems of the consultations not answered at the desk.
    pub not_answered_problems: [&'static str; 3],
}

pub const HAIKOU_ANALYSIS: HaikouAnalysis = HaikouAnalysis {
    unsatisfied: 1783,
    unsatisfied_unresolved: 703,
    unsatisfied_share: "39.43%",
    unsatisfied_problems: [
        ("社会治安与综合治理", 928, "市公安局"),
        (
            "噪音扰民",
            105,
            "海口市综合行政执法局琼山分局、海口市综合行政执法局美兰分局、市公安局等",
        ),
    ],
    not_first_time: 12_656,
    not_first_time_unresolved: 8281,
    not_first_time_share: "65.43%",
    not_first_time_problems: [("物业服务", 993), ("噪音扰民", 812)],
    not_answered_problems: ["社保业务", "户口身份登记", "医疗医保"],
};

/// The two units the bulletin names beside 市公安局 for 噪音扰民 (fillers of ours
/// otherwise: it names neither in its lists).
pub const HAIKOU_NOISE_UNITS: [&str; 2] = [
    "海口市综合行政执法局琼山分局",
    "海口市综合行政执法局美兰分局",
];

/// 逾期件专项清理: the five units the bulletin names for the most overdue orders, in its
/// order, with the overdue consultations and complaints we give them; the rest of the
/// 545 and 657 go to the next unit (so that there are more than five: "…等5家").
pub const HAIKOU_OVERDUE_UNITS: [(&str, i64, i64); 5] = [
    ("海口市住房和城乡建设局", 130, 150),
    ("海口市卫生健康委员会", 120, 130),
    ("海口市科学技术工业信息化局", 110, 110),
    ("海南港航控股有限公司", 95, 100),
    ("海口桂林洋经济开发区管理委员会", 80, 90),
];

/// The unit lists of the Haikou bulletin's section (二).
#[derive(Debug, Clone, Default)]
pub struct HaikouLists {
    pub satisfaction_full: Vec<String>,
    pub satisfaction_below: Vec<String>,
    pub first_time_full: Vec<String>,
    pub first_time_below: Vec<String>,
    pub instant_above: Vec<String>,
    pub instant_below: Vec<String>,
}

/// Items of the lists under every heading that contains `title` ("1. 名称" or
/// "- 1、名称"), up to the next heading.
fn seed_list(text: &str, title: &str) -> Vec<String> {
    let mut out = vec![];
    let mut active = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') {
            active = line.contains(title);
            continue;
        }
        if !active {
            continue;
        }
        let item = line.trim_start_matches("- ");
        let Some(pos) = item.find(['.', '、']) else {
            continue;
        };
        if item[..pos].chars().all(|c| c.is_ascii_digit()) && pos > 0 {
            let sep = item[pos..].chars().next().map_or(1, char::len_utf8);
            out.push(item[pos + sep..].trim().to_owned());
        }
    }
    out
}

pub fn haikou_lists() -> HaikouLists {
    let text = seeds::read(seeds::HAIKOU);
    HaikouLists {
        satisfaction_full: seed_list(&text, "回访满意率达 100%"),
        satisfaction_below: seed_list(&text, "回访满意率低于 95%"),
        first_time_full: seed_list(&text, "一次办结率达 100%"),
        first_time_below: seed_list(&text, "一次办结率低于 70%"),
        instant_above: seed_list(&text, "即时办结率高于 90%"),
        instant_below: seed_list(&text, "即时办结率低于 40%"),
    }
}

/// The assessed units: every unit the lists name, then fillers (the bulletin names 43 of
/// its 62 assessed units); and the 25 units under 10 orders with their counts.
pub fn haikou_units(lists: &HaikouLists) -> (Vec<String>, Vec<(String, i64)>) {
    let mut assessed: Vec<String> = vec![];
    for l in [
        &lists.satisfaction_full,
        &lists.satisfaction_below,
        &lists.first_time_full,
        &lists.first_time_below,
        &lists.instant_above,
        &lists.instant_below,
    ] {
        for u in l {
            if !assessed.contains(u) {
                assessed.push(u.clone());
            }
        }
    }
    let want = HAIKOU.units - HAIKOU.not_assessed;
    assert!(assessed.len() <= want, "{} named units", assessed.len());
    // The units the analysis and the overdue clearance name, then numbered ones.
    let named = HAIKOU_NOISE_UNITS
        .iter()
        .chain(HAIKOU_OVERDUE_UNITS.iter().map(|u| &u.0))
        .filter(|u| !assessed.iter().any(|a| a == *u))
        .map(|u| u.to_string())
        .collect::<Vec<_>>();
    let mut fillers = named.into_iter();
    for i in assessed.len()..want {
        assessed.push(
            fillers
                .next()
                .unwrap_or_else(|| format!("成员单位{:02}", i + 1)),
        );
    }
    let small = (0..HAIKOU.not_assessed)
        .map(|i| (format!("联系单位{:02}", i + 1), (i % 9) as i64 + 1))
        .collect();
    (assessed, small)
}

/// The Haikou stream replayed (in chunks, to bound memory) as of after the month.
pub fn haikou_harness(lists: &HaikouLists) -> Harness {
    let mut h = Harness::new();
    let as_of = as_of(HAIKOU_AS_OF);
    let mut chunk: Vec<String> = Vec::with_capacity(100_000);
    let flush = |h: &mut Harness, chunk: &mut Vec<String>| {
        h.apply_as_of(chunk, as_of);
        chunk.clear();
    };
    {
        let mut sink = |line: String| {
            chunk.push(line);
            if chunk.len() == 100_000 {
                flush(&mut h, &mut chunk);
            }
        };
        haikou_stream(lists, &mut sink);
    }
    flush(&mut h, &mut chunk);
    h
}
