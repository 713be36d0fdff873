//! Flags that do not apply are refused, not silently ignored: `--format` with
//! `--report`, simulator flags with `--brokers`, Kafka flags without it, and so on.
//! Only flags typed on the command line count; environment variables are shared by
//! every command of a container and stay quiet.

use anyhow::bail;
use clap::parser::ValueSource;
use clap::ArgMatches;

/// The simulator's flags (`SimArgs`), by argument id.
const SIM: &[(&str, &str)] = &[
    ("profile", "--profile"),
    ("orders", "--orders"),
    ("month", "--month"),
    ("seed", "--seed"),
    ("disorder", "--disorder"),
    ("duplicates", "--duplicates"),
    ("sim_center", "--sim-center"),
];

/// `serve`'s Kafka-only flags.
const KAFKA_SERVE: &[(&str, &str)] = &[
    ("topic", "--topic"),
    ("group", "--group"),
    ("dlq_topic", "--dlq-topic"),
    ("dlq_max_bytes", "--dlq-max-bytes"),
    ("changelog_topic", "--changelog-topic"),
    ("views_topic", "--views-topic"),
    ("group_instance_id", "--group-instance-id"),
    ("state_dir", "--state-dir"),
    ("commit_interval_secs", "--commit-interval-secs"),
    ("commit_events", "--commit-events"),
    ("ready_max_lag", "--ready-max-lag"),
    ("kafka_options", "--kafka-option"),
    ("kafka_config", "--kafka-config"),
];

fn typed(m: &ArgMatches, id: &str) -> bool {
    matches!(
        m.try_get_raw(id).ok().flatten().map(|_| m.value_source(id)),
        Some(Some(ValueSource::CommandLine))
    )
}

fn first_typed<'a>(m: &ArgMatches, flags: &'a [(&str, &str)]) -> Option<&'a str> {
    flags.iter().find(|(id, _)| typed(m, id)).map(|(_, f)| *f)
}

/// Checks the parsed command line; the error names the flag and why it does not apply.
pub fn refuse_inapplicable(matches: &ArgMatches) -> anyhow::Result<()> {
    match matches.subcommand() {
        Some(("replay", m)) if typed(m, "report") && typed(m, "format") => {
            bail!("--format does not apply with --report (the bulletin's format is --report md|html|pdf)");
        }
        Some(("serve", m)) => {
            if typed(m, "brokers") {
                let sim = first_typed(m, SIM).or_else(|| {
                    first_typed(
                        m,
                        &[("sim_rate", "--sim-rate"), ("sim_speed", "--sim-speed")],
                    )
                });
                if let Some(flag) = sim {
                    bail!("{flag} applies to the simulated hotline, which runs only without --brokers");
                }
            } else if let Some(flag) = first_typed(m, KAFKA_SERVE) {
                bail!("{flag} needs --brokers (without --brokers the simulated hotline runs)");
            }
        }
        Some(("produce", m)) if !typed(m, "simulate") => {
            if let Some(flag) = first_typed(m, SIM) {
                bail!("{flag} applies only with --simulate");
            }
            if typed(m, "timezone") {
                bail!("--timezone applies only with --simulate (produce sends files as they are)");
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, FromArgMatches};

    use super::*;
    use crate::cli::Cli;

    fn check(args: &[&str]) -> Result<(), String> {
        let m = Cli::command()
            .try_get_matches_from(std::iter::once("hotline-pulse").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        Cli::from_arg_matches(&m).map_err(|e| e.to_string())?;
        refuse_inapplicable(&m).map_err(|e| e.to_string())
    }

    #[test]
    fn inapplicable_flags_are_refused() {
        let err = check(&["replay", "x.jsonl", "--report", "md", "--format", "json"]).unwrap_err();
        assert!(err.contains("--format"), "{err}");
        let err = check(&["serve", "--brokers", "k:9092", "--orders", "5"]).unwrap_err();
        assert!(err.contains("--orders"), "{err}");
        let err = check(&["serve", "--group", "g"]).unwrap_err();
        assert!(
            err.contains("--group") && err.contains("--brokers"),
            "{err}"
        );
        let err = check(&["produce", "--brokers", "k", "f.jsonl", "--seed", "3"]).unwrap_err();
        assert!(err.contains("--seed"), "{err}");
        // Engine flags exist only where the engine runs: clap itself refuses them.
        let err = check(&["simulate", "--config", "x.toml"]).unwrap_err();
        assert!(err.contains("--config"), "{err}");
        let err = check(&["simulate", "--unit-registry", "u.toml"]).unwrap_err();
        assert!(err.contains("--unit-registry"), "{err}");
    }

    /// The lists name real arguments: a renamed flag would otherwise drop out of the
    /// check silently.
    #[test]
    fn listed_flags_exist() {
        let cli = Cli::command();
        let serve = cli.find_subcommand("serve").unwrap();
        for (id, flag) in SIM.iter().chain(KAFKA_SERVE) {
            let arg = serve
                .get_arguments()
                .find(|a| a.get_id().as_str() == *id)
                .unwrap_or_else(|| panic!("serve has no argument {id}"));
            assert_eq!(
                format!("--{}", arg.get_long().unwrap()),
                *flag,
                "argument {id}"
            );
        }
    }

    #[test]
    fn applicable_flags_pass() {
        check(&["replay", "x.jsonl", "--format", "json"]).unwrap();
        check(&["replay", "x.jsonl", "--report", "md", "--month", "2024-11"]).unwrap();
        check(&["serve", "--orders", "5", "--sim-speed", "0"]).unwrap();
        check(&[
            "serve",
            "--brokers",
            "k",
            "--group",
            "g",
            "--config",
            "a.toml",
        ])
        .unwrap();
        check(&["produce", "--brokers", "k", "--simulate", "--seed", "3"]).unwrap();
        check(&["simulate", "--timezone", "Asia/Shanghai", "--orders", "3"]).unwrap();
        check(&["--log-format", "json", "simulate"]).unwrap();
    }
}
