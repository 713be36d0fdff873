//! Haikou, January 2023: the centre figures, the six unit lists, section 二 (数据分析)
//! sentence by sentence, and the overdue clearance.

use crate::bulletin::*;
use crate::common::seeds;
use crate::pct;
use hotline_pulse::report::Format;

#[test]
fn haikou_bulletin_reproduces_the_centre_figures_unit_lists_and_analysis() {
    let lists = haikou_lists();
    // The parser read the bulletin's lists (32 units at 100% under two headings).
    assert_eq!(
        [
            lists.satisfaction_full.len(),
            lists.satisfaction_below.len(),
            lists.first_time_full.len(),
            lists.first_time_below.len(),
            lists.instant_above.len(),
            lists.instant_below.len()
        ],
        [32, 3, 3, 5, 5, 5]
    );
    let seed = seeds::read(seeds::HAIKOU);
    let f = &HAIKOU;
    for figure in [
        format!("**{}**", f.callbacks),
        format!("**{}**", f.satisfied),
        format!("**{}**", f.satisfaction),
        format!("**{}**", f.first_time),
        format!("**{}**", f.first_time_ratio),
        format!("**{}**", f.direct),
        format!("**{}**", f.instant),
        format!(
            "共受理热线办件 {} 件，日均受理 {} 件",
            f.records, f.daily_average
        ),
        format!(
            "咨询类办件总量 {} 件，逾期 {} 件，占 {}",
            f.consultations, f.consultations_overdue, f.consultations_overdue_ratio
        ),
        format!(
            "投诉类办件总量 {} 件，逾期 {} 件，占 {}",
            f.complaints, f.complaints_overdue, f.complaints_overdue_ratio
        ),
        format!("成员单位 {} 家，其中有 {} 家", f.units, f.not_assessed),
    ] {
        assert!(
            seed.contains(&figure),
            "the constants say {figure}, the seed does not"
        );
    }

    let started = std::time::Instant::now();
    let h = haikou_harness(&lists);
    let md = render(&h, HAIKOU_MONTH, Format::Markdown);
    eprintln!(
        "Haikou: {} records replayed and rendered in {:?}",
        f.records,
        started.elapsed()
    );

    let overview = section(&md, "一、热线运行总体情况");
    assert!(
        overview.contains(&format!("共计 {} 件", f.records))
            && overview.contains(&format!("日均受理 {} 件（按 31 天计）", f.daily_average)),
        "{overview}"
    );
    let assessed = f.units - f.not_assessed;
    assert!(overview.contains(&format!(
        "应参加考核的成员单位 {} 家，其中有 {} 家成员单位月度总办件量少于 10 件不纳入考核，实际参与考核的成员单位共计 {assessed} 家",
        f.units, f.not_assessed
    )), "{overview}");

    let rates = section(&md, "三、“三率”情况");
    for want in [
        format!(
            "共回访办件 {} 件，回访满意 {} 件，满意率 {}",
            f.callbacks, f.satisfied, f.satisfaction
        ),
        format!(
            "已办结工单 {} 件，一次性办结 {} 件，一次办结率 {}",
            f.completed, f.first_time, f.first_time_ratio
        ),
        format!(
            "有效咨询类办件 {} 件，前台即时办结 {} 件，即时办结率 {}",
            f.consultations, f.direct, f.instant
        ),
        format!(
            "{} 家成员单位月度总办件量少于 10 件不纳入考核",
            f.not_assessed
        ),
    ] {
        assert!(rates.contains(&want), "{want} in:\n{rates}");
    }
    let names = |title: &str| -> Vec<String> {
        let mut v: Vec<String> = md_list(rates, title)
            .into_iter()
            .map(|item| match item.rsplit_once('（') {
                Some((name, r)) if r.ends_with("%）") => name.to_owned(),
                _ => item,
            })
            .collect();
        v.sort();
        v
    };
    let sorted = |l: &[String]| {
        let mut v = l.to_vec();
        v.sort();
        v
    };
    assert_eq!(
        names("回访满意率达 100% 的单位"),
        sorted(&lists.satisfaction_full)
    );
    assert_eq!(
        names("回访满意率低于 95% 的单位"),
        sorted(&lists.satisfaction_below)
    );
    assert_eq!(
        names("一次办结率达 100% 的单位"),
        sorted(&lists.first_time_full)
    );
    assert_eq!(
        names("一次办结率低于 70% 的单位"),
        sorted(&lists.first_time_below)
    );
    assert_eq!(
        names("即时办结率高于 90% 的单位"),
        sorted(&lists.instant_above)
    );
    assert_eq!(
        names("即时办结率低于 40% 的单位"),
        sorted(&lists.instant_below)
    );

    let overdue = section(&md, "六、超期工单一览表");
    for want in [
        format!(
            "咨询类办件总量 {} 件，逾期 {} 件，占 {}",
            f.consultations, f.consultations_overdue, f.consultations_overdue_ratio
        ),
        format!(
            "投诉类办件总量 {} 件，逾期 {} 件，占 {}",
            f.complaints, f.complaints_overdue, f.complaints_overdue_ratio
        ),
    ] {
        assert!(overdue.contains(&want), "{want}");
    }
    assert_eq!(
        md_table(overdue).len() as i64,
        f.consultations_overdue + f.complaints_overdue
    );
    let table = md_table(section(&md, "四、各单位工单办结率排序表"));
    let (total, rows) = table.split_last().unwrap();
    assert_eq!(rows.len(), f.units);
    assert_eq!(
        rows.iter().filter(|r| r[0] == "不纳入考核").count(),
        f.not_assessed
    );
    assert_eq!(total[2], f.completed.to_string());

    haikou_analysis(&h, &md, &seed);
}

