//! The Prometheus side of deploy/: promtool accepts the config and the rule files, the
//! rule unit tests pass, every alert is tested both firing and silent, and the rules use
//! only the metric contract and recorded series that exist.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::prom;

/// Runs promtool with `args` from the repository root; panics with its output unless it
/// exits 0. A missing promtool is a failure, not a skip.
fn promtool(args: &[&str]) -> String {
    let out = match Command::new("promtool")
        .args(args)
        .current_dir(prom::repo_root())
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "`promtool` is not on PATH. Run the project's test script (.ci/run), which installs \
             Debian's `prometheus` package (apt-get install prometheus) that ships promtool."
        ),
        Err(e) => panic!("cannot run promtool: {e}"),
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "promtool {} failed ({}):\n{text}",
        args.join(" "),
        out.status
    );
    text
}

fn relative(path: &Path) -> String {
    path.strip_prefix(prom::repo_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn alerts_file() -> PathBuf {
    prom::deploy_dir().join("prometheus/rules/alerts.yml")
}

fn rule_test_files() -> Vec<PathBuf> {
    prom::files_with_ext(&prom::deploy_dir().join("prometheus/tests"), "yml")
}

/// Every alerting rule: name → rule.
fn alerts() -> BTreeMap<String, serde_yaml::Value> {
    prom::rules(&alerts_file())
        .into_iter()
        .filter_map(|(_, r)| Some((r["alert"].as_str()?.to_owned(), r)))
        .collect()
}

#[test]
fn prometheus_config_is_valid() {
    // promtool resolves rule_files relative to the config file, so this checks the rules
    // that docker-compose's Prometheus will load, too.
    let out = promtool(&["check", "config", "deploy/prometheus/prometheus.yml"]);
    assert!(
        out.contains("rule files found"),
        "prometheus.yml loads no rule files:\n{out}"
    );
}

#[test]
fn rule_files_are_valid() {
    let files = prom::rule_files();
    let names: Vec<String> = files.iter().map(|f| relative(f)).collect();
    for expected in ["recording.yml", "alerts.yml"] {
        assert!(
            names.iter().any(|n| n.ends_with(expected)),
            "deploy/prometheus/rules/{expected} is missing: {names:?}"
        );
    }
    for name in &names {
        promtool(&["check", "rules", name]);
    }
}

#[test]
fn rule_unit_tests_pass() {
    let files: Vec<String> = rule_test_files().iter().map(|f| relative(f)).collect();
    assert!(
        !files.is_empty(),
        "no promtool tests in deploy/prometheus/tests"
    );
    let mut args = vec!["test", "rules"];
    args.extend(files.iter().map(String::as_str));
    promtool(&args);
}

#[test]
fn every_alert_is_tested_firing_and_silent() {
    let alerts = alerts();
    assert!(!alerts.is_empty(), "alerts.yml defines no alert");
    let mut firing = BTreeSet::new();
    let mut silent = BTreeSet::new();
    for file in rule_test_files() {
        let doc = prom::load_yaml(&file);
        for test in doc["tests"].as_sequence().into_iter().flatten() {
            for case in test["alert_rule_test"].as_sequence().into_iter().flatten() {
                let Some(name) = case["alertname"].as_str() else {
                    continue;
                };
                let expected = case["exp_alerts"].as_sequence().map_or(0, Vec::len);
                if expected > 0 {
                    firing.insert(name.to_owned());
                } else {
                    silent.insert(name.to_owned());
                }
            }
        }
    }
    let mut problems = Vec::new();
    for name in alerts.keys() {
        if !firing.contains(name) {
            problems.push(format!(
                "{name}: no promtool test where it fires (non-empty exp_alerts)"
            ));
        }
        if !silent.contains(name) {
            problems.push(format!(
                "{name}: no promtool test where it must not fire (empty exp_alerts)"
            ));
        }
    }
    for name in firing.union(&silent) {
        if !alerts.contains_key(name) {
            problems.push(format!("{name}: tested but not defined in alerts.yml"));
        }
    }
    assert!(
        problems.is_empty(),
        "alert test coverage:\n{}",
        problems.join("\n")
    );
}

/// The text with its `{{ ... }}` template actions removed.
fn without_templates(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .split_once("}}")
            .map_or("", |(_, after)| after);
    }
    out.push_str(rest);
    out
}

#[test]
fn every_alert_has_severity_annotations_and_a_runbook() {
    let runbook = std::fs::read_to_string(prom::repo_root().join("docs/deploy.md"))
        .expect("docs/deploy.md holds the alert runbook");
    // GitHub's anchor of a heading made of one alert name is the name in lower case.
    let anchors: BTreeSet<String> = runbook
        .lines()
        .filter_map(|l| l.strip_prefix('#'))
        .map(|h| h.trim_start_matches('#').trim().to_lowercase())
        .collect();
    let mut problems = Vec::new();
    for (name, rule) in alerts() {
        let severity = rule["labels"]["severity"].as_str().unwrap_or("");
        if !["critical", "warning", "info"].contains(&severity) {
            problems.push(format!(
                "{name}: severity {severity:?} is not critical/warning/info"
            ));
        }
        if !["office", "operator"].contains(&rule["labels"]["audience"].as_str().unwrap_or("")) {
            problems.push(format!("{name}: audience label is not office/operator"));
        }
        for key in ["summary", "description"] {
            let text = rule["annotations"][key].as_str().unwrap_or("");
            let prose = without_templates(text);
            let has_chinese = prose
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
            let has_english = prose
                .split_whitespace()
                .filter(|w| w.chars().all(|c| c.is_ascii_alphabetic()))
                .count()
                >= 3;
            if !has_chinese || !has_english {
                problems.push(format!(
                    "{name}: annotation {key} must be in Chinese and English: {text:?}"
                ));
            }
        }
        let url = rule["annotations"]["runbook_url"].as_str().unwrap_or("");
        let expected = format!("docs/deploy.md#{}", name.to_lowercase());
        if url != expected {
            problems.push(format!(
                "{name}: runbook_url {url:?}, expected {expected:?}"
            ));
        } else if !anchors.contains(&name.to_lowercase()) {
            problems.push(format!(
                "{name}: docs/deploy.md has no heading `{name}` for its runbook"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "alert metadata:\n{}",
        problems.join("\n")
    );
}

#[test]
fn rules_use_only_the_metric_contract_and_defined_recordings() {
    let recorded: BTreeSet<String> = prom::all_recording_rules()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let mut problems = Vec::new();
    for file in prom::rule_files() {
        for (group, rule) in prom::rules(&file) {
            let expr = rule["expr"].as_str().unwrap_or("");
            let id = rule["record"]
                .as_str()
                .or(rule["alert"].as_str())
                .unwrap_or("?");
            for name in prom::series_names(expr) {
                let known = if name.contains(':') {
                    recorded.contains(&name)
                } else {
                    prom::is_known_metric(&name)
                };
                if !known {
                    problems.push(format!(
                        "{} [{group}] {id}: unknown series {name}",
                        relative(&file)
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_three_rates_are_recorded_for_this_month() {
    // The office's three rates (三率), per unit and per centre, for the current month.
    let recorded: BTreeSet<String> = prom::all_recording_rules()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    for ratio in [
        "satisfaction",
        "first_time_resolution",
        "instant_resolution",
    ] {
        for level in ["unit_", ""] {
            let name = format!("hotline:{level}{ratio}_ratio:this_month");
            assert!(recorded.contains(&name), "{name} is not recorded");
        }
    }
}
