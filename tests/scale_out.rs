//! Several instances in one consumer group: each owns some partitions, yet every one
//! serves the whole group's bulletin and API (the views topic) — equal to one replay of
//! every event — decides assessment and score on the whole group's counts, and says
//! when its picture is incomplete.

mod common;

use std::process::Command;
use std::time::Duration;

use common::kafka::{eventually, produce, simulate, Service, Tansu, BIN};
use common::prom::http_get;
use serde_json::Value;

const AS_OF: &str = "2024-12-12T10:00:00+08:00";

/// The bulletin without its as-of line (the one line that may differ).
fn without_as_of(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("截至时间"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn replay(file: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("replay")
        .arg(file)
        .args(["--as-of", AS_OF])
        .args(args)
        .env("HOTLINE_LOG", "warn")
        .output()
        .expect("run replay");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A 200 answer's body; anything else (no data yet, say) is an empty body.
fn get(s: &Service, path: &str) -> String {
    match http_get(s.addr(), path) {
        Ok((200, body)) => body,
        _ => String::new(),
    }
}

fn json(s: &Service, path: &str) -> Value {
    serde_json::from_str(&get(s, path)).unwrap_or(Value::Null)
}

#[test]
fn every_instance_serves_the_whole_group_and_says_when_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Tansu::start();
    let file = dir.path().join("month.jsonl");
    simulate(
        &file,
        &["--orders", "4000", "--month", "2024-11", "--seed", "51"],
    );
    produce(&broker.brokers(), "whole", 6, &[&file], &[]);
    let extra = ["--as-of", AS_OF];
    let mut instances: Vec<Service> = (0..3)
        .map(|i| {
            Service::start(
                &broker.brokers(),
                "whole",
                "g-whole",
                &dir.path().join(format!("i{i}")),
                &extra,
            )
        })
        .collect();
    let want_report = without_as_of(&replay(&file, &["--report", "md", "--month", "2024-11"]));
    let want: Value = serde_json::from_str(&replay(&file, &["--format", "json"])).unwrap();
    let want_month = want["months"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["summary"]["month"] == "2024-11")
        .expect("November")
        .clone();

    eventually(
        "the group settled: each owns some",
        Duration::from_secs(90),
        || {
            let owned: Vec<f64> = instances
                .iter()
                .map(|s| s.metric("hotline_kafka_partitions_owned"))
                .collect();
            if owned.iter().all(|&n| n >= 1.0) && owned.iter().sum::<f64>() == 6.0 {
                vec![]
            } else {
                vec![format!("owned {owned:?}")]
            }
        },
    );
    // Every instance: complete, and the same bulletin and units as one replay.
    for (i, s) in instances.iter().enumerate() {
        eventually(
            &format!("instance {i}: complete"),
            Duration::from_secs(90),
            || {
                let units = json(s, "/api/v1/months/2024-11/units");
                let complete = units["completeness"]["complete"] == Value::Bool(true);
                let report = without_as_of(&get(s, "/report?month=2024-11&format=md"));
                let mut problems = vec![];
                if !complete {
                    problems.push(format!("completeness {}", units["completeness"]));
                }
                if units["units"] != want_month["units"] {
                    problems.push("units differ from the replay".into());
                }
                if report != want_report {
                    problems.push("the bulletin differs from the replay".into());
                }
                problems
            },
        );
        let owned = s.metric("hotline_kafka_partitions_owned");
        assert!(
            owned < 6.0,
            "instance {i} owns {owned} of 6: the others own the rest"
        );
        let overdue = json(s, "/api/v1/months/2024-11/overdue");
        assert_eq!(
            overdue["orders"], want_month["overdue"],
            "instance {i}: overdue list"
        );
        let mut summary = json(s, "/api/v1/months/2024-11/summary");
        summary.as_object_mut().unwrap().remove("completeness");
        let mut want_summary = want_month["summary"].clone();
        for key in ["as_of", "days", "daily_average"] {
            summary.as_object_mut().unwrap().remove(key);
            want_summary.as_object_mut().unwrap().remove(key);
        }
        assert_eq!(summary, want_summary, "instance {i}: summary");
    }

    // A unit whose orders are spread over the instances: assessed and scored on the
    // whole group's counts by every instance that exports it (none has ten alone).
    let units = want_month["units"].as_array().unwrap();
    let spread = units
        .iter()
        .filter(|u| u["assessed"] == Value::Bool(true))
        .find(|u| {
            let name = u["unit"].as_str().unwrap();
            let local: Vec<f64> = instances
                .iter()
                .map(|s| {
                    s.metric(&format!(
                        "hotline_unit_orders_assigned[(\"center\", \"12345\"), (\"month\", \"2024-11\"), (\"unit\", \"{name}\")]"
                    ))
                })
                .collect();
            local.iter().all(|&n| n < 10.0) && local.iter().filter(|&&n| n > 0.0).count() >= 2
        })
        .expect("a unit with ten or more orders, fewer than ten on each instance");
    let name = spread["unit"].as_str().unwrap();
    for (i, s) in instances.iter().enumerate() {
        let key = |family: &str| {
            format!("{family}[(\"center\", \"12345\"), (\"month\", \"2024-11\"), (\"unit\", \"{name}\")]")
        };
        if s.metric(&key("hotline_unit_orders_assigned")) == 0.0 {
            continue;
        }
        assert_eq!(
            s.metric(&key("hotline_unit_assessed")),
            1.0,
            "instance {i}: {name} is assessed"
        );
        let score = s.metric(&key("hotline_unit_score"));
        let want_score = spread["score"].as_f64().unwrap();
        assert!(
            (score - want_score).abs() < 1e-9,
            "instance {i}: {name} scored {score}, one instance would say {want_score}"
        );
    }

    // One instance dies: the others say their picture is incomplete (its partitions'
    // views go stale) until its partitions are taken over, then complete again.
    instances[0].kill9();
    let survivors = &instances[1..];
    for (i, s) in survivors.iter().enumerate() {
        eventually(
            &format!("instance {i}: incomplete"),
            Duration::from_secs(60),
            || {
                let c = json(s, "/api/v1/months/2024-11/units")["completeness"].clone();
                let report = get(s, "/report?month=2024-11&format=md");
                if c["complete"] == Value::Bool(false) && report.contains("数据尚不完整") {
                    vec![]
                } else {
                    vec![format!("completeness {c}")]
                }
            },
        );
    }
    // tansu 0.6 moves a dead member's partitions only when a member joins (Apache Kafka
    // does when its session expires): a replacement pod starts, after the session.
    instances[0].restart();
    for (i, s) in instances.iter().enumerate() {
        eventually(
            &format!("instance {i}: complete again"),
            Duration::from_secs(120),
            || {
                let units = json(s, "/api/v1/months/2024-11/units");
                let report = without_as_of(&get(s, "/report?month=2024-11&format=md"));
                if units["completeness"]["complete"] == Value::Bool(true)
                    && units["units"] == want_month["units"]
                    && report == want_report
                {
                    vec![]
                } else {
                    vec![format!("completeness {}", units["completeness"])]
                }
            },
        );
    }
    // The views say complete while a rebalance moves partitions (a revoked partition's
    // views stay fresh for a while): ownership settles a little later.
    eventually(
        "every partition owned once",
        Duration::from_secs(60),
        || {
            let owned: Vec<f64> = instances
                .iter()
                .map(|s| s.metric("hotline_kafka_partitions_owned"))
                .collect();
            if owned.iter().sum::<f64>() == 6.0 {
                vec![]
            } else {
                vec![format!("partitions owned per instance {owned:?}")]
            }
        },
    );
}
