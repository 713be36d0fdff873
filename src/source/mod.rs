//! The edges that feed the engine: JSON Lines replay, the live simulated hotline and
//! Kafka. Each decodes messages (the decoder refuses events dated past the future
//! horizon), counts and dead-letters bad ones, applies the rest to a
//! [`crate::engine::Partition`] with an as-of time it chooses, and publishes the
//! partition's snapshots on the [`crate::view::Board`].

pub mod kafka;
pub mod replay;
pub mod sim;

use std::time::{SystemTime, UNIX_EPOCH};

use crate::engine::Shared;
use crate::event::{parse_timestamp, Millis, TimeZone};

/// How the as-of time (what "overdue now" and "due soon" are judged against) is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// The wall clock: live consumption.
    Now,
    /// The largest event time seen: replays and the simulator.
    Watermark,
    /// A fixed instant, e.g. the bulletin's 截至时间.
    Fixed(Millis),
}

impl AsOf {
    /// Parses `now`, `watermark` or a timestamp (read in `tz` when naive).
    pub fn parse(s: &str, tz: TimeZone) -> Result<Self, String> {
        match s {
            "now" => Ok(AsOf::Now),
            "watermark" => Ok(AsOf::Watermark),
            t => parse_timestamp(t, tz).map(AsOf::Fixed).ok_or_else(|| {
                format!("invalid as-of {t:?}: expected now, watermark or a timestamp such as 2024-12-12T10:00:00+08:00")
            }),
        }
    }

    /// The as-of time given the watermark and the wall clock.
    pub fn at(self, watermark: Millis, now: Millis) -> Millis {
        match self {
            AsOf::Now => now,
            AsOf::Watermark => watermark,
            AsOf::Fixed(t) => t,
        }
    }

    /// The as-of time given this process's watermark (`Millis::MIN` before any event)
    /// and the wall clock.
    pub fn of(self, shared: &Shared, now: Millis) -> Millis {
        self.at(shared.watermark().unwrap_or(Millis::MIN), now)
    }
}

/// Wall-clock time in milliseconds (the edges own the clock; the engine never reads it).
pub fn wall_clock() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}
