//! The metric families the engine collector renders: names, help, labels, types
//! (`shared/spec/metrics.md`, plus `hotline_unit_late_extensions` and the bulletin's
//! `hotline_callbacks_unsatisfied_by_problem`).

use prometheus::proto::MetricType;

/// Families this collector renders: (name, help, labels, type).
pub(super) const FAMILIES: &[(&str, &str, &[&str], MetricType)] = {
    use MetricType::{COUNTER as C, GAUGE as G, HISTOGRAM as H};
    const U: &[&str] = &["center", "unit", "month"];
    const UR: &[&str] = &["center", "unit", "month", "result"];
    const UQ: &[&str] = &["center", "unit", "month", "quantile"];
    const L: &[&str] = &["center", "unit"];
    const M: &[&str] = &["center", "month"];
    &[
        ("hotline_unit_orders_assigned", "Orders assigned to the unit and not returned by it (工单量), by cohort month.", U, G),
        ("hotline_unit_orders_completed", "Assigned orders the unit completed (办结量).", U, G),
        ("hotline_unit_orders_completed_on_time", "Orders completed at or before the effective deadline (按时办结).", U, G),
        ("hotline_unit_orders_overdue", "Assignments that missed their effective deadline (超期工单).", U, G),
        ("hotline_unit_orders_returned", "Orders the unit returned (退回), once per order.", U, G),
        ("hotline_unit_orders_reopened", "Orders reopened at the unit (重办).", U, G),
        ("hotline_unit_orders_first_time_resolved", "Completed orders never returned nor reopened (一次办结).", U, G),
        ("hotline_unit_late_extensions", "Extensions requested after the deadline they would extend (not applied).", U, G),
        ("hotline_unit_callbacks", "Valid callbacks rating the unit (回访), latest per order, by result.", UR, G),
        ("hotline_unit_callbacks_resolved", "Valid callbacks where the citizen says the problem is solved (解决).", U, G),
        ("hotline_unit_consultations", "Valid consultations naming the unit (咨询).", U, G),
        ("hotline_unit_consultations_answered_directly", "Consultations naming the unit answered at the desk (即时办结).", U, G),
        ("hotline_unit_completion_ratio", "completed / assigned (办结率).", U, G),
        ("hotline_unit_on_time_ratio", "completed_on_time / completed (按时办结率).", U, G),
        ("hotline_unit_satisfaction_ratio", "(satisfied + w x basically_satisfied) / valid callbacks (回访满意率).", U, G),
        ("hotline_unit_resolution_ratio", "callbacks_resolved / valid callbacks (解决率).", U, G),
        ("hotline_unit_first_time_resolution_ratio", "first_time_resolved / completed (一次办结率).", U, G),
        ("hotline_unit_return_ratio", "returned / (assigned + returned) (回退率).", U, G),
        ("hotline_unit_instant_resolution_ratio", "consultations answered directly / consultations (即时办结率).", U, G),
        ("hotline_unit_assessed", "1 if the unit has enough assigned orders to be assessed this month (纳入考核), else 0.", U, G),
        ("hotline_unit_score", "Composite monthly score 0-100 (hotline-pulse's own default weights, configurable).", U, G),
        ("hotline_unit_handling_duration_seconds", "Handling time from the dispatch that opened the assignment to its completion (办理时长).", U, H),
        ("hotline_unit_handling_duration_quantile_seconds", "Handling-time quantiles from an HDR histogram.", UQ, G),
        ("hotline_unit_orders_open", "Orders open at the unit now.", L, G),
        ("hotline_unit_orders_open_overdue", "Open orders past their deadline now.", L, G),
        ("hotline_unit_orders_due_soon", "Open orders whose deadline is within the warning window.", L, G),
        ("hotline_records", "Records taken in (受理), by channel, purpose and disposition.", &["center", "month", "channel", "purpose", "disposition"], G),
        ("hotline_records_by_category", "Valid records by appeal category (诉求分类).", &["center", "month", "category"], G),
        ("hotline_orders_dispatched", "Orders dispatched to a unit (转派工单).", M, G),
        ("hotline_orders_completed", "Dispatched orders whose every held assignment is completed (已办结).", M, G),
        ("hotline_orders_overdue", "Orders with an overdue assignment, by the purpose of their record (逾期).", &["center", "month", "purpose"], G),
        ("hotline_orders_first_time_resolved", "Completed orders never returned nor reopened (一次办结).", M, G),
        ("hotline_callbacks", "Orders with a valid callback, by the latest result (回访).", &["center", "month", "result"], G),
        ("hotline_completion_ratio", "Centre completed / dispatched (办结率).", M, G),
        ("hotline_satisfaction_ratio", "Centre callback satisfaction (回访满意率).", M, G),
        ("hotline_first_time_resolution_ratio", "Centre first-time resolved / completed (一次办结率).", M, G),
        ("hotline_instant_resolution_ratio", "Centre consultations answered at the desk / valid consultations (即时办结率).", M, G),
        ("hotline_overdue_ratio", "Overdue orders / valid records, by purpose (逾期占比).", &["center", "month", "purpose"], G),
        ("hotline_callbacks_unsatisfied_by_problem", "Orders whose latest valid callback is unsatisfied, by problem: the record's topic, else its category (不满意办件的主要问题; bounded by the topic and category label caps).", &["center", "month", "problem"], G),
        ("hotline_events_total", "Events applied, by type.", &["type"], C),
        ("hotline_events_rejected_total", "Messages rejected as bad input, by reason.", &["reason"], C),
        ("hotline_events_duplicate_total", "Events whose event_id was already applied to their order.", &[], C),
        ("hotline_events_late_total", "Events dropped because their month left the retention window.", &[], C),
        ("hotline_unknown_units_total", "Applied events naming a unit the unit registry does not know.", &[], C),
        ("hotline_orders_tracked", "Orders held in memory.", &[], G),
        ("hotline_watermark_timestamp_seconds", "Largest event time seen.", &[], G),
        ("hotline_build_info", "Build information; always 1.", &["version"], G),
    ]
};
