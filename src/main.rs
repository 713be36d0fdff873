//! `hotline-pulse`: parse the command line, build the settings, run, exit code.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use hotline_pulse::cli::{self, Cli, Command};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = EnvFilter::try_new(&cli.common.log).unwrap_or_else(|e| {
        eprintln!("hotline-pulse: --log {:?}: {e}; using info", cli.common.log);
        EnvFilter::new("info")
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let result = match &cli.command {
        Command::Replay(args) => cli::replay(&cli.common, args),
        Command::Simulate(args) => cli::simulate(&cli.common, args),
        Command::Produce(args) => cli::produce(&cli.common, args),
        Command::Serve(args) => serve(&cli.common, args),
        Command::CheckConfig(args) => cli::check_config(&cli.common, args),
        Command::Completions(args) => cli::completions(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hotline-pulse: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(common: &cli::Common, args: &cli::ServeArgs) -> anyhow::Result<()> {
    let config = cli::app_config(common, args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        hotline_pulse::app::run(config, listener, shutdown_signal()).await
    })
}

/// Resolves on the first SIGINT/SIGTERM; a second one exits at once.
async fn shutdown_signal() {
    wait_signal().await;
    tracing::info!("signal received: shutting down (send it again to exit at once)");
    tokio::spawn(async {
        wait_signal().await;
        eprintln!("hotline-pulse: second signal: exiting now");
        std::process::exit(130);
    });
}

async fn wait_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
