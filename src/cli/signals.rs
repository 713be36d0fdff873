//! SIGINT and SIGTERM: the first asks for a graceful stop, a second exits at once
//! (status 130). One definition for `serve` (inside its runtime) and for the commands
//! that run none (`produce`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use tokio::signal::unix::{signal, Signal, SignalKind};

/// The installed handlers: from then on a signal never takes its default action,
/// which would end the process without its graceful stop.
pub struct Signals {
    term: Signal,
    int: Signal,
}

impl Signals {
    /// Installs the handlers (inside a tokio runtime).
    pub fn install() -> anyhow::Result<Self> {
        Ok(Signals {
            term: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
            int: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
        })
    }

    async fn next(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }

    /// Resolves on the first signal, saying `what` the process does now; a second
    /// signal then exits at once.
    pub async fn first(mut self, what: &'static str) {
        self.next().await;
        tracing::info!("signal received: {what} (send it again to exit at once)");
        tokio::spawn(async move {
            self.next().await;
            eprintln!("hotline-pulse: second signal: exiting now");
            std::process::exit(130);
        });
    }
}

/// Sets `stop` on the first signal, from a thread of its own; the handlers are
/// installed before this returns.
pub fn stop_on_signal(stop: Arc<AtomicBool>, what: &'static str) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .context("starting the signal handler")?;
    let signals = {
        let _guard = rt.enter();
        Signals::install()?
    };
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            rt.block_on(async {
                signals.first(what).await;
                stop.store(true, Ordering::SeqCst);
                // Keep the runtime, and with it the second-signal exit, alive.
                std::future::pending::<()>().await
            });
        })
        .context("starting the signal handler")?;
    Ok(())
}
