//! The label cap at exposure: past the cap, the largest labels are kept and the rest
//! summed under one overflow label.

use std::borrow::Cow;

use crate::view::aggregate::UnitSum;

/// A labelled value that a label cap can fold into its overflow label.
pub(super) trait Foldable: Default {
    /// What the cap ranks labels by: the largest are kept.
    fn weight(&self) -> i64;
    /// Adds `other` into `self`.
    fn fold(&mut self, other: &Self);
}

/// A count (categories, topics).
impl Foldable for i64 {
    fn weight(&self) -> i64 {
        *self
    }

    fn fold(&mut self, other: &Self) {
        *self += other;
    }
}

/// A unit's month, ranked by assigned orders; borrowed from the aggregate until a fold
/// writes into it.
impl Foldable for Cow<'_, UnitSum> {
    fn weight(&self) -> i64 {
        self.counts.assigned.into()
    }

    fn fold(&mut self, other: &Self) {
        let sum = self.to_mut();
        sum.counts.add(&other.counts, 1);
        sum.handling.merge(&other.handling);
    }
}

/// Labelled values with a label cap applied: past `cap` labels, the `cap - 1` largest
/// (then by label) and `other` holding the sum of the rest. A kept label equal to
/// `other` (the bulletins name their small units 其他单位 too) takes the rest itself,
/// so no label set is exposed twice; a folded one lands in the rest. Below the cap the
/// values come back as given, in the same order.
pub(super) fn capped<'a, T: Foldable>(
    items: impl Iterator<Item = (&'a str, T)>,
    cap: usize,
    other: &'a str,
) -> Vec<(&'a str, T)> {
    let mut v: Vec<(&str, T)> = items.collect();
    if v.len() <= cap {
        return v;
    }
    v.sort_by(|a, b| b.1.weight().cmp(&a.1.weight()).then_with(|| a.0.cmp(b.0)));
    let rest = v.split_off(cap.saturating_sub(1));
    let at = match v.iter().position(|(label, _)| *label == other) {
        Some(at) => at,
        None => {
            v.push((other, T::default()));
            v.len() - 1
        }
    };
    for (_, x) in &rest {
        v[at].1.fold(x);
    }
    v
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::engine::Count;
    use crate::units::OTHER_UNITS;

    /// A unit's month with `assigned` orders, as many completed, each handled in a minute.
    fn unit(assigned: Count) -> UnitSum {
        let mut u = UnitSum::default();
        u.counts.assigned = assigned;
        u.counts.completed = assigned;
        for _ in 0..assigned {
            u.handling.record(60_000, 1);
        }
        u
    }

    fn units(of: &[(&str, Count)]) -> BTreeMap<String, UnitSum> {
        of.iter().map(|&(n, a)| (n.to_owned(), unit(a))).collect()
    }

    fn capped_units(
        units: &BTreeMap<String, UnitSum>,
        cap: usize,
    ) -> Vec<(&str, Cow<'_, UnitSum>)> {
        capped(
            units.iter().map(|(n, u)| (n.as_str(), Cow::Borrowed(u))),
            cap,
            OTHER_UNITS,
        )
    }

    #[test]
    fn a_kept_unit_named_like_the_overflow_takes_the_overflow() {
        // Golmud's bulletin has a unit 其他单位 of its own.
        let all = units(&[
            ("甲", 100),
            (OTHER_UNITS, 63),
            ("乙", 50),
            ("丙", 3),
            ("丁", 1),
        ]);
        let out = capped_units(&all, 3);
        let names: Vec<&str> = out.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["甲", OTHER_UNITS]);
        let other = &out[1].1;
        assert_eq!(other.counts.assigned, 63 + 50 + 3 + 1);
        assert_eq!(other.counts.completed, 63 + 50 + 3 + 1);
        assert_eq!(other.handling.count, 63 + 50 + 3 + 1);
        assert_eq!(other.handling.sum_ms, (63 + 50 + 3 + 1) * 60_000);
        let total: Count = out.iter().map(|(_, u)| u.counts.assigned).sum();
        assert_eq!(total, 217);
        // The largest unit is exposed as it is, without a copy.
        assert!(matches!(out[0].1, Cow::Borrowed(u) if *u == all["甲"]));
    }

    #[test]
    fn a_folded_unit_named_like_the_overflow_lands_in_it() {
        let all = units(&[("甲", 100), ("乙", 50), (OTHER_UNITS, 5), ("丙", 3)]);
        let out = capped_units(&all, 3);
        let names: Vec<&str> = out.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["甲", "乙", OTHER_UNITS]);
        assert_eq!(out[2].1.counts.assigned, 5 + 3);
        assert_eq!(out[2].1.handling.count, 5 + 3);
    }

    #[test]
    fn the_overflow_is_added_when_no_unit_has_its_name() {
        let all = units(&[("甲", 100), ("乙", 50), ("丙", 3), ("丁", 1)]);
        let out = capped_units(&all, 3);
        let names: Vec<&str> = out.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["甲", "乙", OTHER_UNITS]);
        assert_eq!(out[2].1.counts.assigned, 3 + 1);
        assert_eq!(out[2].1.counts.completed, 3 + 1);
    }

    #[test]
    fn below_the_cap_units_are_borrowed_in_order() {
        let all = units(&[("乙", 50), (OTHER_UNITS, 1), ("甲", 100)]);
        let out = capped_units(&all, 3);
        let want: Vec<(&str, &UnitSum)> = all.iter().map(|(n, u)| (n.as_str(), u)).collect();
        assert_eq!(out.len(), want.len());
        for ((n, u), (wn, wu)) in out.iter().zip(want) {
            assert_eq!(*n, wn);
            assert!(
                matches!(u, Cow::Borrowed(b) if std::ptr::eq(*b, wu)),
                "{n} was copied"
            );
        }
    }

    #[test]
    fn counts_are_capped_by_size_then_label() {
        let counts = [("b", 5i64), ("a", 5), ("其他", 2), ("c", 1), ("d", 7)];
        let out = capped(counts.into_iter(), 3, "其他");
        assert_eq!(out, [("d", 7), ("a", 5), ("其他", 5 + 2 + 1)]);
        assert_eq!(capped(counts.into_iter(), 5, "其他"), counts);
    }
}
