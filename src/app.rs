//! Wires a source, the engine and the HTTP server into the service:
//! `run(config, listener, shutdown)` takes its listener and shutdown future from the
//! caller, so `main` binds the real port and tests bind `127.0.0.1:0`.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::{Assessment, EngineConfig};
use crate::engine::Shared;
use crate::health::Health;
use crate::http::{BasicAuth, HttpState, Tls, WebConfig};
use crate::simulate::{Pace, SimConfig, Simulator};
use crate::source::AsOf;
use crate::units::UnitRegistry;
use crate::view::{Board, Exposition};

/// Where events come from.
#[derive(Debug, Clone)]
pub enum SourceConfig {
    /// The built-in simulated hotline: its month played from the start up to the wall
    /// clock at `speed` times real time (0 = at once), at most `rate` events per second
    /// (0 = no limit), then in real time.
    Simulated {
        sim: SimConfig,
        rate: f64,
        speed: f64,
    },
    /// A Kafka topic in a consumer group.
    Kafka(crate::source::kafka::KafkaConfig),
}

/// Everything the service needs, already validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub engine: EngineConfig,
    pub assessment: Assessment,
    pub registry: Option<UnitRegistry>,
    pub source: SourceConfig,
    pub as_of: AsOf,
    pub shutdown_grace: Duration,
    /// TLS and basic auth of the HTTP server (`--web-config-file`).
    pub web: WebConfig,
}

/// The engine's shared settings, the board of published partition views, and the
/// `/metrics` exposition around them.
pub struct State {
    pub shared: Arc<Shared>,
    pub board: Arc<Board>,
    pub exposition: Arc<Exposition>,
}

/// Builds the engine's shared state and the `/metrics` exposition around it.
pub fn build_state(config: &Config) -> anyhow::Result<State> {
    let shared = Shared::new(config.engine.clone(), config.registry.clone());
    let board = Board::new();
    let exposition = Exposition::new(
        board.clone(),
        shared.clone(),
        Arc::new(config.assessment.clone()),
    );
    crate::telemetry::register_build_info(exposition.registry())
        .context("registering build info")?;
    Ok(State {
        shared,
        board,
        exposition: Arc::new(exposition),
    })
}

/// Runs the service until `shutdown` resolves, then stops in order: readiness goes
/// false, the source stops and checkpoints, and the HTTP server stops last.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let State {
        shared,
        board,
        exposition,
    } = build_state(&config)?;
    // process_* as node_exporter users expect; the service only (a replay's
    // textfile output must not claim them).
    exposition
        .registry()
        .register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))
        .context("registering the process metrics")?;
    let tls = match &config.web.tls {
        Some(t) => Some(Arc::new(
            Tls::new(t.clone()).map_err(|e| anyhow::anyhow!("--web-config-file: {e}"))?,
        )),
        None => None,
    };
    let health = Arc::new(Health::default());
    let stop = Arc::new(AtomicBool::new(false));

    let source = {
        let shared = shared.clone();
        let board = board.clone();
        let health = health.clone();
        let stop = stop.clone();
        let as_of = config.as_of;
        match config.source.clone() {
            SourceConfig::Simulated { sim, rate, speed } => {
                let start_ms = crate::event::Month::new(sim.month.0, sim.month.1)
                    .map_or(0, |m| m.start(config.engine.tz));
                let pace = Pace {
                    start_ms,
                    speed,
                    rate,
                };
                let sim = Simulator::try_new(sim).context("invalid simulator settings")?;
                std::thread::Builder::new()
                    .name("simulated-hotline".into())
                    .spawn(move || {
                        crate::source::sim::run(shared, board, sim, pace, as_of, stop, || {
                            health.set_ready()
                        });
                        Ok(())
                    })
                    .context("starting the simulator thread")?
            }
            SourceConfig::Kafka(kafka) => {
                let registry = exposition.registry().clone();
                std::thread::Builder::new()
                    .name("kafka-consumer".into())
                    .spawn(move || {
                        crate::source::kafka::run(
                            kafka, shared, board, &registry, as_of, health, stop,
                        )
                    })
                    .context("starting the Kafka consumer thread")?
            }
        }
    };

    let state = Arc::new(
        HttpState::new(
            shared.clone(),
            board.clone(),
            Arc::new(config.assessment.clone()),
            exposition,
            health.clone(),
            config.as_of,
        )
        .with_auth(BasicAuth::new(&config.web.users))
        .with_completeness(match &config.source {
            SourceConfig::Kafka(k) if k.views_topic.is_some() => {
                Some(crate::source::kafka::VIEWS_MAX_AGE_MS)
            }
            _ => None,
        }),
    );
    let addr = listener
        .local_addr()
        .context("reading the listen address")?;
    let build = crate::telemetry::BUILD;
    tracing::info!(
        version = build.version,
        revision = build.revision,
        listen = %addr,
        scheme = if tls.is_some() { "https" } else { "http" },
        config = %crate::telemetry::effective_config(&config),
        "hotline-pulse started"
    );
    let late_watch = tokio::spawn(crate::telemetry::watch_late_events(shared.clone()));
    let (http_stop_tx, http_stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::http::serve(listener, state, tls, async {
        let _ = http_stop_rx.await;
    }));

    // Wait for the shutdown request, or for the source to end by itself (a fatal
    // error in the consumer).
    let mut source = tokio::task::spawn_blocking(move || source.join());
    tokio::pin!(shutdown);
    let early = tokio::select! {
        () = &mut shutdown => None,
        joined = &mut source => Some(joined),
    };
    health.set_not_ready("shutting_down");
    stop.store(true, Ordering::SeqCst);
    let result = match early {
        Some(joined) => flatten(joined),
        None => {
            tracing::info!("shutdown requested: stopping the source");
            match tokio::time::timeout(config.shutdown_grace, &mut source).await {
                Ok(joined) => flatten(joined),
                Err(_) => Err(anyhow::anyhow!(
                    "the source did not stop within the shutdown grace of {:?}",
                    config.shutdown_grace
                )),
            }
        }
    };
    late_watch.abort();
    let _ = http_stop_tx.send(());
    match tokio::time::timeout(Duration::from_secs(10), server).await {
        Ok(Ok(())) | Err(_) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "HTTP server task failed"),
    }
    result
}

fn flatten(
    joined: Result<std::thread::Result<anyhow::Result<()>>, tokio::task::JoinError>,
) -> anyhow::Result<()> {
    match joined {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => anyhow::bail!("the source thread panicked"),
        Err(e) => anyhow::bail!("the source thread could not be joined: {e}"),
    }
}
