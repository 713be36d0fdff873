//! The analysis of one order and the cells, on hand-made facts.

use super::*;
use crate::event::Channel;

const TOPIC: LabelId = 7;
const CATEGORY: LabelId = 3;
const UNIT: LabelId = 11;
// 2023-01-31T23:30:00+08:00: the 31st locally, the 31st in UTC too; and
// 2023-01-01T01:00:00+08:00, which is still December 31st in UTC.
const JAN_31: Millis = 1_675_179_000_000;
const JAN_1_EARLY: Millis = 1_672_506_000_000;

fn record(purpose: Purpose, disposition: Disposition, topic: Option<LabelId>) -> Record {
    Record {
        channel: Channel::Phone,
        purpose,
        disposition,
        category: CATEGORY,
        topic,
        unit: None,
    }
}

fn callback(satisfaction: Satisfaction, resolved: Option<bool>) -> Option<CallbackFact> {
    Some(CallbackFact {
        satisfaction,
        resolved,
        unit: Some(UNIT),
    })
}

#[test]
fn the_problem_is_the_topic_else_the_category() {
    let tz = TimeZone::CHINA;
    let with_topic = Facts {
        record: Some((
            JAN_31,
            record(Purpose::Complaint, Disposition::Dispatch, Some(TOPIC)),
        )),
        ..Facts::default()
    };
    assert_eq!(
        contribution(&with_topic, tz).problem,
        Some(Problem::Topic(TOPIC))
    );
    let without = Facts {
        record: Some((
            JAN_31,
            record(Purpose::Complaint, Disposition::Dispatch, None),
        )),
        ..Facts::default()
    };
    assert_eq!(
        contribution(&without, tz).problem,
        Some(Problem::Category(CATEGORY))
    );
    assert_eq!(contribution(&Facts::default(), tz), Analysis::default());
}

#[test]
fn the_day_is_the_local_day() {
    let f = |at| Facts {
        record: Some((at, record(Purpose::Help, Disposition::DirectAnswer, None))),
        ..Facts::default()
    };
    assert_eq!(contribution(&f(JAN_31), TimeZone::CHINA).day, Some(31));
    assert_eq!(contribution(&f(JAN_1_EARLY), TimeZone::CHINA).day, Some(1));
}

#[test]
fn unsatisfied_callbacks_keep_their_unit_and_resolved_as_given() {
    let tz = TimeZone::CHINA;
    let f = |satisfaction, resolved| Facts {
        callback: callback(satisfaction, resolved),
        ..Facts::default()
    };
    let a = contribution(&f(Satisfaction::Unsatisfied, Some(false)), tz);
    assert!(a.unsatisfied && a.unresolved);
    assert_eq!(a.unsatisfied_unit, Some(UNIT));
    let a = contribution(&f(Satisfaction::Unsatisfied, None), tz);
    assert!(
        a.unsatisfied && !a.unresolved,
        "resolved not said is not false"
    );
    let a = contribution(&f(Satisfaction::Satisfied, Some(false)), tz);
    assert!(!a.unsatisfied && a.unresolved);
    assert_eq!(a.unsatisfied_unit, None);
}

#[test]
fn not_first_time_means_dispatched_and_returned_or_reopened() {
    let tz = TimeZone::CHINA;
    let f = |dispatched, again| Facts {
        dispatched,
        returned_or_reopened: again,
        ..Facts::default()
    };
    assert!(contribution(&f(true, true), tz).not_first_time);
    assert!(!contribution(&f(true, false), tz).not_first_time);
    assert!(!contribution(&f(false, true), tz).not_first_time);
}

#[test]
fn consultations_not_answered_are_dispatched_consultations() {
    let tz = TimeZone::CHINA;
    let f = |p, d| Facts {
        record: Some((JAN_31, record(p, d, None))),
        ..Facts::default()
    };
    let yes = |p, d| contribution(&f(p, d), tz).consultation_not_answered;
    assert!(yes(Purpose::Consultation, Disposition::Dispatch));
    assert!(!yes(Purpose::Consultation, Disposition::DirectAnswer));
    assert!(!yes(Purpose::Consultation, Disposition::Invalid));
    assert!(!yes(Purpose::Complaint, Disposition::Dispatch));
}

#[test]
fn cells_add_and_take_back() {
    let cells = AnalysisCells::default();
    let a = Analysis {
        day: Some(31),
        problem: Some(Problem::Topic(TOPIC)),
        unsatisfied: true,
        unsatisfied_unit: Some(UNIT),
        unresolved: true,
        not_first_time: true,
        consultation_not_answered: false,
    };
    cells.update(&Analysis::default(), &a);
    let mut sum = AnalysisSum::default();
    cells.add_to(&mut sum);
    assert_eq!(sum.records_by_day[30], 1);
    assert_eq!((sum.unsatisfied.total, sum.unsatisfied.unresolved), (1, 1));
    assert_eq!(sum.unsatisfied.by_problem[&Problem::Topic(TOPIC)], 1);
    assert_eq!(sum.unsatisfied_by_unit[&(Problem::Topic(TOPIC), UNIT)], 1);
    assert_eq!(sum.not_first_time.total, 1);
    assert_eq!(sum.consultations_not_answered.total, 0);

    // The callback turns satisfied: the order leaves the unsatisfied counts.
    let b = Analysis {
        unsatisfied: false,
        unsatisfied_unit: None,
        unresolved: false,
        ..a
    };
    cells.update(&a, &b);
    let mut sum = AnalysisSum::default();
    cells.add_to(&mut sum);
    assert_eq!(sum.unsatisfied, Counted::default());
    assert!(sum.unsatisfied_by_unit.is_empty(), "no zero keys left");
    assert_eq!(sum.not_first_time.unresolved, 0);

    cells.update(&b, &Analysis::default());
    let mut sum = AnalysisSum::default();
    cells.add_to(&mut sum);
    assert_eq!(sum, AnalysisSum::default());
}
