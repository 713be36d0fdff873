//! What the commands share (the engine's settings, the simulator's, output files, the
//! outcome), and the two small commands: `simulate` and `produce`.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::{bail, Context};

use super::args::*;
use super::kafka::kafka_options;
use crate::config::{Assessment, EngineConfig};
use crate::event::{Month, TimeZone};
use crate::simulate::SimConfig;
use crate::source::wall_clock;
use crate::units::UnitRegistry;

/// How a command that did its work ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// `replay --strict` with rejected lines (exit status 2).
    Rejected,
}

impl Common {
    pub fn timezone(&self) -> anyhow::Result<TimeZone> {
        self.timezone
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--timezone: {e}"))
    }
}

impl EngineArgs {
    pub fn engine_config(
        &self,
        common: &Common,
        assessment: &Assessment,
    ) -> anyhow::Result<EngineConfig> {
        if self.center.trim().is_empty() || self.center.chars().count() > 64 {
            bail!("--center: must be 1 to 64 characters");
        }
        if !(self.future_horizon_hours >= 0.0 && self.future_horizon_hours <= 24.0 * 366.0) {
            bail!("--future-horizon-hours: must be between 0 and 8784 (a year)");
        }
        Ok(EngineConfig {
            tz: common.timezone()?,
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
            // The simulator writes one offset: the zone's at the month's start.
            tz_offset_secs: tz.offset_at(month.start(tz)),
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

pub(super) fn output(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) => Box::new(BufWriter::new(
            File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    })
}

/// `simulate`: writes the simulated hotline as JSON Lines.
pub fn simulate(common: &Common, args: &SimulateArgs) -> anyhow::Result<Outcome> {
    let cfg = args.sim.sim_config(common.timezone()?)?;
    let mut out = output(args.out.as_deref())?;
    let n = crate::simulate::write_jsonl(cfg, &mut out)?;
    out.flush()?;
    tracing::info!(events = n, "simulated");
    Ok(Outcome::Done)
}

/// `produce`: feeds a topic from files or the simulator. SIGINT/SIGTERM stop it after
/// the message in hand; what was sent is flushed and counted.
pub fn produce(common: &Common, args: &ProduceArgs) -> anyhow::Result<Outcome> {
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
    let options = kafka_options(&args.kafka, &|k| std::env::var(k).ok())?;
    let stop = Arc::new(AtomicBool::new(false));
    super::signals::stop_on_signal(stop.clone(), "stopping after the message in hand")?;
    crate::source::kafka::produce(
        brokers,
        &args.kafka.topic,
        &options,
        &args.files,
        sim,
        args.rate,
        args.partitions,
        stop,
    )?;
    Ok(Outcome::Done)
}
