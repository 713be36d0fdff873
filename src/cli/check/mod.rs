//! `hotline-pulse check-config`: checks what `serve` would be given — the assessment
//! config, the unit registry, every other setting, the Kafka client settings — without
//! starting it, and with `--check-topics` that the brokers answer and the topics are
//! there. It takes `serve`'s flags and environment, so in a pod it checks exactly what
//! the service will run with. One line per check; non-zero exit when any is a problem.

mod kafka;

use std::fmt;
use std::time::Duration;

use clap::Args;

use self::kafka::{client, topics};
use super::args::{Common, ServeArgs};
use super::serve::app_config;
use crate::app::SourceConfig;
use crate::telemetry::scrub;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Also connect to the brokers: the input topic must exist; the changelog, views and
    /// dead-letter topics are reported present or missing, with their partitions and
    /// cleanup policy.
    #[arg(long)]
    pub check_topics: bool,
    /// How long to wait for the brokers with --check-topics, in seconds.
    #[arg(long, default_value_t = 10)]
    pub broker_timeout_secs: u64,
    /// Every `serve` option, checked as `serve` would take it.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Ok,
    /// Worth knowing, not wrong (a topic the service creates when missing).
    Note,
    Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub level: Level,
    pub text: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = match self.level {
            Level::Ok => "ok",
            Level::Note => "note",
            Level::Problem => "problem",
        };
        write!(f, "{tag:<8}{}", self.text)
    }
}

#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    /// Adds a finding, on one line and with every registered secret scrubbed: findings
    /// are printed, and a client's error may quote a setting's value.
    fn push(&mut self, level: Level, text: impl Into<String>) {
        self.0.push(Finding {
            level,
            text: one_line(&scrub(&text.into())),
        });
    }
}

/// A multi-line message (a TOML error with its source snippet) on one line: the snippet's
/// source line is kept in backquotes, its gutter and carets dropped.
fn one_line(text: &str) -> String {
    let mut parts = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        let numbered = trimmed
            .split_once('|')
            .filter(|(n, _)| !n.trim().is_empty() && n.trim().chars().all(|c| c.is_ascii_digit()));
        if let Some((_, source)) = numbered {
            parts.push(format!("`{}`", source.trim()));
        } else if !trimmed
            .trim_start_matches('|')
            .trim()
            .trim_matches('^')
            .is_empty()
            && !trimmed.starts_with('|')
        {
            parts.push(trimmed.to_owned());
        }
    }
    parts.join(": ")
}

/// `check-config`: prints one line per check; an error (non-zero exit) when any check
/// found a problem.
pub fn check_config(common: &Common, args: &CheckArgs) -> anyhow::Result<()> {
    let findings = check(common, args);
    for f in &findings {
        println!("{f}");
    }
    let problems = findings
        .iter()
        .filter(|f| f.level == Level::Problem)
        .count();
    match problems {
        0 => Ok(()),
        1 => anyhow::bail!("check-config: 1 problem"),
        n => anyhow::bail!("check-config: {n} problems"),
    }
}

