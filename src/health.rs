//! Liveness and readiness: the process answering, and the source saying whether its
//! figures can be trusted yet (state restored, consumer caught up, nothing held back).
//! Sources set it; the HTTP server reads it. Neither imports the other.

use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;

#[derive(Default)]
pub struct Health {
    ready: AtomicBool,
    reason: Mutex<&'static str>,
}

impl Health {
    pub fn set_ready(&self) {
        *self.reason.lock() = "";
        self.ready.store(true, Ordering::SeqCst);
    }

    /// Not ready, with a fixed reason code shown by `/readyz`.
    pub fn set_not_ready(&self, reason: &'static str) {
        *self.reason.lock() = reason;
        self.ready.store(false, Ordering::SeqCst);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    pub fn reason(&self) -> &'static str {
        *self.reason.lock()
    }
}
