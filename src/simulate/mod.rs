//! The deterministic simulated hotline: seeded, streaming contract-v1 event streams
//! (JSON Lines) shaped like the Golmud and Haikou bulletins.
//!
//! # Layout
//!
//! - `profile` — what a simulated hotline is made of; `golmud` and `haikou` — the two
//!   profiles, each documenting the numbers it takes from its bulletin and the ones that
//!   are ours.
//! - `clock` — received times over a month (working-hours shape), working-day
//!   deadlines, RFC 3339 text.
//! - `lifecycle` — one order's events, from `received` to its last `callback`.
//! - `stream` — [`Simulator`]: orders in received order, their future events in a heap,
//!   delivery effects (disorder, duplicates), rendering.
//! - `pace` — [`Paced`]: live delivery that plays the month up to the wall clock at a
//!   chosen speed and never past it.
//! - `registry` — the unit registry that ships with the simulator (its aliases).
//!
//! # Guarantees
//!
//! The same [`SimConfig`] gives byte-identical output. Events are emitted in
//! non-decreasing `at` order unless `disorder` delays some (never by more than three
//! days, and never changing an `at`); `disorder` and `duplicates` draw from their own
//! random stream, so they change only how the same set of events is delivered. Memory
//! grows with the orders in flight ([`Simulator::pending`]), not with `orders`.

mod clock;
mod golmud;
mod haikou;
mod lifecycle;
mod pace;
mod profile;
mod registry;
mod stream;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_mix;

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

pub use pace::{Next, Pace, Paced};
pub use registry::{unit_registry, unit_registry_toml};
pub use stream::Simulator;

/// Which bulletin the simulated hotline is shaped like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum)]
pub enum Profile {
    /// Haikou, January 2023: a large city, ~228,000 records a month.
    Haikou,
    /// Golmud, November 2024: a small city, ~4,000 records a month.
    #[default]
    Golmud,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Haikou => "haikou",
            Profile::Golmud => "golmud",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown simulator profile {0:?} (expected \"haikou\" or \"golmud\")")]
pub struct ParseProfileError(String);

impl FromStr for Profile {
    type Err = ParseProfileError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "haikou" => Ok(Profile::Haikou),
            "golmud" => Ok(Profile::Golmud),
            _ => Err(ParseProfileError(s.to_owned())),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    pub seed: u64,
    /// Number of records (`received` events) to generate.
    pub orders: u64,
    /// (year, month) the received times are spread over.
    pub month: (i32, u32),
    /// The offset timestamps are written in; whole minutes, less than a day.
    pub tz_offset_secs: i32,
    pub profile: Profile,
    /// When set, every event carries `center`.
    pub center: Option<String>,
    /// Fraction of event deliveries delayed by up to three days (out-of-order delivery).
    pub disorder: f64,
    /// Fraction of events delivered twice (same event_id, identical JSON).
    pub duplicates: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            orders: 10_000,
            month: (2024, 11),
            tz_offset_secs: 8 * 3600,
            profile: Profile::Golmud,
            center: None,
            disorder: 0.0,
            duplicates: 0.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimConfigError {
    #[error("month must be a year 1000–9999 and a month 1–12, got {0}-{1}")]
    Month(i32, u32),
    #[error("time-zone offset must be whole minutes within ±23:59, got {0} s")]
    Offset(i32),
    #[error("{0} must be a fraction between 0 and 1")]
    Fraction(&'static str),
    #[error("center must be 1–64 characters")]
    Center,
}

impl SimConfig {
    /// Checks what the generator relies on; [`Simulator::new`] panics on what this
    /// rejects, [`Simulator::try_new`] returns it.
    pub fn validate(&self) -> Result<(), SimConfigError> {
        let (year, month) = self.month;
        if !(1000..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(SimConfigError::Month(year, month));
        }
        if self.tz_offset_secs % 60 != 0 || self.tz_offset_secs.abs() >= 24 * 3600 {
            return Err(SimConfigError::Offset(self.tz_offset_secs));
        }
        for (name, v) in [("disorder", self.disorder), ("duplicates", self.duplicates)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(SimConfigError::Fraction(name));
            }
        }
        if let Some(c) = &self.center {
            if c.is_empty() || c.chars().count() > 64 {
                return Err(SimConfigError::Center);
            }
        }
        Ok(())
    }
}

/// One emitted event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimEvent {
    /// Event time (`at`), UTC epoch milliseconds.
    pub at_ms: i64,
    pub order_id: String,
    /// One JSON object, no newline.
    pub line: String,
}

/// Writes the whole simulated stream as JSON Lines; returns the number of lines. An
/// invalid `cfg` is an `InvalidInput` error.
pub fn write_jsonl(cfg: SimConfig, out: &mut impl Write) -> io::Result<u64> {
    let sim =
        Simulator::try_new(cfg).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    let mut n = 0;
    for event in sim {
        out.write_all(event.line.as_bytes())?;
        out.write_all(b"\n")?;
        n += 1;
    }
    out.flush()?;
    Ok(n)
}
