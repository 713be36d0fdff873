//! The files of deploy/ that are derived from others, and the generator that writes them:
//! the recording rules that depend on deploy/config/assessment.toml (the 基本满意 weight,
//! `min_assigned`, the score weights), the dashboards' datasource variable and thresholds
//! (from the same file), and the Helm chart's copies of the rules, dashboards and config.
//!
//! `scripts/gen-deploy.sh` (`HOTLINE_REGENERATE=1`) rewrites them; without it the test
//! fails naming every file that disagrees with its source, so a change of assessment.toml
//! cannot leave the rules, dashboards or chart behind.

use std::collections::BTreeSet;
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use hotline_pulse::config::Assessment;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn deploy(rel: &str) -> PathBuf {
    repo().join("deploy").join(rel)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn sorted_files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn assessment() -> Assessment {
    Assessment::load(&deploy("config/assessment.toml")).unwrap_or_else(|e| panic!("{e}"))
}

/// The chart that carries copies of the rules, dashboards and config.
const CHART: &str = "helm/hotline-pulse";

// ---------------------------------------------------------------------------------------
// Recording rules

/// A number as PromQL and prose read it (`0.2`, `1`, `10`).
fn num(v: f64) -> String {
    format!("{v}")
}

/// The satisfaction ratio from summed callbacks, at the unit or the centre level.
fn satisfaction_rule(record: &str, by: &str, callbacks: &str, valid: &str, w: f64) -> String {
    let part = |result: &str| {
        format!("(sum by ({by}) ({callbacks}{{result=\"{result}\"}}) or 0 * {valid})")
    };
    let mut out = String::new();
    let _ = writeln!(out, "      - record: {record}");
    let _ = writeln!(out, "        expr: |");
    let _ = writeln!(out, "          (");
    let _ = writeln!(out, "            {}", part("satisfied"));
    let _ = writeln!(
        out,
        "            + {} * {}",
        num(w),
        part("basically_satisfied")
    );
    let _ = writeln!(out, "          )");
    let _ = writeln!(out, "          / ({valid} > 0)");
    out
}

/// The unit block: satisfaction, assessment and the composite score, from summed counts.
fn unit_block(a: &Assessment) -> String {
    let w = &a.score_weights;
    let weights = [
        (
            "completion",
            w.completion,
            "hotline:unit_completion_ratio:monthly",
        ),
        ("on_time", w.on_time, "hotline:unit_on_time_ratio:monthly"),
        (
            "satisfaction",
            w.satisfaction,
            "hotline:unit_satisfaction_ratio:monthly",
        ),
        (
            "first_time_resolution",
            w.first_time_resolution,
            "hotline:unit_first_time_resolution_ratio:monthly",
        ),
        (
            "instant_resolution",
            w.instant_resolution,
            "hotline:unit_instant_resolution_ratio:monthly",
        ),
    ];
    let by = "center, unit, month";
    let mut out = String::new();
    let _ = writeln!(
        out,
        "      # Satisfaction (回访满意率) from the summed callbacks: (satisfied + {} × basically\n      \
         # satisfied) / valid callbacks (assessment.basically_satisfied_weight).",
        num(a.basically_satisfied_weight)
    );
    out.push_str(&satisfaction_rule(
        "hotline:unit_satisfaction_ratio:monthly",
        by,
        "hotline:unit_callbacks:sum",
        "hotline:unit_callbacks_valid:sum",
        a.basically_satisfied_weight,
    ));
    let _ = writeln!(
        out,
        "      # Assessed (纳入考核): at least {} assigned orders in the month, summed over every\n      \
         # instance (assessment.min_assigned); 1 or 0.",
        a.min_assigned
    );
    let _ = writeln!(out, "      - record: hotline:unit_assessed");
    let _ = writeln!(
        out,
        "        expr: hotline:unit_orders_assigned:sum >= bool {}",
        a.min_assigned
    );
    let used: Vec<_> = weights.iter().filter(|(_, w, _)| *w > 0.0).collect();
    let listed: Vec<String> = used
        .iter()
        .map(|(name, w, _)| format!("{name} {}", num(*w)))
        .collect();
    let _ = writeln!(
        out,
        "      # Composite score (综合得分): 100 × Σ wᵢ·ratioᵢ / Σ wᵢ over the ratios the unit has,\n      \
         # each ratio recomputed from summed counts above; a ratio of weight 0 is left out.\n      \
         # assessment.score_weights: {}.",
        listed.join(", ")
    );
    let _ = writeln!(out, "      - record: hotline:unit_score");
    let _ = writeln!(out, "        expr: |");
    let terms = |value: &dyn Fn(f64, &str) -> String| -> String {
        let mut s = String::new();
        for (i, (name, w, ratio)) in used.iter().enumerate() {
            let lead = if i == 0 { "  " } else { "or" };
            let _ = writeln!(
                s,
                "              {lead} label_replace({}, \"ratio\", \"{name}\", \"\", \"\")",
                value(*w, ratio)
            );
        }
        s
    };
    let _ = writeln!(out, "          100 * (");
    let _ = writeln!(out, "            sum by ({by}) (");
    out.push_str(&terms(&|w, r| format!("{} * {r}", num(w))));
    let _ = writeln!(out, "            )");
    let _ = writeln!(out, "            /");
    let _ = writeln!(out, "            sum by ({by}) (");
    out.push_str(&terms(&|w, r| format!("0 * {r} + {}", num(w))));
    let _ = writeln!(out, "            )");
    let _ = writeln!(out, "          )");
    out
}

/// The centre block: the centre's satisfaction ratio from its summed callbacks.
fn centre_block(a: &Assessment) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "      # Satisfaction of the centre from its summed callbacks, weight {} for 基本满意.",
        num(a.basically_satisfied_weight)
    );
    out.push_str(&satisfaction_rule(
        "hotline:satisfaction_ratio:monthly",
        "center, month",
        "hotline:callbacks:sum",
        "hotline:callbacks_valid:sum",
        a.basically_satisfied_weight,
    ));
    out
}

