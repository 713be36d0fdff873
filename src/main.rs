//! `hotline-pulse`: parse the command line, refuse what does not apply, set up logging,
//! run, exit code. A closed stdout (`simulate | head`) ends quietly with status 0.

use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches};
use hotline_pulse::cli::{self, Cli, Command, Outcome};
use hotline_pulse::telemetry;

fn main() -> ExitCode {
    fix_mmap_threshold();
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    if let Err(e) = cli::refuse_inapplicable(&matches) {
        eprintln!("hotline-pulse: {e:#}");
        return ExitCode::from(2);
    }
    if let Some(warning) = telemetry::init(&cli.common.log, cli.common.log_format) {
        tracing::warn!("{warning}");
    }
    let result = match &cli.command {
        Command::Replay(args) => cli::replay(&cli.common, args),
        Command::Simulate(args) => cli::simulate(&cli.common, args),
        Command::Produce(args) => cli::produce(&cli.common, args),
        Command::Serve(args) => serve(&cli.common, args).map(|()| Outcome::Done),
        Command::CheckConfig(args) => cli::check_config(&cli.common, args).map(|()| Outcome::Done),
        Command::Completions(args) => cli::completions(args).map(|()| Outcome::Done),
    };
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Rejected) => ExitCode::from(2),
        Err(e) if broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Whatever an error quotes (a librdkafka message, say), secrets stay out.
            eprintln!("hotline-pulse: {}", telemetry::scrub(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

/// Keeps glibc's allocator serving blocks of 128 KiB and more with their own mappings,
/// returned to the system when freed. By default glibc raises that threshold each time
/// such a block is freed (up to 32 MiB), after which the large buffers of a partition
/// (its order slots and index, routed blocks, packed tombstones) come from the heap,
/// and the holes they leave stay resident. A replayed year (3-month retention) peaked
/// at 118.1 MB at month 12 and 107.1 MB at month 3 with the default, 115.8 MB and
/// 105.8 MB with this; a replay's time did not change (docs/benchmarks.md). Other
/// allocators than glibc's are left as they are.
fn fix_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets a parameter of glibc's allocator; it takes no
    // pointer, and this runs before any other thread is started.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// The reader of our output went away (`| head`): not an error of ours.
fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn serve(common: &cli::Common, args: &cli::ServeArgs) -> anyhow::Result<()> {
    let config = cli::app_config(common, args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let signals = cli::Signals::install()?;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        hotline_pulse::app::run(config, listener, signals.first("shutting down")).await
    })
}
