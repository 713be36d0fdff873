//! The files of deploy/ that are derived from others, and the generator that writes them:
//! the recording rules that depend on deploy/config/assessment.toml (the 基本满意 weight,
//! `min_assigned`, the score weights), the dashboards' datasource variable and thresholds
//! (from the same file), and the Helm chart's copies of the rules, dashboards and config.
//!
//! `scripts/gen-deploy.sh` (`HOTLINE_REGENERATE=1`) rewrites them; without it the test
//! fails naming every file that disagrees with its source, so a change of assessment.toml
//! cannot leave the rules, dashboards or chart behind.

mod dashboards;
mod generate;
mod json;

use std::collections::BTreeSet;
use std::path::PathBuf;

use hotline_pulse::config::Assessment;

use dashboards::*;
use generate::*;
use json::Json;

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