/// `text` with the lines between `# BEGIN GENERATED name` and `# END GENERATED name`
/// replaced by `body`.
fn replace_block(text: &str, name: &str, body: &str) -> Result<String, String> {
    let begin = format!("# BEGIN GENERATED {name}");
    let end = format!("# END GENERATED {name}");
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let b = lines
        .iter()
        .position(|l| l.trim_start().starts_with(&begin))
        .ok_or_else(|| format!("no `{begin}` line"))?;
    let e = lines
        .iter()
        .position(|l| l.trim_start().starts_with(&end))
        .filter(|&e| e > b)
        .ok_or_else(|| format!("no `{end}` line after `{begin}`"))?;
    let mut out: String = lines[..=b].concat();
    out.push_str(body);
    out.push_str(&lines[e..].concat());
    Ok(out)
}

fn recording_rules(a: &Assessment, text: &str) -> String {
    let text = replace_block(text, "unit-assessment", &unit_block(a))
        .and_then(|t| replace_block(&t, "centre-assessment", &centre_block(a)))
        .unwrap_or_else(|e| panic!("deploy/prometheus/rules/recording.yml: {e}"));
    text
}

/// The office's alerts on a threshold of the assessment: (alert, ratio it compares, value).
fn alert_thresholds(a: &Assessment) -> [(&'static str, &'static str, f64); 3] {
    [
        (
            "HotlineUnitSatisfactionLow",
            "hotline:unit_satisfaction_ratio:this_month < ",
            a.satisfaction_below,
        ),
        (
            "HotlineUnitFirstTimeResolutionLow",
            "hotline:unit_first_time_resolution_ratio:this_month < ",
            a.first_time_below,
        ),
        (
            "HotlineUnitInstantResolutionLow",
            "hotline:unit_instant_resolution_ratio:this_month < ",
            a.instant_below,
        ),
    ]
}

