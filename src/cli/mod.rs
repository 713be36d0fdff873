//! The command line: arguments (every option also an environment variable) and the
//! commands they run.

mod args;
mod commands;
mod table;

pub use args::*;
pub use commands::{app_config, produce, replay, simulate};
