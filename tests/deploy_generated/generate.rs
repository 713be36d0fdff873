//! The generator: the files of deploy/ derived from deploy/config/assessment.toml (the
//! assessment blocks of the recording rules, the office alerts' thresholds; the
//! dashboards' in dashboards.rs) and the Helm chart's copies, with what they must hold.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use hotline_pulse::config::Assessment;

use crate::dashboards::dashboard;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn deploy(rel: &str) -> PathBuf {
    repo().join("deploy").join(rel)
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

pub fn sorted_files(dir: &Path, ext: &str) -> Vec<PathBuf> {
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

pub fn assessment() -> Assessment {
    Assessment::load(&deploy("config/assessment.toml")).unwrap_or_else(|e| panic!("{e}"))
}

/// The chart that carries copies of the rules, dashboards and config.
pub const CHART: &str = "helm/hotline-pulse";

// ---------------------------------------------------------------------------------------
// Recording rules

/// A number as PromQL and prose read it (`0.2`, `1`, `10`).
pub fn num(v: f64) -> String {
    format!("{v}")
}

/// The satisfaction ratio from summed callbacks, at the unit or the centre level.
pub fn satisfaction_rule(record: &str, by: &str, callbacks: &str, valid: &str, w: f64) -> String {
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
pub fn unit_block(a: &Assessment) -> String {
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
pub fn centre_block(a: &Assessment) -> String {
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
pub fn replace_block(text: &str, name: &str, body: &str) -> Result<String, String> {
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

pub fn recording_rules(a: &Assessment, text: &str) -> String {
    let text = replace_block(text, "unit-assessment", &unit_block(a))
        .and_then(|t| replace_block(&t, "centre-assessment", &centre_block(a)))
        .unwrap_or_else(|e| panic!("deploy/prometheus/rules/recording.yml: {e}"));
    text
}

/// The office's alerts on a threshold of the assessment: (alert, ratio it compares, value).
pub fn alert_thresholds(a: &Assessment) -> [(&'static str, &'static str, f64); 3] {
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
pub fn percent(v: f64) -> String {
    format!("{}%", (v * 100_000.0).round() / 1000.0)
}

/// alerts.yml with each threshold alert comparing against the config's value, and its
/// summary and description quoting it. An alert whose value already agrees is left as
/// written (`0.70` stays `0.70`).
pub fn alerts(a: &Assessment, text: &str) -> Result<String, String> {
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
// The generated files

/// Every generated file with the content it must have.
pub fn expected_files(a: &Assessment) -> Vec<(PathBuf, String)> {
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