/// A ratio as the alerts' prose writes it: 0.95 → `95%`, 0.425 → `42.5%`.
fn percent(v: f64) -> String {
    format!("{}%", (v * 100_000.0).round() / 1000.0)
}

/// alerts.yml with each threshold alert comparing against the config's value, and its
/// summary and description quoting it. An alert whose value already agrees is left as
/// written (`0.70` stays `0.70`).
fn alerts(a: &Assessment, text: &str) -> Result<String, String> {
    let mut text = text.to_owned();
    for (alert, compare, value) in alert_thresholds(a) {
        let start = text
            .find(&format!("- alert: {alert}\n"))
            .ok_or_else(|| format!("no alert {alert}"))?;
        let end = text[start + 1..]
            .find("- alert: ")
            .map_or(text.len(), |e| start + 1 + e);
        let block = &text[start..end];
        let at = block
            .find(compare)
            .ok_or_else(|| format!("{alert}: its expr does not read `{compare}`"))?
            + compare.len();
        let old_text: String = block[at..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let old: f64 = old_text
            .parse()
            .map_err(|_| format!("{alert}: no number after `{compare}`"))?;
        if old == value {
            continue;
        }
        let new_block = format!(
            "{}{}{}",
            &block[..at],
            num(value),
            &block[at + old_text.len()..]
        )
        .replace(&percent(old), &percent(value));
        text.replace_range(start..end, &new_block);
    }
    Ok(text)
}

// ---------------------------------------------------------------------------------------
// Dashboards: JSON that keeps its key order (Grafana's export order), written the way the
// files are (two-space indent, UTF-8 unescaped), so that regenerating changes only what
// the generator means to change.

#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Num(serde_json::Number),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        match self {
            Json::Obj(m) => m.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    fn items(&self) -> &[Json] {
        match self {
            Json::Arr(v) => v,
            _ => &[],
        }
    }

    fn items_mut(&mut self) -> &mut [Json] {
        match self {
            Json::Arr(v) => v,
            _ => &mut [],
        }
    }

    fn at<'a>(&'a self, path: &[&str]) -> Option<&'a Json> {
        path.iter().try_fold(self, |j, k| j.get(k))
    }

    fn at_mut<'a>(&'a mut self, path: &[&str]) -> Option<&'a mut Json> {
        path.iter().try_fold(self, |j, k| j.get_mut(k))
    }

    fn num(v: f64) -> Json {
        serde_json::Number::from_f64(v).map_or(Json::Null, Json::Num)
    }

    fn obj(pairs: &[(&str, Json)]) -> Json {
        Json::Obj(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    fn parse(text: &str) -> Result<Json, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    fn pretty(&self) -> String {
        let mut out = String::new();
        self.write(0, &mut out);
        out.push('\n');
        out
    }

    fn write(&self, indent: usize, out: &mut String) {
        let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let pad = |n: usize| " ".repeat(n);
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Num(n) => out.push_str(&n.to_string()),
            Json::Str(s) => out.push_str(&quote(s)),
            Json::Arr(v) if v.is_empty() => out.push_str("[]"),
            Json::Obj(m) if m.is_empty() => out.push_str("{}"),
            Json::Arr(v) => {
                out.push_str("[\n");
                for (i, item) in v.iter().enumerate() {
                    out.push_str(&pad(indent + 2));
                    item.write(indent + 2, out);
                    out.push_str(if i + 1 < v.len() { ",\n" } else { "\n" });
                }
                out.push_str(&pad(indent));
                out.push(']');
            }
            Json::Obj(m) => {
                out.push_str("{\n");
                for (i, (k, v)) in m.iter().enumerate() {
                    out.push_str(&pad(indent + 2));
                    out.push_str(&quote(k));
                    out.push_str(": ");
                    v.write(indent + 2, out);
                    out.push_str(if i + 1 < m.len() { ",\n" } else { "\n" });
                }
                out.push_str(&pad(indent));
                out.push('}');
            }
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
        Ok(Json::Num(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
        Ok(Json::Num(n.into()))
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(n)
            .map(Json::Num)
            .ok_or_else(|| E::custom("a number that JSON cannot hold"))
    }
    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::Str(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::Str(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut v = Vec::new();
        while let Some(item) = seq.next_element()? {
            v.push(item);
        }
        Ok(Json::Arr(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut m = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            m.push((k, v));
        }
        Ok(Json::Obj(m))
    }
}

/// Which assessment threshold a ratio follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Threshold {
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
fn datasource_variable() -> Json {
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
fn use_datasource_variable(j: &mut Json) {
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

fn for_each_panel(list: &mut Json, f: &mut dyn FnMut(&mut Json)) {
    for p in list.items_mut() {
        f(p);
        if let Some(nested) = p.get_mut("panels") {
            for_each_panel(nested, f);
        }
    }
}

/// A dashboard as the generator writes it: the datasource variable, and the thresholds of
/// every panel or table column showing one thresholded ratio set from `a`.
fn dashboard(a: &Assessment, text: &str) -> Result<String, String> {
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

// ---------------------------------------------------------------------------------------
// The generated files

/// Every generated file with the content it must have.
fn expected_files(a: &Assessment) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let recording = deploy("prometheus/rules/recording.yml");
    out.push((recording.clone(), recording_rules(a, &read(&recording))));
    let alerts_file = deploy("prometheus/rules/alerts.yml");
    let alerts_text = alerts(a, &read(&alerts_file)).unwrap_or_else(|e| panic!("alerts.yml: {e}"));
    out.push((alerts_file.clone(), alerts_text));
    for path in sorted_files(&deploy("grafana/dashboards"), "json") {
        let text = dashboard(a, &read(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out.push((path, text));
    }
    // The chart's copies, of the files as generated.
    let copies: Vec<(PathBuf, String)> = out
        .iter()
        .map(|(path, text)| {
            let name = path.file_name().unwrap_or_default();
            let sub = if path.extension().is_some_and(|e| e == "json") {
                "dashboards"
            } else {
                "rules"
            };
            (
                deploy(CHART).join("files").join(sub).join(name),
                text.clone(),
            )
        })
        .collect();
    out.extend(copies);
    for path in sorted_files(&deploy("prometheus/rules"), "yml") {
        if path != recording && path != alerts_file {
            let copy = deploy(CHART)
                .join("files/rules")
                .join(path.file_name().unwrap_or_default());
            out.push((copy, read(&path)));
        }
    }
    for file in ["assessment.toml", "units.toml"] {
        out.push((
            deploy(CHART).join("files/config").join(file),
            read(&deploy("config").join(file)),
        ));
    }
    out
}

#[test]
fn generated_files_follow_their_sources() {
    let regenerate = std::env::var_os("HOTLINE_REGENERATE").is_some_and(|v| v == "1");
    let expected = expected_files(&assessment());
    let mut stale = Vec::new();
    for (path, text) in &expected {
        if std::fs::read_to_string(path).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        if regenerate {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
            }
            std::fs::write(path, text)
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
            println!("wrote {}", path.display());
        } else {
            stale.push(
                path.strip_prefix(repo())
                    .unwrap_or(path)
                    .display()
                    .to_string(),
            );
        }
    }
    // No copy in the chart that nothing generates any more.
    let wanted: BTreeSet<&PathBuf> = expected.iter().map(|(p, _)| p).collect();
    for (sub, ext) in [("rules", "yml"), ("dashboards", "json"), ("config", "toml")] {
        for path in sorted_files(&deploy(CHART).join("files").join(sub), ext) {
            if !wanted.contains(&path) {
                if regenerate {
                    std::fs::remove_file(&path)
                        .unwrap_or_else(|e| panic!("cannot remove {}: {e}", path.display()));
                } else {
                    stale.push(format!("{} (no longer generated)", path.display()));
                }
            }
        }
    }
    assert!(
        stale.is_empty(),
        "out of date with deploy/config/assessment.toml or their source, run scripts/gen-deploy.sh:\n{}",
        stale.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// The generator follows the config (a different config gives different files).

fn other_assessment() -> Assessment {
    Assessment::parse(
        "[assessment]\nmin_assigned = 5\nbasically_satisfied_weight = 0.5\n\
         satisfaction_below = 0.9\nfirst_time_below = 0.6\ninstant_above = 0.8\ninstant_below = 0.3\n\
         [assessment.score_weights]\ncompletion = 0.5\non_time = 0\nsatisfaction = 0.25\n\
         first_time_resolution = 0.25\ninstant_resolution = 0\n",
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn recording_rules_follow_min_assigned_and_the_weights() {
    let text = recording_rules(
        &other_assessment(),
        &read(&deploy("prometheus/rules/recording.yml")),
    );
    assert!(text.contains("expr: hotline:unit_orders_assigned:sum >= bool 5\n"));
    assert!(text.contains("0.5 * (sum by (center, unit, month) (hotline:unit_callbacks:sum{result=\"basically_satisfied\"})"));
    assert!(text.contains(
        "0.5 * (sum by (center, month) (hotline:callbacks:sum{result=\"basically_satisfied\"})"
    ));
    assert!(text.contains("label_replace(0.5 * hotline:unit_completion_ratio:monthly, \"ratio\", \"completion\", \"\", \"\")"));
    assert!(text.contains("label_replace(0 * hotline:unit_satisfaction_ratio:monthly + 0.25, \"ratio\", \"satisfaction\", \"\", \"\")"));
    // Weight 0: the ratio takes no part in the score at all.
    assert!(!text.contains("\"on_time\""), "{text}");
    assert!(!text.contains("\"instant_resolution\""), "{text}");
    // Only the generated blocks differ from the checked-in file.
    let checked_in = read(&deploy("prometheus/rules/recording.yml"));
    let outside = |t: &str| {
        let mut keep = true;
        let mut out = String::new();
        for l in t.lines() {
            if l.trim_start().starts_with("# END GENERATED") {
                keep = true;
            }
            if keep {
                out.push_str(l);
                out.push('\n');
            }
            if l.trim_start().starts_with("# BEGIN GENERATED") {
                keep = false;
            }
        }
        out
    };
    assert_eq!(outside(&text), outside(&checked_in));
}

#[test]
fn alert_thresholds_follow_the_config() {
    let text = alerts(
        &other_assessment(),
        &read(&deploy("prometheus/rules/alerts.yml")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rules: serde_yaml::Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let alert = |name: &str| {
        rules["groups"]
            .as_sequence()
            .into_iter()
            .flatten()
            .flat_map(|g| g["rules"].as_sequence().into_iter().flatten())
            .find(|r| r["alert"].as_str() == Some(name))
            .cloned()
            .unwrap_or_else(|| panic!("no alert {name}"))
    };
    for (name, compare, pct) in [
        (
            "HotlineUnitSatisfactionLow",
            "satisfaction_ratio:this_month < 0.9)",
            "90%",
        ),
        (
            "HotlineUnitFirstTimeResolutionLow",
            "first_time_resolution_ratio:this_month < 0.6)",
            "60%",
        ),
        (
            "HotlineUnitInstantResolutionLow",
            "instant_resolution_ratio:this_month < 0.3)",
            "30%",
        ),
    ] {
        let rule = alert(name);
        let expr = rule["expr"].as_str().unwrap_or("");
        assert!(expr.contains(compare), "{name}: {expr}");
        let summary = rule["annotations"]["summary"].as_str().unwrap_or("");
        assert!(
            summary.contains(pct),
            "{name}: the summary does not quote {pct}: {summary}"
        );
        for key in ["summary", "description"] {
            let prose = rule["annotations"][key].as_str().unwrap_or("");
            for old in ["95%", "70%", "40%"] {
                assert!(
                    !prose.contains(old),
                    "{name} {key} still quotes {old}: {prose}"
                );
            }
        }
    }
    assert_eq!(percent(0.425), "42.5%");
}

#[test]
fn dashboard_thresholds_follow_the_config() {
    let text = dashboard(
        &other_assessment(),
        &read(&deploy("grafana/dashboards/unit-scoreboard.json")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let dash = Json::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let mut seen = BTreeSet::new();
    let mut list = dash.get("panels").cloned().unwrap_or(Json::Null);
    for_each_panel(&mut list, &mut |panel| {
        let values = |steps: Option<&Json>| -> Vec<String> {
            steps
                .map(Json::items)
                .unwrap_or_default()
                .iter()
                .map(|s| match s.get("value") {
                    Some(Json::Num(n)) => n.to_string(),
                    _ => "base".to_owned(),
                })
                .collect()
        };
        let title = panel.get("title").and_then(Json::str).unwrap_or("");
        let steps = values(panel.at(&["fieldConfig", "defaults", "thresholds", "steps"]));
        match title {
            "回访满意率（由低到高）" => assert_eq!(steps, ["base", "0.9"]),
            "一次办结率（由低到高）" => assert_eq!(steps, ["base", "0.6"]),
            "即时办结率（由高到低）" => assert_eq!(steps, ["base", "0.3", "0.8"]),
            _ => {}
        }
        for o in panel
            .at(&["fieldConfig", "overrides"])
            .map(Json::items)
            .unwrap_or_default()
        {
            let column = o
                .at(&["matcher", "options"])
                .and_then(Json::str)
                .unwrap_or("");
            let steps = values(o.get("properties").and_then(|p| {
                p.items()
                    .iter()
                    .find(|p| p.get("id").and_then(Json::str) == Some("thresholds"))
                    .and_then(|p| p.at(&["value", "steps"]))
            }));
            let expected: &[&str] = match column {
                "回访满意率" => &["base", "0.9"],
                "一次办结率" => &["base", "0.6"],
                "即时办结率" => &["base", "0.3", "0.8"],
                _ => continue,
            };
            assert_eq!(steps, expected, "column {column}");
            seen.insert(column.to_owned());
        }
        if !steps.is_empty() && steps != ["base"] {
            seen.insert(title.to_owned());
        }
    });
    for must in [
        "回访满意率",
        "一次办结率",
        "即时办结率",
        "回访满意率（由低到高）",
    ] {
        assert!(seen.contains(must), "{must} was not thresholded: {seen:?}");
    }
}

#[test]
fn every_dashboard_uses_the_datasource_variable() {
    for path in sorted_files(&deploy("grafana/dashboards"), "json") {
        let text = read(&path);
        assert!(
            !text.contains("\"uid\": \"prometheus\""),
            "{} still names the datasource uid `prometheus`",
            path.display()
        );
        let dash = Json::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        let var = dash
            .at(&["templating", "list"])
            .map(Json::items)
            .unwrap_or_default()
            .iter()
            .find(|v| v.get("name").and_then(Json::str) == Some("datasource"))
            .cloned()
            .unwrap_or_else(|| panic!("{} has no $datasource variable", path.display()));
        assert_eq!(var.get("type").and_then(Json::str), Some("datasource"));
        assert_eq!(var.get("query").and_then(Json::str), Some("prometheus"));
    }
}

#[test]
fn json_round_trips_byte_for_byte() {
    let text = "{\n  \"b\": [],\n  \"a\": {\n    \"z\": 0.95,\n    \"y\": [\n      1,\n      null,\n      \"市 \\\"x\\\"\\n\"\n    ]\n  },\n  \"c\": {}\n}\n";
    assert_eq!(Json::parse(text).map(|j| j.pretty()), Ok(text.to_owned()));
}
