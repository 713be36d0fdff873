//! The command line: arguments (every option also an environment variable), their
//! validation, and the commands they run.
//!
//! - `args` — the flags; `validate` — flags that do not apply are refused.
//! - `listen` — `--listen` spellings; `kafka` — librdkafka settings from flags, files and
//!   environment variables, secrets registered with the log scrubber.
//! - `serve` — the service's configuration; `replay` — replay and backfill;
//!   `commands` — `simulate`, `produce` and what the commands share; `table` — the
//!   replay table; `check` — `check-config`; `completions` — shell completions.

mod args;
mod check;
mod commands;
mod completions;
mod kafka;
mod listen;
mod replay;
mod serve;
mod signals;
mod table;
mod validate;

pub use args::*;
pub use check::{check_config, CheckArgs};
pub use commands::{produce, simulate, Outcome};
pub use completions::{completions, CompletionsArgs};
pub use kafka::{kafka_options, parse_properties, split_env_options};
pub use replay::replay;
pub use serve::app_config;
pub use signals::Signals;
pub use validate::refuse_inapplicable;
