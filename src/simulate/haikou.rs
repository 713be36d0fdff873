//! The Haikou profile, modelled on the January 2023 bulletin (228,673 records, 7,377 a
//! day; 101,592 callbacks at 98.24% satisfied; first-time resolution 86.71% of about
//! 95,000 completed orders; 110,698 of 135,879 consultations answered at the desk).
//!
//! - Channels are not in the bulletin: phone 88%, wechat 4.5%, app 3%, web 2.5%,
//!   sms 0.5%, gov_website 0.4%, provincial 1.1% (ours). Invalid 2% (ours).
//! - Purposes over valid records: consultation 60.6% and complaint 21.3% (135,879 and
//!   47,676 of ~224,000 valid), help 15%, suggestion 1.5%, other 1.2%, praise 0.4%.
//! - Dispositions: consultations 81.5% at the desk by default, 95% for the five units the
//!   bulletin lists above 90% (海口供电局, 卫健委, 市场监管, 水务集团, 海汽) and 30% for
//!   the five below 40%, which gives ~81.5% overall (transfers are never answered at the desk); complaints 5%, help 35%,
//!   suggestions 50%. That dispatches about 42% of records (~96,000 a month).
//! - Units: the 47 units the bulletin names, with weights that are ours (市公安局,
//!   住建局, 人社局, 市场监管, 卫健委 and the 综合行政执法 branches largest; 市委宣传部 and
//!   总工会 under 10 a month, so some units go unassessed as 25 of 87 did).
//! - Returns 12% of first dispatches (35% for the five units below 70% first-time
//!   resolution), 10% bouncing back, which puts first-time resolution near 87%.
//! - Overdue: consultations 545 (0.40% of records) and complaints 657 (1.38%) imply
//!   ~1.5% of work orders: 0.6% by default, 4% at the five units named for many overdue
//!   orders (住建局, 卫健委, 科工信, 港航, 桂林洋); 2% of returns are late.
//! - Callbacks: 75% of completed orders and 23% of direct answers (so that ~101,000 are
//!   made); unsatisfied 1.1% by default and 8% at the three units below 95% (税务局,
//!   退役军人事务局, 市公安局); basically satisfied 1.7%; about 98% satisfied overall.
//! - Topics: 物业服务 3%, 噪音扰民 2%, 社保业务 4%, 户口身份登记 3%, 医疗医保 3%,
//!   社会治安与综合治理 2%, 薪资拖欠 2% (the problems the bulletin analyses; shares ours).

use super::profile::{unit, PurposeSpec, Spec, UnitSpec, CATEGORIES, CONSULT_CATEGORY};
use crate::event::{Channel, Purpose};

const UNITS: &[UnitSpec] = &[
    unit("市公安局", 14000).unhappy(0.08),
    unit("海口市住房和城乡建设局", 12000).late(0.04),
    unit("海口市人力资源和社会保障局", 8000),
    unit("海口市市场监督管理局", 6000).direct(0.95),
    unit("海口市卫生健康委员会", 5000).direct(0.95).late(0.04),
    unit("海口市综合行政执法局琼山分局", 4000),
    unit("海口市综合行政执法局美兰分局", 4000),
    unit("市公安局交通警察支队", 4000),
    unit("海口市医疗保障局", 3500),
    unit("海口市教育局", 3500),
    unit("海口供电局", 3000).direct(0.95),
    unit("海口市水务集团有限公司", 3000).direct(0.95),
    unit("海口市市政管理局", 2500),
    unit("海口市园林和环境卫生管理局", 2500),
    unit("海口市公共交通集团有限公司", 1500),
    unit("国家税务总局海口市税务局", 1500).unhappy(0.08),
    unit("海口市生态环境局", 1200).direct(0.3),
    unit("海口市民政局", 1000),
    unit("海口市旅游和文化广电体育局", 900),
    unit("海口市科学技术工业信息化局", 800)
        .direct(0.3)
        .late(0.04),
    unit("海口国家高新技术产业开发区", 700).direct(0.3),
    unit("中国移动海南分公司", 600).returns(0.35),
    unit("海口市农业农村局", 600),
    unit("海口市发展和改革委员会", 500),
    unit("海南港航控股有限公司", 500).late(0.04),
    unit("海口市退役军人事务局", 400).unhappy(0.08),
    unit("海口市司法局", 400),
    unit("海口市财政局", 300),
    unit("海南海汽运输集团股份有限公司", 300).direct(0.95),
    unit("市城市建设投资有限公司", 300).direct(0.3),
    unit("市消防救援支队", 250),
    unit("海口美兰国际机场", 250),
    unit("海口桂林洋经济开发区管理委员会", 200).late(0.04),
    unit("中国有线电视网络有限公司海口分公司", 200),
    unit("海口市应急管理局", 200),
    unit("海口市菜篮子产业集团有限责任公司", 150).returns(0.35),
    unit("海口旅游文化投资控股集团有限公司", 150),
    unit("中国铁塔股份有限公司海口市分公司", 80)
        .direct(0.3)
        .returns(0.35),
    unit("海口市林业局", 80).returns(0.35),
    unit("市路桥建设投资有限公司", 60),
    unit("海口烟草专卖局", 60),
    unit("海口市机关事务管理局", 50),
    unit("海口市地下综合管廊投资管理有限公司", 40),
    unit("海口市桥隧管理有限公司", 40),
    unit("海口综合保税区管理委员会", 30).returns(0.35),
    unit("海口市总工会", 8),
    unit("中共海口市委宣传部", 6),
];

const PURPOSES: &[PurposeSpec] = &[
    PurposeSpec {
        purpose: Purpose::Consultation,
        weight: 60.6,
        direct: 0.815,
    },
    PurposeSpec {
        purpose: Purpose::Help,
        weight: 15.0,
        direct: 0.35,
    },
    PurposeSpec {
        purpose: Purpose::Complaint,
        weight: 21.3,
        direct: 0.05,
    },
    PurposeSpec {
        purpose: Purpose::Suggestion,
        weight: 1.5,
        direct: 0.5,
    },
    PurposeSpec {
        purpose: Purpose::Praise,
        weight: 0.4,
        direct: 1.0,
    },
    PurposeSpec {
        purpose: Purpose::Other,
        weight: 1.2,
        direct: 0.9,
    },
];

pub(crate) static SPEC: Spec = Spec {
    channels: &[
        (Channel::Phone, 88.0),
        (Channel::GovWebsite, 0.4),
        (Channel::Provincial, 1.1),
        (Channel::Wechat, 4.5),
        (Channel::App, 3.0),
        (Channel::Web, 2.5),
        (Channel::Sms, 0.5),
    ],
    invalid: 0.02,
    purposes: PURPOSES,
    consult_category: CONSULT_CATEGORY,
    categories: CATEGORIES,
    topics: &[
        ("社保业务", 0.04),
        ("物业服务", 0.03),
        ("户口身份登记", 0.03),
        ("医疗医保", 0.03),
        ("噪音扰民", 0.02),
        ("社会治安与综合治理", 0.02),
        ("薪资拖欠", 0.02),
    ],
    units: UNITS,
    alias_share: 0.3,
    direct_callback: 0.23,
    callback: 0.75,
    unreached: 0.03,
    basic: 0.017,
    unhappy: 0.011,
    reopen: 1.0 / 3.0,
    late: 0.006,
    returns: 0.12,
    late_return: 0.02,
    ping_pong: 0.1,
    joint: 0.005,
    extend: 0.01,
    late_extend: 0.001,
    open: 0.005,
    resolved_result: 0.75,
    name_unit: 0.2,
};
