//! The engine bounded under hostile input and over time (issue 9, items 3 and 4): each
//! test here failed on the engine before its rewrite (or, for the replay's input
//! errors, on the rewrite itself: a reader error hung the replay).
//!
//! - `future` — an event dated 2204 and a JSON array are refused everywhere, and move
//!   nothing;
//! - `labels` — dropped events take no label slot, evicted orders free theirs;
//! - `year` — twelve simulated months through one engine hold as much as three;
//! - `scrape` — readers never see half an order applied;
//! - `replay_errors` — a replay whose input fails says so, and prints no figures.

#[path = "../common/mod.rs"]
mod common;

mod future;
mod labels;
mod replay_errors;
mod scrape;
mod year;
