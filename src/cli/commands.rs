//! What each command does, once its arguments are parsed: turn them into validated
//! settings (a bad flag or file stops here with a message naming it) and run.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use prometheus::{Encoder, TextEncoder};

use super::args::*;
use crate::app::{build_state, Config, SourceConfig, State};
use crate::config::{Assessment, EngineConfig};
use crate::event::{Month, TimeZone};
use crate::simulate::SimConfig;
use crate::source::kafka::KafkaConfig;
use crate::source::{replay::replay as run_replay, wall_clock, AsOf};
use crate::units::UnitRegistry;
use crate::view::{aggregate, month_figures, months, overdue_list, Filter, Scope};

impl Common {
    pub fn timezone(&self) -> anyhow::Result<TimeZone> {
        self.timezone
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--timezone: {e}"))
    }

    pub fn engine_config(&self, assessment: &Assessment) -> anyhow::Result<EngineConfig> {
        if self.center.trim().is_empty() || self.center.chars().count() > 64 {
            bail!("--center: must be 1 to 64 characters");
        }
        if !(self.future_horizon_hours >= 0.0 && self.future_horizon_hours <= 24.0 * 366.0) {
            bail!("--future-horizon-hours: must be between 0 and 8784 (a year)");
        }
        Ok(EngineConfig {
            tz: self.timezone()?,
            default_center: self.center.clone(),
            retention_months: self.retention_months,
            due_soon_window_ms: assessment.due_soon_window_ms(),
            unit_label_cap: self.unit_label_cap as usize,
            future_horizon_ms: (self.future_horizon_hours * 3600.0 * 1000.0) as i64,
            tombstone_grace_months: self.tombstone_grace_months,
            ..EngineConfig::default()
        })
    }

    pub fn assessment(&self) -> anyhow::Result<Assessment> {
        match &self.config {
            Some(path) => Ok(Assessment::load(path)?),
            None => Ok(Assessment::default()),
        }
    }

    pub fn registry(&self) -> anyhow::Result<Option<UnitRegistry>> {
        self.unit_registry
            .as_deref()
            .map(UnitRegistry::load)
            .transpose()
            .map_err(Into::into)
    }
}

impl SimArgs {
    pub fn sim_config(&self, tz: TimeZone) -> anyhow::Result<SimConfig> {
        let month = match &self.month {
            Some(m) => m
                .parse::<Month>()
                .map_err(|e| anyhow::anyhow!("--month: {e}"))?,
            None => crate::event::month_of(wall_clock(), tz),
        };
        let cfg = SimConfig {
            seed: self.seed,
            orders: self.orders,
            month: (month.year(), month.month()),
            tz_offset_secs: tz.offset_secs(),
            profile: self.profile,
            center: self.sim_center.clone(),
            disorder: self.disorder,
            duplicates: self.duplicates,
        };
        cfg.validate()
            .map_err(|e| anyhow::anyhow!("simulator settings: {e}"))?;
        Ok(cfg)
    }
}

fn parse_kafka_options(args: &KafkaArgs) -> anyhow::Result<Vec<(String, String)>> {
    let from_env = std::env::var("HOTLINE_KAFKA_OPTIONS").unwrap_or_default();
    let mut out = Vec::new();
    for kv in from_env
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .chain(args.kafka_options.iter().map(String::as_str))
    {
        let Some((k, v)) = kv.split_once('=') else {
            bail!("--kafka-option {kv:?}: expected key=value");
        };
        if k.trim().is_empty() {
            bail!("--kafka-option {kv:?}: empty key");
        }
        out.push((k.trim().to_owned(), v.to_owned()));
    }
    Ok(out)
}

