//! How the Haikou stream lays its orders out, unit by unit.
//!
//! Every dispatched order is received, dispatched, completed and called back. Per unit,
//! its orders are laid out in this order: consultations naming the unit (instant
//! resolution lists), orders returned once and dispatched again (未一次办结), plain
//! orders, unsatisfied ones last; so the analysed sets never overlap and each takes its
//! problem (topic) from its own sequence. Dispatched consultations are plain orders;
//! the units with the most overdue orders come first, so that they have both
//! consultations and complaints to be late with.

use super::haikou::{
    haikou_units, HaikouLists, HAIKOU, HAIKOU_ANALYSIS, HAIKOU_NOISE_UNITS, HAIKOU_OVERDUE_UNITS,
};

/// Problems of the unsatisfied callbacks besides the two the bulletin names (each
/// fewer than its 105 噪音扰民).
pub const UNSATISFIED_OTHER: [&str; 10] = [
    "城市管理",
    "交通出行",
    "市场监管",
    "教育培训",
    "医疗卫生",
    "环境保护",
    "住房保障",
    "劳动保障",
    "水电气暖",
    "道路交通",
];
/// Problems of the orders not resolved the first time besides 物业服务 and 噪音扰民.
pub const NOT_FIRST_TIME_OTHER: [&str; 20] = [
    "拆迁安置",
    "违章建筑",
    "市政设施",
    "供水",
    "供电",
    "燃气",
    "公交",
    "出租车",
    "养老服务",
    "农贸市场",
    "校外培训",
    "停车管理",
    "绿化养护",
    "占道经营",
    "油烟污染",
    "工程质量",
    "房屋漏水",
    "电梯安全",
    "宠物管理",
    "路灯照明",
];
/// The consultations not answered at the desk: the bulletin's three, then others.
pub const NOT_ANSWERED: [(&str, i64); 3] = [
    ("社保业务", 6000),
    ("户口身份登记", 4500),
    ("医疗医保", 3500),
];
pub const NOT_ANSWERED_OTHER: [&str; 6] = [
    "公积金",
    "出入境",
    "税务办理",
    "企业开办",
    "不动产登记",
    "交通违章",
];
/// The seed's 社会治安与综合治理 and 噪音扰民 among unsatisfied callbacks, by unit.
const POLICE: &str = "市公安局";
const NOISE_BY_UNIT: [i64; 3] = [40, 30, 20];
/// Other units with one unsatisfied 噪音扰民 callback each (105 = 40 + 30 + 20 + 15).
const NOISE_ELSEWHERE: i64 = 15;

/// Hands out problems: the named ones with their counts first, then the others in turn.
pub struct Labels {
    named: Vec<(&'static str, i64)>,
    others: &'static [&'static str],
    n: usize,
}

impl Labels {
    pub fn new(named: &[(&'static str, i64)], others: &'static [&'static str]) -> Self {
        Labels {
            named: named.to_vec(),
            others,
            n: 0,
        }
    }

    pub fn next(&mut self) -> &'static str {
        if let Some(first) = self.named.iter_mut().find(|(_, n)| *n > 0) {
            first.1 -= 1;
            return first.0;
        }
        self.n += 1;
        self.others[(self.n - 1) % self.others.len()]
    }
}

/// A countdown: true for the first `n` calls.
pub struct First(pub i64);

impl First {
    pub fn take(&mut self) -> bool {
        self.0 -= 1;
        self.0 >= 0
    }
}

/// Per unit: orders, named consultations (dispatched, answered at the desk), orders not
/// resolved the first time, unsatisfied callbacks with their problems, and the
/// consultations and complaints it answers late (None: from what is left).
pub struct U {
    pub name: String,
    pub orders: i64,
    pub named: (i64, i64),
    pub again: i64,
    pub unsatisfied: Vec<&'static str>,
    pub late: Option<(First, First)>,
}

pub fn plan_units(lists: &HaikouLists) -> Vec<U> {
    let f = &HAIKOU;
    let (assessed, small) = haikou_units(lists);
    let has = |l: &[String], u: &str| l.iter().any(|x| x == u);
    let small_total: i64 = small.iter().map(|s| s.1).sum();
    let big_total = f.completed - small_total;
    let n_big = assessed.len() as i64;
    let a = &HAIKOU_ANALYSIS;
    let (police_problem, police_n, _) = a.unsatisfied_problems[0];
    let noise = a.unsatisfied_problems[1].0;
    let mut unsatisfied_other = Labels::new(&[], &UNSATISFIED_OTHER);
    let mut noise_elsewhere = First(NOISE_ELSEWHERE);
    let mut units: Vec<U> = assessed
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let orders = big_total / n_big + i64::from((i as i64) < big_total % n_big);
            let mut unsatisfied: Vec<&'static str> = vec![];
            if let Some(k) = HAIKOU_NOISE_UNITS.iter().position(|u| u == name) {
                unsatisfied.extend(std::iter::repeat_n(noise, NOISE_BY_UNIT[k] as usize));
            } else if name == POLICE {
                unsatisfied.extend(std::iter::repeat_n(police_problem, police_n as usize));
                unsatisfied.extend(std::iter::repeat_n(noise, NOISE_BY_UNIT[2] as usize));
            } else if !has(&lists.satisfaction_full, name) {
                let n = if has(&lists.satisfaction_below, name) {
                    (orders * 8 + 99) / 100
                } else {
                    (orders / 100).max(1)
                };
                for k in 0..n {
                    let label = if k == 0 && noise_elsewhere.take() {
                        noise
                    } else {
                        unsatisfied_other.next()
                    };
                    unsatisfied.push(label);
                }
            }
            let named = if has(&lists.instant_above, name) {
                (5, 95)
            } else if has(&lists.instant_below, name) {
                (70, 30)
            } else {
                (0, 0)
            };
            let again = if has(&lists.first_time_below, name) {
                (orders * 35 + 99) / 100
            } else {
                0
            };
            U {
                name: name.clone(),
                orders,
                named,
                again,
                unsatisfied,
                late: HAIKOU_OVERDUE_UNITS
                    .iter()
                    .find(|u| u.0 == name)
                    .map(|u| (First(u.1), First(u.2))),
            }
        })
        .collect();
    assert!(noise_elsewhere.0 <= 0, "enough units for 噪音扰民");
    let again_left = f.completed - f.first_time - units.iter().map(|u| u.again).sum::<i64>();
    let spread: Vec<usize> = (0..units.len())
        .filter(|&i| {
            !has(&lists.first_time_full, &units[i].name)
                && !has(&lists.first_time_below, &units[i].name)
        })
        .collect();
    for (k, &i) in spread.iter().enumerate() {
        let n = spread.len() as i64;
        let u = &mut units[i];
        u.again = again_left / n + i64::from((k as i64) < again_left % n);
        assert!(u.again >= 1 && u.again * 10 <= u.orders * 3);
    }
    for u in &units {
        let used = u.named.0 + u.again + u.unsatisfied.len() as i64;
        assert!(
            used <= u.orders,
            "{}: {used} of {} orders",
            u.name,
            u.orders
        );
    }
    // Stable: the others keep their order.
    units.sort_by_key(|u| {
        HAIKOU_OVERDUE_UNITS
            .iter()
            .position(|o| o.0 == u.name)
            .unwrap_or(usize::MAX)
    });
    units.extend(small.iter().map(|(name, n)| U {
        name: name.clone(),
        orders: *n,
        named: (0, 0),
        again: 0,
        unsatisfied: vec![],
        late: None,
    }));
    units
}
