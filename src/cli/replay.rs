//! `replay`: JSON Lines files through the engine, printed as a table, JSON, the
//! Prometheus text, or the bulletin; `--strict` fails when any line was rejected.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::time::Duration;

use anyhow::{bail, Context};

use super::args::*;
use super::commands::{output, Outcome};
use crate::app::{build_state, Config, SourceConfig, State};
use crate::event::Month;
use crate::simulate::SimConfig;
use crate::source::{replay::replay as run_replay, AsOf};
use crate::view::{
    aggregate, month_figures, months, overdue_list, CentreFigures, Filter, Format, OverdueItem,
    Scope, UnitFigures,
};

/// `replay`: runs files through the engine, prints figures or the bulletin.
pub fn replay(common: &Common, args: &ReplayArgs) -> anyhow::Result<Outcome> {
    let assessment = args.engine.assessment()?;
    let engine = args.engine.engine_config(common, &assessment)?;
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
        registry: args.engine.registry()?,
        source: SourceConfig::Simulated {
            sim: SimConfig::default(),
            rate: 0.0,
            speed: 0.0,
        },
        as_of,
        shutdown_grace: Duration::ZERO,
        web: Default::default(),
    };
    let State {
        shared,
        board,
        exposition,
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
            "hotline-pulse: {} of {} lines rejected{}{}",
            stats.rejected,
            stats.lines,
            if args.dead_letter.is_some() {
                " (see the dead-letter file)"
            } else {
                " (use --dead-letter FILE to keep them)"
            },
            if args.strict {
                "; --strict: exit status 2"
            } else {
                ""
            }
        );
    }
    let outcome = if args.strict && stats.rejected > 0 {
        Outcome::Rejected
    } else {
        Outcome::Done
    };
    let agg = aggregate(&board.snapshots(Scope::Local), &Filter::default());
    let retained = months(&agg);
    let center = shared.config.default_center.as_str();
    let chosen: Vec<(String, Month)> = retained
        .iter()
        .filter(|(_, m)| month.is_none_or(|x| x == *m))
        .cloned()
        .collect();
    if let Some(format) = args.report {
        use crate::report::{produce, Output, Period, Request, Week};
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
        let req = Request {
            center,
            period,
            as_of: stats.as_of,
            output: kind,
            incomplete: None,
        };
        let bytes = produce(&agg, &shared.config, &assessment, req)?;
        // Opened only now: a report that cannot be made leaves no empty file behind.
        let mut out = output(args.out.as_deref())?;
        out.write_all(&bytes)?;
        out.flush()?;
        return Ok(outcome);
    }
    if let Some(m) = month {
        if chosen.is_empty() {
            bail!("no data for month {m}");
        }
    }
    let mut out = output(args.out.as_deref())?;
    match args.format {
        OutputFormat::Prometheus => {
            out.write_all(exposition.render(Format::Text).as_bytes())?;
        }
        OutputFormat::Json => {
            let mut months = Vec::new();
            for (c, m) in &chosen {
                if let Some(f) =
                    month_figures(&agg, &shared.config, c, *m, stats.as_of, &assessment)
                {
                    let overdue = agg
                        .month(c, *m)
                        .map(|s| overdue_list(s, tz))
                        .unwrap_or_default();
                    months.push(JsonMonth {
                        overdue,
                        summary: f.summary,
                        units: f.units,
                    });
                }
            }
            // Written straight from the figures: a month's overdue list is thousands of
            // rows, and building a `serde_json::Value` of it first, on this one thread
            // after the shards finished, was about 2 % of a Haikou replay's wall time.
            let all = JsonOutput {
                as_of: stats.as_of,
                months,
            };
            serde_json::to_writer_pretty(&mut out, &all)?;
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
    Ok(outcome)
}

/// `replay --format json`: the months' figures and overdue lists.
#[derive(serde::Serialize)]
struct JsonOutput {
    as_of: i64,
    months: Vec<JsonMonth>,
}

#[derive(serde::Serialize)]
struct JsonMonth {
    overdue: Vec<OverdueItem>,
    summary: CentreFigures,
    units: Vec<UnitFigures>,
}