/// Runs every check that applies; each reports on its own, so one bad file does not hide
/// another.
pub fn check(common: &Common, args: &CheckArgs) -> Vec<Finding> {
    let mut out = Findings::default();
    let engine = &args.serve.engine;
    let assessment = match engine.assessment() {
        Ok(_) => {
            let what = engine
                .config
                .as_ref()
                .map_or("the defaults (no --config)".to_owned(), |p| {
                    p.display().to_string()
                });
            out.push(Level::Ok, format!("assessment config: {what}"));
            true
        }
        Err(e) => {
            out.push(Level::Problem, format!("{e:#}"));
            false
        }
    };
    let registry = match engine.registry() {
        Ok(Some(r)) => {
            let path = engine
                .unit_registry
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            out.push(
                Level::Ok,
                format!("unit registry: {path} ({} units)", r.names().len()),
            );
            true
        }
        Ok(None) => {
            out.push(
                Level::Note,
                "no unit registry (--unit-registry): unit names are counted as spelled",
            );
            true
        }
        Err(e) => {
            out.push(Level::Problem, format!("{e:#}"));
            false
        }
    };
    if !(assessment && registry) {
        return out.0;
    }
    // Everything else `serve` validates (zone, centre, as-of, Kafka options...).
    let config = match app_config(common, &args.serve) {
        Ok(c) => c,
        Err(e) => {
            out.push(Level::Problem, format!("{e:#}"));
            return out.0;
        }
    };
    out.push(Level::Ok, "settings");
    match &config.source {
        SourceConfig::Kafka(kafka) => {
            if client(kafka, &mut out) && args.check_topics {
                topics(
                    kafka,
                    Duration::from_secs(args.broker_timeout_secs.max(1)),
                    &mut out,
                );
            }
        }
        SourceConfig::Simulated { .. } => {
            if args.check_topics {
                out.push(Level::Problem, "--check-topics needs --brokers");
            } else {
                out.push(
                    Level::Note,
                    "no --brokers: serve would run the simulated hotline",
                );
            }
        }
    }
    out.0
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn run(args: &[&str]) -> Vec<Finding> {
        let cli = Cli::try_parse_from(
            ["hotline-pulse", "check-config"]
                .iter()
                .chain(args)
                .copied(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let Command::CheckConfig(check_args) = &cli.command else {
            panic!("not check-config");
        };
        check(&cli.common, check_args)
    }

    fn problems(findings: &[Finding]) -> Vec<String> {
        findings
            .iter()
            .filter(|f| f.level == Level::Problem)
            .map(|f| f.text.clone())
            .collect()
    }

    fn deploy(file: &str) -> String {
        format!("{}/deploy/config/{file}", env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn the_shipped_config_and_registry_pass() {
        let f = run(&[
            "--config",
            &deploy("assessment.toml"),
            "--unit-registry",
            &deploy("units.toml"),
        ]);
        assert!(problems(&f).is_empty(), "{f:?}");
        assert!(f
            .iter()
            .any(|f| f.level == Level::Ok && f.text.starts_with("unit registry:")));
    }

    #[test]
    fn a_bad_config_and_a_bad_registry_are_both_reported() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("assessment.toml");
        let registry = dir.path().join("units.toml");
        std::fs::write(&config, "[assessment]\nsatisfaction_below = 95\n").expect("write");
        std::fs::write(&registry, "[[unit]]\nname = \"\"\n").expect("write");
        let f = run(&[
            "--config",
            config.to_str().unwrap_or_default(),
            "--unit-registry",
            registry.to_str().unwrap_or_default(),
        ]);
        let p = problems(&f);
        assert_eq!(p.len(), 2, "{f:?}");
        assert!(p[0].contains("satisfaction_below"), "{p:?}");
        assert!(p[1].contains("unit[0].name"), "{p:?}");
    }

    #[test]
    fn kafka_settings_librdkafka_refuses_are_a_problem_and_secrets_stay_hidden() {
        let f = run(&[
            "--brokers",
            "127.0.0.1:1",
            "--kafka-option",
            "security.protocol=SASL_PLAINTEXT",
            "--kafka-option",
            "sasl.mechanism=NOT-A-MECHANISM",
            "--kafka-option",
            "sasl.password=hunter2-s3cret",
        ]);
        let p = problems(&f);
        assert_eq!(p.len(), 1, "{f:?}");
        assert!(p[0].contains("SASL mechanism"), "{p:?}");
        assert!(
            f.iter().all(|f| !f.text.contains("hunter2-s3cret")),
            "{f:?}"
        );
        let ok = run(&["--brokers", "127.0.0.1:1", "--kafka-option", "linger.ms=20"]);
        assert!(problems(&ok).is_empty(), "{ok:?}");
    }

    #[test]
    fn settings_idempotence_forbids_are_refused_as_serve_refuses_them() {
        // librdkafka accepts these on a plain producer; the service's producer is
        // idempotent, and refuses them when created.
        for (option, says) in [
            ("max.in.flight.requests.per.connection=10", "max.in.flight"),
            ("retries=0", "retries"),
        ] {
            let f = run(&["--brokers", "127.0.0.1:1", "--kafka-option", option]);
            let p = problems(&f);
            assert_eq!(p.len(), 1, "{f:?}");
            assert!(
                p[0].starts_with("Kafka client settings (producer):") && p[0].contains(says),
                "{p:?}"
            );
        }
    }

    #[test]
    fn a_secret_quoted_by_a_client_error_is_scrubbed() {
        // librdkafka refuses Java's JAAS setting, and the error quotes its value, which
        // holds the password.
        let jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required \
                    username=\"u\" password=\"jaas-s3cret-unit\";";
        let f = run(&[
            "--brokers",
            "127.0.0.1:1",
            "--kafka-option",
            &format!("sasl.jaas.config={jaas}"),
        ]);
        let p = problems(&f);
        assert_eq!(p.len(), 1, "{f:?}");
        assert!(
            p[0].contains("sasl.jaas.config") && p[0].contains(crate::telemetry::REDACTED),
            "{p:?}"
        );
        assert!(
            f.iter().all(|f| !f.text.contains("jaas-s3cret-unit")),
            "{f:?}"
        );
    }

    #[test]
    fn findings_scrub_registered_secrets() {
        crate::telemetry::register_secret("finding-s3cret-unit");
        let mut out = Findings::default();
        out.push(
            Level::Problem,
            "brokers b: no answer: auth finding-s3cret-unit\nfailed",
        );
        assert_eq!(out.0[0].text, "brokers b: no answer: auth ***: failed");
    }

    #[test]
    fn check_topics_without_brokers_is_a_problem() {
        let f = run(&["--check-topics"]);
        assert_eq!(problems(&f), ["--check-topics needs --brokers"]);
    }

    #[test]
    fn unreachable_brokers_are_one_problem() {
        let f = run(&[
            "--brokers",
            "127.0.0.1:1",
            "--check-topics",
            "--broker-timeout-secs",
            "1",
        ]);
        let p = problems(&f);
        assert_eq!(p.len(), 1, "{f:?}");
        assert!(p[0].starts_with("brokers 127.0.0.1:1: no answer"), "{p:?}");
    }

    #[test]
    fn a_toml_error_is_one_line_with_its_source_line() {
        let e = "config file a.toml: TOML parse error at line 2, column 16\n  |\n2 | min_assigned = -1\n  |                ^^\ninvalid value: integer `-1`, expected u64\n";
        assert_eq!(
            one_line(e),
            "config file a.toml: TOML parse error at line 2, column 16: `min_assigned = -1`: \
             invalid value: integer `-1`, expected u64"
        );
    }
}
