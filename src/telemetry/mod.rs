//! The service's own telemetry: log set-up (text or JSON; colour only on a terminal and
//! never with `NO_COLOR`), secret redaction in every log line and error, the start-up
//! line (version, revision, effective configuration with secrets redacted), build info,
//! and rate-limited internal events in the manner of Vector's `internal_events`.
//!
//! # Rate-limited events
//!
//! [`rate_limited!`](crate::rate_limited) wraps a `tracing` macro with a limit keyed by
//! its call site: within each window (10 s) the first occurrence is logged, the second
//! logs that the message is being suppressed, the rest are silent, and the first one
//! after the window carries `suppressed = N`. Counting stays the caller's: count every
//! occurrence in its metric, log through the macro, so a flood of errors costs a few
//! lines, never a few hundred.
//!
//! ```ignore
//! hotline_pulse::rate_limited!(warn, kind, error = %error, "kafka client error");
//! ```
//!
//! For a limit per key (say per partition or error kind), keep a [`RateLimit`] per key
//! and match on [`RateLimit::check`]. Typed events implement [`InternalEvent`].

mod events;
mod limit;
mod logging;
mod redact;
mod startup;

pub use events::{watch_late_events, InternalEvent, LateEventsDropped};
pub use limit::{Decision, RateLimit, DEFAULT_WINDOW};
pub use logging::{init, use_colour, LogFormat};
pub use redact::{is_secret_key, register_secret, scrub, REDACTED};
pub use startup::{effective_config, register_build_info, BuildInfo, BUILD};