/// The service's configuration from `serve`'s arguments.
pub fn app_config(common: &Common, args: &ServeArgs) -> anyhow::Result<Config> {
    let assessment = common.assessment()?;
    let engine = common.engine_config(&assessment)?;
    let registry = common.registry()?;
    let tz = engine.tz;
    let (source, default_as_of) = match &args.kafka.brokers {
        Some(brokers) => {
            if !(args.commit_interval_secs > 0.0 && args.commit_interval_secs.is_finite()) {
                bail!("--commit-interval-secs: must be above 0");
            }
            let topic = args.kafka.topic.clone();
            let views = args
                .views_topic
                .clone()
                .unwrap_or_else(|| KafkaConfig::views_of(&topic));
            (
                SourceConfig::Kafka(KafkaConfig {
                    brokers: brokers.clone(),
                    changelog_topic: args
                        .changelog_topic
                        .clone()
                        .unwrap_or_else(|| KafkaConfig::changelog_of(&topic)),
                    views_topic: (!views.is_empty()).then_some(views),
                    topic,
                    group: args.group.clone(),
                    group_instance_id: args.group_instance_id.clone().filter(|s| !s.is_empty()),
                    dlq_topic: args.dlq_topic.clone(),
                    options: parse_kafka_options(&args.kafka)?,
                    state_dir: args.state_dir.clone(),
                    commit_interval: Duration::from_secs_f64(args.commit_interval_secs),
                    commit_events: args.commit_events.max(1),
                    ready_max_lag: args.ready_max_lag,
                    dlq_max_bytes: args.dlq_max_bytes as usize,
                    shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
                }),
                "now",
            )
        }
        None => {
            if !args.kafka.kafka_options.is_empty() {
                bail!(
                    "--kafka-option needs --brokers (without --brokers the simulated hotline runs)"
                );
            }
            if !(args.sim_rate >= 0.0 && args.sim_rate.is_finite()) {
                bail!("--sim-rate: must be 0 or more");
            }
            (
                SourceConfig::Simulated {
                    sim: args.sim.sim_config(tz)?,
                    rate: args.sim_rate,
                },
                "watermark",
            )
        }
    };
    let as_of = AsOf::parse(args.as_of.as_deref().unwrap_or(default_as_of), tz)
        .map_err(|e| anyhow::anyhow!("--as-of: {e}"))?;
    Ok(Config {
        engine,
        assessment,
        registry,
        source,
        as_of,
        shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
    })
}

fn output(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) => Box::new(BufWriter::new(
            File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    })
}

