//! Typed internal events (Vector's `internal_events` pattern): one struct per
//! occurrence, whose `emit` logs it (rate-limited) so the message is written once.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use super::limit::{Decision, RateLimit};
use crate::engine::Shared;

/// An occurrence worth telling the operator about.
pub trait InternalEvent {
    fn emit(self);
}

/// Events dropped because their month had left the retention window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LateEventsDropped {
    /// Dropped since the last warning.
    pub count: u64,
    /// Dropped since start (`hotline_events_late_total`).
    pub total: u64,
    pub retention_months: u32,
}

impl InternalEvent for LateEventsDropped {
    fn emit(self) {
        tracing::warn!(
            dropped = self.count,
            total = self.total,
            retention_months = self.retention_months,
            "events dropped as late: their month is older than the retention window \
             (counted in hotline_events_late_total). To backfill an old export, run it \
             with --as-of watermark (replay, or serve --as-of watermark) or raise \
             --retention-months"
        );
    }
}

/// How often the service looks at the late counter, and the shortest time between two
/// warnings (the count accumulates in between).
pub const LATE_CHECK_EVERY: Duration = Duration::from_secs(2);
pub const LATE_WARN_EVERY: Duration = Duration::from_secs(60);

/// Watches the pipeline's late counter and warns, at most once a minute, with how many
/// events were dropped since the last warning. Runs until dropped (abort the task).
pub async fn watch_late_events(shared: Arc<Shared>) {
    let limit = RateLimit::new(LATE_WARN_EVERY);
    let mut reported = shared.stats.late.load(Relaxed);
    let mut tick = tokio::time::interval(LATE_CHECK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let total = shared.stats.late.load(Relaxed);
        if total <= reported {
            continue;
        }
        // Only an emitted warning moves `reported`, so the next one carries the count
        // of everything dropped in between.
        if let Decision::Emit { .. } = limit.check() {
            LateEventsDropped {
                count: total - reported,
                total,
                retention_months: shared.config.retention_months,
            }
            .emit();
            reported = total;
        }
    }
}
