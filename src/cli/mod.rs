//! The command line: arguments (every option also an environment variable) and the
//! commands they run.

mod args;
mod check;
mod commands;
mod completions;
mod table;

pub use args::*;
pub use check::{check_config, CheckArgs};
pub use commands::{app_config, produce, replay, simulate};
pub use completions::{completions, CompletionsArgs};