/// `replay`: runs files through the engine, prints figures or the bulletin.
pub fn replay(common: &Common, args: &ReplayArgs) -> anyhow::Result<()> {
    let assessment = common.assessment()?;
    let engine = common.engine_config(&assessment)?;
    let tz = engine.tz;
    let as_of = AsOf::parse(&args.as_of, tz).map_err(|e| anyhow::anyhow!("--as-of: {e}"))?;
    if as_of == AsOf::Now {
        bail!("--as-of now makes no sense for a replay: use watermark or a timestamp");
    }
    let month: Option<Month> = args
        .month
        .as_deref()
        .map(|m| {
            m.parse()
                .map_err(|e: String| anyhow::anyhow!("--month: {e}"))
        })
        .transpose()?;
    let config = Config {
        engine,
        assessment: assessment.clone(),
        registry: common.registry()?,
        source: SourceConfig::Simulated {
            sim: SimConfig::default(),
            rate: 0.0,
        },
        as_of,
        shutdown_grace: Duration::ZERO,
    };
    let State {
        shared,
        board,
        registry,
    } = build_state(&config)?;
    let mut dead_letter = match &args.dead_letter {
        Some(p) => Some(BufWriter::new(
            File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => None,
    };
    let shards = args.shards.map_or_else(
        || std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
        |n| n as usize,
    );
    let stats = run_replay(
        &args.files,
        &shared,
        &board,
        shards,
        as_of,
        dead_letter.as_mut().map(|w| w as &mut dyn Write),
    )?;
    tracing::info!(
        lines = stats.lines,
        applied = stats.applied,
        rejected = stats.rejected,
        duplicates = stats.duplicates,
        late = stats.late,
        "replay done"
    );
    if stats.rejected > 0 {
        eprintln!(
            "hotline-pulse: {} of {} lines rejected{}",
            stats.rejected,
            stats.lines,
            if args.dead_letter.is_some() {
                " (see the dead-letter file)"
            } else {
                " (use --dead-letter FILE to keep them)"
            }
        );
    }
    let mut out = output(args.out.as_deref())?;
    let agg = aggregate(&board.snapshots(Scope::Local), &Filter::default());
    let retained = months(&agg);
    let center = shared.config.default_center.as_str();
    let chosen: Vec<(String, Month)> = retained
        .iter()
        .filter(|(_, m)| month.is_none_or(|x| x == *m))
        .cloned()
        .collect();
    if let Some(format) = args.report {
        let m = match month {
            Some(m) => m,
            None => match retained.first() {
                Some((_, m)) => *m,
                None => bail!("no data: the input holds no retained month"),
            },
        };
        let report =
            crate::report::build(&agg, &shared.config, center, m, stats.as_of, &assessment)
                .with_context(|| format!("no data for month {m}"))?;
        let format = match format {
            ReportFormat::Md => crate::report::Format::Markdown,
            ReportFormat::Html => crate::report::Format::Html,
        };
        out.write_all(crate::report::render(&report, format).as_bytes())?;
        out.flush()?;
        return Ok(());
    }
    if let Some(m) = month {
        if chosen.is_empty() {
            bail!("no data for month {m}");
        }
    }
    match args.format {
        OutputFormat::Prometheus => {
            let mut buf = Vec::new();
            TextEncoder::new().encode(&registry.gather(), &mut buf)?;
            out.write_all(&buf)?;
        }
        OutputFormat::Json => {
            let mut list = Vec::new();
            for (c, m) in &chosen {
                if let Some(f) =
                    month_figures(&agg, &shared.config, c, *m, stats.as_of, &assessment)
                {
                    let overdue = agg
                        .month(c, *m)
                        .map(|s| overdue_list(s, tz))
                        .unwrap_or_default();
                    list.push(serde_json::json!({
                        "summary": f.summary,
                        "units": f.units,
                        "overdue": overdue,
                    }));
                }
            }
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({ "as_of": stats.as_of, "months": list }),
            )?;
            writeln!(out)?;
        }
        OutputFormat::Table => {
            for (c, m) in &chosen {
                if let Some(f) =
                    month_figures(&agg, &shared.config, c, *m, stats.as_of, &assessment)
                {
                    super::table::write(&mut out, &f, tz)?;
                }
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// `simulate`: writes the simulated hotline as JSON Lines.
pub fn simulate(common: &Common, args: &SimulateArgs) -> anyhow::Result<()> {
    let cfg = args.sim.sim_config(common.timezone()?)?;
    let mut out = output(args.out.as_deref())?;
    let n = crate::simulate::write_jsonl(cfg, &mut out)?;
    out.flush()?;
    tracing::info!(events = n, "simulated");
    Ok(())
}

/// `produce`: feeds a topic from files or the simulator.
pub fn produce(common: &Common, args: &ProduceArgs) -> anyhow::Result<()> {
    let Some(brokers) = &args.kafka.brokers else {
        bail!("--brokers is required (or HOTLINE_BROKERS)");
    };
    if args.files.is_empty() != args.simulate {
        bail!("give either JSON Lines files or --simulate");
    }
    let sim = if args.simulate {
        Some(args.sim.sim_config(common.timezone()?)?)
    } else {
        None
    };
    crate::source::kafka::produce(
        brokers,
        &args.kafka.topic,
        &parse_kafka_options(&args.kafka)?,
        &args.files,
        sim,
        args.rate,
        args.partitions,
        Arc::new(std::sync::atomic::AtomicBool::new(false)),
    )
}
