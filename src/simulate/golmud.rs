//! The Golmud profile, modelled on the November 2024 bulletin (4,151 records, 1,094 work
//! orders, 41 overdue, 805 callbacks at 95.28% satisfaction).
//!
//! - Channels: 中国政府网转办 26 (0.6%) and 省州系统转办 22 (0.5%), always dispatched;
//!   the bulletin has no web channel figures, so wechat 0.4%, app 0.8%, web 1.0% and
//!   sms 0.4% are ours; phone the rest.
//! - Dispositions: invalid 255 of the 4,103 non-transfer records (6.21%, 6.14% overall);
//!   the direct-answer probabilities per purpose (consultation 0.90, help 0.45,
//!   complaint 0.25, suggestion 0.6, praise 1.0, other 0.9) reproduce 直接答复 2,802
//!   (67.5%) and 工单转办 1,094 (26.4%) with the purposes below.
//! - Purposes over valid records: consultation 66.19%, help 19.8%, complaint 12.55%,
//!   suggestion 0.49%, praise 0.30% and other 0.66% (其他类 0.96% split by us).
//!   Invalid records carry purpose `other` and no category.
//! - Units: the 30 units of the 办结率 table weighted by 工单量; its 其他单位 63 are split
//!   over 市人民法院 (on the overdue list) and five bureaus of our choosing.
//!   市卫生健康委员会 and 市人力资源和社会保障局 are spelled the callback table's way
//!   (`卫生健康委员会`, `人力资源和社会保障`) in 30% of their events.
//! - Overdue: 41 of 1,094 (3.75%). 市卫生健康委员会 (13 of 32 on the list), 华润燃气
//!   (12 of 21) and 盐湖集团 (5 of 20) are late with probability 0.35, 0.45 and 0.2;
//!   every other unit 1.0%. With late returns (10% of returns) and late extensions
//!   (0.2%) this lands near 3.7%.
//! - Returns 2% of first dispatches, 15% of those bounce back (部门相互推诿); joint
//!   handling 0.5%; extensions 1%; open (never completed) 0.5% (1,094 − 1,088 done).
//! - Callbacks: 75% of completed orders (805 of 1,088 = 74%), 2% of direct answers;
//!   3% unreached. Unsatisfied 2.8% by default, higher for the units the satisfaction
//!   table shows below 90% (综合行政执法 76%, 华润燃气 83%, 盐湖集团 75%, 能源局 71%,
//!   文体旅游广电 67%, 自然资源 89%), which makes 4.7% overall (38 of 805); basically
//!   satisfied 2.5%. One unsatisfied callback in three reopens the order.
//! - Topics over valid records: 薪资拖欠 7.8% (304 of 3,896), 供暖 5%, 物业服务 4%,
//!   水电暖燃气缴费 3%, 不动产权证办理 2%, 补办身份证 1.5%, 噪音扰民 1% (ours but the
//!   first, named in the 主要热点 section).

use super::profile::{unit, PurposeSpec, Spec, UnitSpec, CATEGORIES, CONSULT_CATEGORY};
use crate::event::{Channel, Purpose};

const UNITS: &[UnitSpec] = &[
    unit("市住房和城乡建设局", 236),
    unit("市投资控股有限公司", 89),
    unit("市公安局", 77),
    unit("市市场监督管理局", 66),
    unit("西城区行政委员会", 55),
    unit("市交通运输局", 53),
    unit("市人力资源和社会保障局", 50).alias("人力资源和社会保障"),
    unit("市综合行政执法局", 36).unhappy(0.2),
    unit("市教育局", 36),
    unit("市城市管理局", 35),
    unit("市卫生健康委员会", 32)
        .alias("卫生健康委员会")
        .late(0.35),
    unit("市自然资源局", 27).unhappy(0.1),
    unit("昆仑经济技术开发区管委会", 24),
    unit("东城区行政委员会", 23),
    unit("华润燃气有限公司", 21).late(0.45).unhappy(0.15),
    unit("盐湖集团", 20).late(0.2).unhappy(0.2),
    unit("市林草局", 18),
    unit("市能源局", 17).unhappy(0.25),
    unit("市税务局", 17),
    unit("市消防救援支队", 14),
    unit("海西电力格尔木分公司", 14),
    unit("移动公司", 12),
    unit("农垦集团", 10),
    unit("市文体旅游广电局", 9).unhappy(0.3),
    unit("市数据局", 8),
    unit("市工业信息化和科技局", 7),
    unit("市生态环境局", 7),
    unit("水务集团有限公司", 7),
    unit("电信公司", 6),
    unit("联通公司", 5),
    // 其他单位 63
    unit("市人民法院", 12),
    unit("市医疗保障局", 14),
    unit("市民政局", 12),
    unit("市退役军人事务局", 9),
    unit("市司法局", 8),
    unit("市应急管理局", 8),
];

const PURPOSES: &[PurposeSpec] = &[
    PurposeSpec {
        purpose: Purpose::Consultation,
        weight: 66.19,
        direct: 0.90,
    },
    PurposeSpec {
        purpose: Purpose::Help,
        weight: 19.8,
        direct: 0.45,
    },
    PurposeSpec {
        purpose: Purpose::Complaint,
        weight: 12.55,
        direct: 0.25,
    },
    PurposeSpec {
        purpose: Purpose::Suggestion,
        weight: 0.49,
        direct: 0.6,
    },
    PurposeSpec {
        purpose: Purpose::Praise,
        weight: 0.30,
        direct: 1.0,
    },
    PurposeSpec {
        purpose: Purpose::Other,
        weight: 0.66,
        direct: 0.9,
    },
];

pub(crate) static SPEC: Spec = Spec {
    channels: &[
        (Channel::Phone, 96.3),
        (Channel::GovWebsite, 0.6),
        (Channel::Provincial, 0.5),
        (Channel::Wechat, 0.4),
        (Channel::App, 0.8),
        (Channel::Web, 1.0),
        (Channel::Sms, 0.4),
    ],
    invalid: 255.0 / 4103.0,
    purposes: PURPOSES,
    consult_category: CONSULT_CATEGORY,
    categories: CATEGORIES,
    topics: &[
        ("薪资拖欠", 0.078),
        ("供暖", 0.05),
        ("物业服务", 0.04),
        ("水电暖燃气缴费", 0.03),
        ("不动产权证办理", 0.02),
        ("补办身份证", 0.015),
        ("噪音扰民", 0.01),
    ],
    units: UNITS,
    alias_share: 0.3,
    direct_callback: 0.02,
    callback: 0.75,
    unreached: 0.03,
    basic: 0.025,
    unhappy: 0.028,
    reopen: 1.0 / 3.0,
    late: 0.01,
    returns: 0.02,
    late_return: 0.1,
    ping_pong: 0.15,
    joint: 0.005,
    extend: 0.01,
    late_extend: 0.002,
    open: 0.005,
    resolved_result: 0.7,
    name_unit: 0.2,
};
