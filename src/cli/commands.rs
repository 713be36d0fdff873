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
use crate::app::{build_state, Config, SourceConfig};
use crate::config::{Assessment, EngineConfig};
use crate::engine::Partition;
use crate::event::{Month, TimeZone};
use crate::simulate::SimConfig;
use crate::source::kafka::KafkaConfig;
use crate::source::{replay::replay as run_replay, wall_clock, AsOf};
use crate::units::UnitRegistry;
use crate::view::{month_figures, months, overdue_list};

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
        Ok(EngineConfig {
            tz: self.timezone()?,
            default_center: self.center.clone(),
            retention_months: self.retention_months,
            due_soon_window_ms: assessment.due_soon_window_ms(),
            unit_label_cap: self.unit_label_cap as usize,
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
            if args.checkpoint_secs == 0 {
                bail!("--checkpoint-secs: must be at least 1");
            }
            (
                SourceConfig::Kafka(KafkaConfig {
                    brokers: brokers.clone(),
                    topic: args.kafka.topic.clone(),
                    group: args.group.clone(),
                    dlq_topic: args.dlq_topic.clone(),
                    options: parse_kafka_options(&args.kafka)?,
                    state_dir: args.state_dir.clone(),
                    checkpoint_secs: args.checkpoint_secs,
                    checkpoint_events: args.checkpoint_events.max(1),
                    ready_max_lag: args.ready_max_lag,
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
    let (shared, registry) = build_state(&config)?;
    let mut partition = Partition::new(0, shared.clone());
    let mut dead_letter = match &args.dead_letter {
        Some(p) => Some(BufWriter::new(
            File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => None,
    };
    let stats = run_replay(
        &args.files,
        &shared,
        &mut partition,
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
    let retained = months(&shared);
    let center = shared
        .centers
        .get(&shared.config.default_center)
        .context("the default centre is always interned")?;
    let chosen: Vec<(String, Month)> = retained
        .iter()
        .filter(|(_, m)| month.is_none_or(|x| x == *m))
        .cloned()
        .collect();
    if let Some(format) = args.report {
        use crate::report::{produce, Output, Period, Week};
        let period = match (&args.week, month) {
            (Some(w), _) => Period::Week(
                w.parse::<Week>()
                    .map_err(|e| anyhow::anyhow!("--week: {e}"))?,
            ),
            (None, Some(m)) => Period::Month(m),
            (None, None) => match retained.first() {
                Some((_, m)) => Period::Month(*m),
                None => bail!("no data: the input holds no retained month"),
            },
        };
        let kind = match format {
            ReportFormat::Md => Output::Markdown,
            ReportFormat::Html => Output::Html,
            ReportFormat::Pdf => Output::Pdf,
        };
        let bytes = produce(&shared, center, period, stats.as_of, &assessment, kind)?;
        // Opened only now: a report that cannot be made leaves no empty file behind.
        let mut out = output(args.out.as_deref())?;
        out.write_all(&bytes)?;
        out.flush()?;
        return Ok(());
    }
    if let Some(m) = month {
        if chosen.is_empty() {
            bail!("no data for month {m}");
        }
    }
    let mut out = output(args.out.as_deref())?;
    match args.format {
        OutputFormat::Prometheus => {
            let mut buf = Vec::new();
            TextEncoder::new().encode(&registry.gather(), &mut buf)?;
            out.write_all(&buf)?;
        }
        OutputFormat::Json => {
            let mut list = Vec::new();
            for (c, m) in &chosen {
                let cid = shared.centers.get(c).context("centre")?;
                if let Some(f) = month_figures(&shared, cid, *m, stats.as_of, &assessment) {
                    list.push(serde_json::json!({
                        "summary": f.summary,
                        "units": f.units,
                        "overdue": overdue_list(&shared, cid, *m),
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
                let cid = shared.centers.get(c).context("centre")?;
                if let Some(f) = month_figures(&shared, cid, *m, stats.as_of, &assessment) {
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
