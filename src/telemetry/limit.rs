//! A rate limit for repeated log lines, with Vector's semantics (`lib/tracing-limit`):
//! per window, the first occurrence is logged, the second announces the suppression,
//! the others are counted silently and reported with the next logged occurrence.

use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// The window of [`rate_limited!`](crate::rate_limited), as in Vector.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(10);

/// What to do with one occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Log it; `suppressed` occurrences of the previous window were not logged.
    Emit { suppressed: u64 },
    /// The second occurrence in the window: log that the message is being suppressed.
    Suppressing,
    /// Stay silent (counted, and reported with the next [`Decision::Emit`]).
    Silent,
}

#[derive(Debug)]
struct State {
    start: Option<Instant>,
    count: u64,
}

/// One rate-limited message (a call site, or one key of it).
#[derive(Debug)]
pub struct RateLimit {
    window: Duration,
    state: Mutex<State>,
}

impl RateLimit {
    pub const fn new(window: Duration) -> Self {
        RateLimit {
            window,
            state: parking_lot::const_mutex(State {
                start: None,
                count: 0,
            }),
        }
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    pub fn check(&self) -> Decision {
        self.check_at(Instant::now())
    }

    /// [`RateLimit::check`] at a given instant (tests).
    pub fn check_at(&self, now: Instant) -> Decision {
        let mut s = self.state.lock();
        match s.start {
            Some(start) if now.saturating_duration_since(start) < self.window => {
                s.count += 1;
                if s.count == 2 {
                    Decision::Suppressing
                } else {
                    Decision::Silent
                }
            }
            _ => {
                let suppressed = s.count.saturating_sub(1);
                s.start = Some(now);
                s.count = 1;
                Decision::Emit { suppressed }
            }
        }
    }
}

/// A `tracing` event rate-limited by its call site (see the module documentation of
/// [`crate::telemetry`]). `rate_limited!(warn, field = value, "message")`; a `target:`
/// may follow the level.
#[macro_export]
macro_rules! rate_limited {
    ($level:ident, target: $target:expr, $($arg:tt)+) => {{
        static LIMIT: $crate::telemetry::RateLimit =
            $crate::telemetry::RateLimit::new($crate::telemetry::DEFAULT_WINDOW);
        match LIMIT.check() {
            $crate::telemetry::Decision::Emit { suppressed: 0 } => {
                ::tracing::$level!(target: $target, $($arg)+)
            }
            $crate::telemetry::Decision::Emit { suppressed } => {
                ::tracing::$level!(target: $target, suppressed, $($arg)+)
            }
            $crate::telemetry::Decision::Suppressing => ::tracing::$level!(
                target: $target,
                window_secs = LIMIT.window().as_secs(),
                "the previous message repeats: suppressing it for the rest of the window"
            ),
            $crate::telemetry::Decision::Silent => {}
        }
    }};
    ($level:ident, $($arg:tt)+) => {{
        static LIMIT: $crate::telemetry::RateLimit =
            $crate::telemetry::RateLimit::new($crate::telemetry::DEFAULT_WINDOW);
        match LIMIT.check() {
            $crate::telemetry::Decision::Emit { suppressed: 0 } => ::tracing::$level!($($arg)+),
            $crate::telemetry::Decision::Emit { suppressed } => {
                ::tracing::$level!(suppressed, $($arg)+)
            }
            $crate::telemetry::Decision::Suppressing => ::tracing::$level!(
                window_secs = LIMIT.window().as_secs(),
                "the previous message repeats: suppressing it for the rest of the window"
            ),
            $crate::telemetry::Decision::Silent => {}
        }
    }};
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::Arc;

    use super::*;

    #[test]
    fn first_logged_second_announced_rest_counted_until_the_window_ends() {
        let limit = RateLimit::new(Duration::from_secs(10));
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        assert_eq!(limit.check_at(at(0)), Decision::Emit { suppressed: 0 });
        assert_eq!(limit.check_at(at(1)), Decision::Suppressing);
        for i in 2..100 {
            assert_eq!(limit.check_at(at(i)), Decision::Silent);
        }
        // 99 after the first: all suppressed, reported with the next logged one.
        assert_eq!(
            limit.check_at(at(10_000)),
            Decision::Emit { suppressed: 99 }
        );
        assert_eq!(limit.check_at(at(30_000)), Decision::Emit { suppressed: 0 });
    }

    #[derive(Clone, Default)]
    struct Buf(Arc<parking_lot::Mutex<Vec<u8>>>);

    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_flood_through_the_macro_costs_two_lines() {
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            for i in 0..275 {
                crate::rate_limited!(warn, attempt = i, "broker unreachable");
            }
        });
        let text = String::from_utf8(buf.0.lock().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].contains("broker unreachable") && lines[0].contains("attempt=0"));
        assert!(lines[1].contains("suppressing"), "{text}");
    }
}
