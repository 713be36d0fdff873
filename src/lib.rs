//! hotline-pulse: live metrics and the monthly bulletin (通报) of a 12345 hotline,
//! computed from the work-order event stream.
//!
//! # Layout
//!
//! Data flows one way: **source → decode → engine → views**.
//!
//! - [`event`] — the event contract v1: types, timestamp parsing, decoding with fixed
//!   reason codes for bad input.
//! - [`units`] — unit-name normalisation, the unit registry (aliases) and the label cap.
//! - [`engine`] — the pure, synchronous core: per-order state, the assignment rules,
//!   per-unit and centre counters per cohort month, retention. No I/O, no clock.
//! - [`config`] — assessment rules and engine settings (TOML).
//! - [`view`] — read-side: month snapshots (counts and ratios summed over partitions),
//!   the Prometheus collector, the JSON API types.
//! - [`report`] — the live bulletin rendered as Markdown, HTML (with SVG charts) and PDF
//!   (headless Chromium); the weekly report of long-overdue orders.
//! - [`simulate`] — the deterministic simulated hotline (contract-v1 JSON Lines).
//! - [`source`] — the edges that feed the engine: JSON Lines replay, the live simulator,
//!   Kafka (with checkpoints and the dead-letter topic).
//! - [`health`] — liveness and readiness, set by the sources, read by the server.
//! - [`http`] — the HTTP server: `/metrics`, `/healthz`, `/readyz`, the API, `/report`.
//! - [`app`] — wires a source, the engine and the HTTP server into the service.
//! - [`cli`] — command-line arguments (every option also an environment variable).
//! - [`telemetry`] — the service's own logs: format, colour, the start-up line, secret
//!   redaction, rate-limited internal events, build info.

pub mod app;
pub mod cli;
pub mod config;
pub mod engine;
pub mod event;
pub mod health;
pub mod http;
pub mod report;
pub mod simulate;
pub mod source;
pub mod telemetry;
pub mod units;
pub mod view;
