//! The dashboards as generated: every panel and query variable reads the `$datasource`
//! variable, and the panels and table columns showing one thresholded ratio take their
//! threshold steps from deploy/config/assessment.toml.

use std::collections::BTreeSet;

use hotline_pulse::config::Assessment;

use crate::json::Json;

/// Which assessment threshold a ratio follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Threshold {
    Satisfaction,
    FirstTime,
    Instant,
}

impl Threshold {
    /// From a PromQL expression: the one thresholded ratio it reads, if exactly one.
    fn of_exprs<'a>(exprs: impl Iterator<Item = &'a str>) -> Option<Threshold> {
        let mut kinds = BTreeSet::new();
        let mut all = true;
        for e in exprs {
            let found: Vec<Threshold> = [
                ("satisfaction_ratio", Threshold::Satisfaction),
                ("first_time_resolution_ratio", Threshold::FirstTime),
                ("instant_resolution_ratio", Threshold::Instant),
            ]
            .into_iter()
            .filter(|(m, _)| e.contains(m))
            .map(|(_, k)| k)
            .collect();
            all &= !found.is_empty();
            kinds.extend(found);
        }
        (all && kinds.len() == 1).then(|| *kinds.iter().next().unwrap_or(&Threshold::Instant))
    }

    /// From a table column's display name.
    fn of_column(name: &str) -> Option<Threshold> {
        match name {
            "回访满意率" => Some(Threshold::Satisfaction),
            "一次办结率" => Some(Threshold::FirstTime),
            "即时办结率" => Some(Threshold::Instant),
            _ => None,
        }
    }

    /// The threshold values of the steps: the base step, then the threshold (for instant
    /// resolution `instant_below`, then `instant_above`).
    fn values(self, a: &Assessment) -> Vec<Json> {
        match self {
            Threshold::Satisfaction => vec![Json::Null, Json::num(a.satisfaction_below)],
            Threshold::FirstTime => vec![Json::Null, Json::num(a.first_time_below)],
            Threshold::Instant => vec![
                Json::Null,
                Json::num(a.instant_below),
                Json::num(a.instant_above),
            ],
        }
    }

    /// Sets the values of `steps` from `a`, keeping the colours the panel chose; steps of
    /// another shape are replaced: red below, (blue between,) green from the threshold.
    fn apply(self, a: &Assessment, steps: &mut Json) {
        let values = self.values(a);
        if steps.items().len() != values.len() {
            let colors: &[&str] = if values.len() == 3 {
                &["red", "blue", "green"]
            } else {
                &["red", "green"]
            };
            *steps = Json::Arr(
                colors
                    .iter()
                    .map(|c| {
                        Json::obj(&[("color", Json::Str((*c).to_owned())), ("value", Json::Null)])
                    })
                    .collect(),
            );
        }
        for (step, value) in steps.items_mut().iter_mut().zip(values) {
            match step.get_mut("value") {
                Some(v) => *v = value,
                None => {
                    if let Json::Obj(m) = step {
                        m.push(("value".to_owned(), value));
                    }
                }
            }
        }
    }
}

/// The `${datasource}` template variable every dashboard starts with.
pub fn datasource_variable() -> Json {
    Json::obj(&[
        ("current", Json::Obj(Vec::new())),
        (
            "description",
            Json::Str("The Prometheus that scrapes hotline-pulse (any uid).".to_owned()),
        ),
        ("hide", Json::Num(0.into())),
        ("includeAll", Json::Bool(false)),
        ("label", Json::Str("数据源".to_owned())),
        ("multi", Json::Bool(false)),
        ("name", Json::Str("datasource".to_owned())),
        ("options", Json::Arr(Vec::new())),
        ("query", Json::Str("prometheus".to_owned())),
        ("refresh", Json::Num(1.into())),
        ("regex", Json::Str(String::new())),
        ("skipUrlSync", Json::Bool(false)),
        ("type", Json::Str("datasource".to_owned())),
    ])
}

/// Every `"datasource": {"type": "prometheus", ...}` points at the `${datasource}` variable.
pub fn use_datasource_variable(j: &mut Json) {
    match j {
        Json::Obj(m) => {
            for (k, v) in m.iter_mut() {
                if k == "datasource" && v.get("type").and_then(Json::str) == Some("prometheus") {
                    if let Some(uid) = v.get_mut("uid") {
                        *uid = Json::Str("${datasource}".to_owned());
                    }
                } else {
                    use_datasource_variable(v);
                }
            }
        }
        Json::Arr(v) => v.iter_mut().for_each(use_datasource_variable),
        _ => {}
    }
}

pub fn for_each_panel(list: &mut Json, f: &mut dyn FnMut(&mut Json)) {
    for p in list.items_mut() {
        f(p);
        if let Some(nested) = p.get_mut("panels") {
            for_each_panel(nested, f);
        }
    }
}

/// A dashboard as the generator writes it: the datasource variable, and the thresholds of
/// every panel or table column showing one thresholded ratio set from `a`.
pub fn dashboard(a: &Assessment, text: &str) -> Result<String, String> {
    let mut dash = Json::parse(text)?;
    use_datasource_variable(&mut dash);
    let list = dash
        .at_mut(&["templating", "list"])
        .ok_or("no templating.list")?;
    if let Json::Arr(vars) = list {
        if !vars
            .iter()
            .any(|v| v.get("name").and_then(Json::str) == Some("datasource"))
        {
            vars.insert(0, datasource_variable());
        }
    }
    if let Some(panels) = dash.get_mut("panels") {
        for_each_panel(panels, &mut |panel| {
            let kind = Threshold::of_exprs(
                panel
                    .get("targets")
                    .map(Json::items)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|t| t.get("expr").and_then(Json::str)),
            );
            if let (Some(kind), Some(steps)) = (
                kind,
                panel.at_mut(&["fieldConfig", "defaults", "thresholds", "steps"]),
            ) {
                kind.apply(a, steps);
            }
            let overrides = panel.at_mut(&["fieldConfig", "overrides"]);
            for o in overrides.map(Json::items_mut).unwrap_or_default() {
                let column = o
                    .at(&["matcher", "options"])
                    .and_then(Json::str)
                    .and_then(Threshold::of_column);
                let Some(kind) = column else { continue };
                for p in o
                    .get_mut("properties")
                    .map(Json::items_mut)
                    .unwrap_or_default()
                {
                    if p.get("id").and_then(Json::str) == Some("thresholds") {
                        if let Some(steps) = p.at_mut(&["value", "steps"]) {
                            kind.apply(a, steps);
                        }
                    }
                }
            }
        });
    }
    Ok(dash.pretty())
}