/// Section 二 of the Haikou bulletin (数据分析): every figure it prints, rebuilt from
/// events, in its own sentences.
fn haikou_analysis(h: &crate::common::engine::Harness, md: &str, seed: &str) {
    let a = &HAIKOU_ANALYSIS;
    let f = &HAIKOU;
    // The constants are the seed's, and their denominators are what the shares imply.
    assert_eq!(a.unsatisfied, f.callbacks - f.satisfied);
    assert_eq!(
        pct(a.unsatisfied_unresolved, a.unsatisfied),
        a.unsatisfied_share
    );
    assert_eq!(
        pct(a.not_first_time_unresolved, a.not_first_time),
        a.not_first_time_share
    );
    assert_ne!(
        pct(a.not_first_time_unresolved, f.completed - f.first_time),
        a.not_first_time_share,
        "completed − first-time resolved is not the bulletin's denominator"
    );
    let (p1, p2) = (&a.unsatisfied_problems[0], &a.unsatisfied_problems[1]);
    let (q1, q2) = (&a.not_first_time_problems[0], &a.not_first_time_problems[1]);
    let [c1, c2, c3] = a.not_answered_problems;
    let sentences = [
        format!("不满意办件所涉及的主要问题为：{}、{}等。", p1.0, p2.0),
        format!("{}问题共计 {} 件。处理单位：{}。", p1.0, p1.1, p1.2),
        format!("{}问题共计 {} 件。处理单位：{}。", p2.0, p2.1, p2.2),
        format!(
            "其中，回访市民表示问题未得到解决件数有 {} 件，占不满意办件的 {}。",
            a.unsatisfied_unresolved, a.unsatisfied_share
        ),
        format!("未一次性办结涉及的问题主要为：{}问题、{}问题", q1.0, q2.0),
        format!("{}问题共计 {} 件。", q1.0, q1.1),
        format!("{}问题共计 {} 件。", q2.0, q2.1),
        format!(
            "其中，市民诉求未得到解决 {} 件，占未一次办结办件的 {}。",
            a.not_first_time_unresolved, a.not_first_time_share
        ),
        format!("未即时办结件涉及的问题主要为：{c1}、{c2}、{c3}"),
    ];
    // The seed's text has page breaks and spaces where ours has none.
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    let (seed, analysis) = (squeeze(seed), section(md, "“三率”数据分析"));
    for s in &sentences {
        assert!(seed.contains(&squeeze(s)), "the seed says {s}");
        assert!(analysis.contains(s.as_str()), "{s} in:\n{analysis}");
    }
    assert!(analysis.contains(&format!("本月回访不满意办件 {} 件。", a.unsatisfied)));
    assert!(analysis.contains(&format!(
        "未一次办结办件（转派后被退回或重办的工单，含尚未办结的）{} 件。",
        a.not_first_time
    )));

    // 逾期件专项清理: the overdue shares by purpose, and the units named.
    let clearance = section(md, "逾期件专项清理");
    for (purpose, n, late, share) in [
        (
            "咨询类",
            f.consultations,
            f.consultations_overdue,
            f.consultations_overdue_ratio,
        ),
        (
            "投诉类",
            f.complaints,
            f.complaints_overdue,
            f.complaints_overdue_ratio,
        ),
    ] {
        let want = format!("{purpose}办件总量 {n} 件，逾期 {late} 件，占 {share}");
        assert!(
            seed.contains(&squeeze(&want)) && clearance.contains(&want),
            "{want}"
        );
    }
    // The seed's five units, most overdue first, named as the seed names them.
    let named: Vec<&str> = HAIKOU_OVERDUE_UNITS.iter().map(|u| u.0).collect();
    let want = format!("{}等5家热线成员单位逾期办件较多", named.join("、"));
    assert!(seed.contains(&want), "the seed says {want}");
    let mut ours = clearance.to_owned();
    for (unit, consultations, complaints) in HAIKOU_OVERDUE_UNITS {
        let counted = format!("{unit}（{} 件）", consultations + complaints);
        assert!(ours.contains(&counted), "{counted} in:\n{clearance}");
        ours = ours.replace(&counted, unit);
    }
    assert!(squeeze(&ours).contains(&want), "{want} in:\n{clearance}");

    // The same figures in the API's analysis object.
    let api = hotline_pulse::report::analysis(&build(h, HAIKOU_MONTH));
    assert_eq!(
        (
            api.figures.unsatisfied.total,
            api.figures.unsatisfied.unresolved
        ),
        (a.unsatisfied, a.unsatisfied_unresolved)
    );
    assert_eq!(
        (
            api.figures.not_first_time.total,
            api.figures.not_first_time.unresolved
        ),
        (a.not_first_time, a.not_first_time_unresolved)
    );
    let top = &api.figures.unsatisfied.problems[0];
    assert_eq!((top.problem.as_str(), top.count), (p1.0, p1.1));
    assert_eq!(top.units.len(), 1, "only {} handled {}", p1.2, p1.0);
    assert_eq!(
        api.figures.consultations_not_answered.total,
        f.consultations - f.direct
    );
    assert_eq!(api.figures.records_by_day.len(), 31);
    assert_eq!(api.figures.records_by_day.iter().sum::<i64>(), f.records);
    let overdue: i64 = api.overdue_units.iter().map(|u| u.count).sum();
    assert_eq!(overdue, f.consultations_overdue + f.complaints_overdue);
}
