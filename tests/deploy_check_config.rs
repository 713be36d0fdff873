//! `hotline-pulse check-config` as an operator runs it before (or inside) a deployment,
//! against a real Kafka-protocol broker (tansu, started here): exit status and one line
//! per check; and `hotline-pulse completions`.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use common::kafka::{self, Tansu, BIN};

/// The binary with no `HOTLINE_*` variable from the caller's environment.
fn hotline_pulse() -> Command {
    let mut cmd = Command::new(BIN);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("HOTLINE_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("HOTLINE_LOG", "error");
    cmd
}

/// Runs check-config: (exit success, stdout, stderr).
fn check_config(args: &[&str]) -> (bool, String, String) {
    let out = hotline_pulse()
        .arg("check-config")
        .args(args)
        .output()
        .expect("run check-config");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn deploy_config(file: &str) -> String {
    format!("{}/deploy/config/{file}", env!("CARGO_MANIFEST_DIR"))
}

fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// The line of `stdout` about `topic`.
fn line_about<'a>(stdout: &'a str, topic: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.contains(&format!("topic {topic} ")))
        .unwrap_or_else(|| panic!("no line about {topic}:\n{stdout}"))
}

#[test]
fn check_config_reports_every_topic_and_fails_on_a_missing_input() {
    let broker = Tansu::start();
    let brokers = broker.brokers();
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").expect("write");
    let topic = unique("hotline.check");
    // The input with 3 partitions, a dead-letter topic; the changelog with 2 partitions
    // (wrong: it must match the input); no views topic.
    kafka::produce(&brokers, &topic, 3, &[Path::new(&empty)], &[]);
    kafka::produce(
        &brokers,
        &format!("{topic}.dlq"),
        1,
        &[Path::new(&empty)],
        &[],
    );
    kafka::produce(
        &brokers,
        &format!("{topic}.changelog"),
        2,
        &[Path::new(&empty)],
        &[],
    );

    let config = deploy_config("assessment.toml");
    let registry = deploy_config("units.toml");
    let base = [
        "--config",
        config.as_str(),
        "--unit-registry",
        registry.as_str(),
        "--brokers",
        brokers.as_str(),
        "--check-topics",
    ];
    let dlq = format!("{topic}.dlq");
    let (ok, stdout, stderr) =
        check_config(&[&base[..], &["--topic", &topic, "--dlq-topic", &dlq]].concat());
    assert!(
        !ok,
        "a changelog with the wrong partition count passed:\n{stdout}"
    );
    assert!(
        stdout.contains(&format!("ok      brokers {brokers} answer")),
        "{stdout}"
    );
    assert!(line_about(&stdout, &topic).starts_with("ok"), "{stdout}");
    assert!(
        line_about(&stdout, &topic).contains("3 partition"),
        "{stdout}"
    );
    assert!(
        line_about(&stdout, &format!("{topic}.dlq")).starts_with("ok"),
        "{stdout}"
    );
    let changelog = line_about(&stdout, &format!("{topic}.changelog"));
    assert!(
        changelog.starts_with("problem") && changelog.contains("2 partitions"),
        "{stdout}"
    );
    let views = line_about(&stdout, &format!("{topic}.views"));
    assert!(
        views.starts_with("note") && views.contains("missing"),
        "{stdout}"
    );
    assert!(stderr.contains("check-config: 1 problem"), "{stderr}");

    // Once the changelog matches the input, everything passes.
    let good = unique("hotline.check");
    kafka::produce(&brokers, &good, 2, &[Path::new(&empty)], &[]);
    kafka::produce(
        &brokers,
        &format!("{good}.changelog"),
        2,
        &[Path::new(&empty)],
        &[],
    );
    let (ok, stdout, stderr) = check_config(&[&base[..], &["--topic", &good]].concat());
    assert!(ok, "{stdout}{stderr}");
    let changelog = line_about(&stdout, &format!("{good}.changelog"));
    assert!(!changelog.starts_with("problem"), "{stdout}");

    // An input topic that does not exist is a problem; the exit status says so.
    let missing = unique("hotline.absent");
    let (ok, stdout, _) = check_config(&[&base[..], &["--topic", &missing]].concat());
    assert!(!ok, "{stdout}");
    assert!(
        line_about(&stdout, &missing).starts_with("problem")
            && line_about(&stdout, &missing).contains("does not exist"),
        "{stdout}"
    );
}

#[test]
fn check_config_without_kafka_checks_the_files() {
    let (ok, stdout, _) = check_config(&[
        "--config",
        &deploy_config("assessment.toml"),
        "--unit-registry",
        &deploy_config("units.toml"),
    ]);
    assert!(ok, "{stdout}");
    assert!(
        stdout.lines().all(|l| !l.starts_with("problem")),
        "{stdout}"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("assessment.toml");
    std::fs::write(&bad, "[assessment]\nmin_assigned = -1\n").expect("write");
    let (ok, stdout, stderr) = check_config(&["--config", bad.to_str().unwrap_or_default()]);
    assert!(!ok);
    let problems: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("problem"))
        .collect();
    assert_eq!(problems.len(), 1, "{stdout}");
    assert!(problems[0].contains("min_assigned"), "{stdout}");
    assert!(stderr.contains("1 problem"), "{stderr}");
}

#[test]
fn completions_are_printed_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F _hotline__pulse"),
        ("zsh", "#compdef hotline-pulse"),
        ("fish", "complete -c hotline-pulse"),
    ] {
        let out = hotline_pulse()
            .args(["completions", shell])
            .output()
            .expect("run completions");
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(marker), "{shell}: no {marker:?}");
        assert!(text.contains("check-config"), "{shell}");
    }
    let out = hotline_pulse()
        .args(["completions", "tcsh"])
        .output()
        .expect("run completions");
    assert!(!out.status.success(), "an unknown shell is refused");
}
