//! The shape of a simulated hotline: the probabilities and tables a profile is made of.
//!
//! The numbers themselves live beside the bulletin they come from (`golmud.rs`,
//! `haikou.rs`); this file only says what each knob means and how tables are sampled.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::Profile;
use crate::event::{Channel, Purpose};

/// A handling unit (承办单位) and how it behaves when it differs from the profile's norm.
#[derive(Debug)]
pub(crate) struct UnitSpec {
    pub name: &'static str,
    /// Relative dispatch weight: the unit's 工单量 in the bulletin's table.
    pub weight: u32,
    /// The other spelling the bulletin uses for this unit.
    pub alias: Option<&'static str>,
    /// Probability that an assignment is completed after its deadline.
    pub late: Option<f64>,
    /// Probability that a contacted callback about this unit is `unsatisfied`.
    pub unhappy: Option<f64>,
    /// Probability that the unit returns an order it was the first to receive.
    pub returns: Option<f64>,
    /// Probability that a consultation about this unit is answered at the desk.
    pub direct: Option<f64>,
}

pub(crate) const fn unit(name: &'static str, weight: u32) -> UnitSpec {
    UnitSpec {
        name,
        weight,
        alias: None,
        late: None,
        unhappy: None,
        returns: None,
        direct: None,
    }
}

impl UnitSpec {
    pub(crate) const fn alias(mut self, alias: &'static str) -> Self {
        self.alias = Some(alias);
        self
    }
    pub(crate) const fn late(mut self, p: f64) -> Self {
        self.late = Some(p);
        self
    }
    pub(crate) const fn unhappy(mut self, p: f64) -> Self {
        self.unhappy = Some(p);
        self
    }
    pub(crate) const fn returns(mut self, p: f64) -> Self {
        self.returns = Some(p);
        self
    }
    pub(crate) const fn direct(mut self, p: f64) -> Self {
        self.direct = Some(p);
        self
    }
}

/// A purpose (目的分类): its share of valid records, and how often a record of that
/// purpose that did not arrive as a transfer is answered at the desk.
#[derive(Debug)]
pub(crate) struct PurposeSpec {
    pub purpose: Purpose,
    pub weight: f64,
    pub direct: f64,
}

/// Everything that distinguishes one simulated hotline from another. Probabilities are
/// per record unless said otherwise.
#[derive(Debug)]
pub(crate) struct Spec {
    /// Channel weights. `gov_website` and `provincial` are transfers: always dispatched.
    pub channels: &'static [(Channel, f64)],
    /// P(invalid) for a record that is not a transfer.
    pub invalid: f64,
    pub purposes: &'static [PurposeSpec],
    /// P(category 政务咨询 | consultation); everything else draws from `categories`.
    pub consult_category: f64,
    pub categories: &'static [(&'static str, f64)],
    /// Hot topics with their share of valid records; the rest carry no topic.
    pub topics: &'static [(&'static str, f64)],
    pub units: &'static [UnitSpec],
    /// P(a unit that has an alias is spelled by it), per event.
    pub alias_share: f64,
    /// P(callback) for a direct answer, and for a completed work order.
    pub direct_callback: f64,
    pub callback: f64,
    /// P(the citizen cannot be reached) per callback.
    pub unreached: f64,
    /// P(basically satisfied) and default P(unsatisfied) per contacted callback.
    pub basic: f64,
    pub unhappy: f64,
    /// P(reopened | unsatisfied callback on a work order).
    pub reopen: f64,
    /// Default P(completed after the deadline) per assignment.
    pub late: f64,
    /// Default P(the first unit returns the order); P(that return comes after the
    /// deadline); P(the second unit returns it too, back to the first).
    pub returns: f64,
    pub late_return: f64,
    pub ping_pong: f64,
    /// P(joint handling: a second unit dispatched at once) per work order.
    pub joint: f64,
    /// P(extension approved in time) and P(extension asked after the deadline), per
    /// assignment.
    pub extend: f64,
    pub late_extend: f64,
    /// P(the order is never completed) per work order.
    pub open: f64,
    /// P(`result: resolved`) per completion; the rest are `explained`.
    pub resolved_result: f64,
    /// P(a callback on a work order names the rated unit).
    pub name_unit: f64,
}

/// 诉求分类 other than 政务咨询, weighted by the Golmud bulletin's counts with the
/// consultations that are not 政务咨询 folded in (so that the totals come out as printed:
/// 政务咨询 1543, 公共服务 630, 社会事业 557, 城乡建设 372, 交通运输 364, 市场监管 146,
/// 其他 284 of 3,896).
pub(crate) const CATEGORIES: &[(&str, f64)] = &[
    ("公共服务", 630.0),
    ("社会事业", 557.0),
    ("城乡建设", 372.0),
    ("交通运输", 364.0),
    ("市场监管", 146.0),
    ("其他", 284.0),
];

/// 政务咨询 1543 of 2547 consultations.
pub(crate) const CONSULT_CATEGORY: f64 = 1543.0 / 2547.0;

/// Return reasons, shown in the overdue list's 备注 column.
pub(crate) const REASONS: &[&str] = &[
    "非本单位职责",
    "部门相互推诿",
    "诉求地址不在本单位辖区",
    "需其他部门协同办理",
    "工单信息不全",
];

pub(crate) fn spec(profile: Profile) -> &'static Spec {
    match profile {
        Profile::Golmud => &super::golmud::SPEC,
        Profile::Haikou => &super::haikou::SPEC,
    }
}

/// Draws indices in proportion to fixed weights.
#[derive(Debug)]
pub(crate) struct Pick {
    cumulative: Vec<f64>,
}

impl Pick {
    pub(crate) fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut sum = 0.0;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                sum += w.max(0.0);
                sum
            })
            .collect();
        Pick { cumulative }
    }

    pub(crate) fn sample(&self, rng: &mut ChaCha8Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = rng.random::<f64>() * total;
        let i = self.cumulative.partition_point(|&c| c <= x);
        i.min(self.cumulative.len().saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_weighs_each_purpose_once_and_no_channel_twice() {
        for profile in [Profile::Golmud, Profile::Haikou] {
            let s = spec(profile);
            let mut purposes: Vec<Purpose> = s.purposes.iter().map(|p| p.purpose).collect();
            purposes.sort();
            assert_eq!(purposes, Purpose::ALL, "{profile}");
            let mut channels: Vec<Channel> = s.channels.iter().map(|c| c.0).collect();
            channels.sort();
            channels.dedup();
            assert_eq!(channels.len(), s.channels.len(), "{profile}");
            assert!(s.channels.iter().all(|c| c.1 > 0.0), "{profile}");
        }
    }
}
