//! Liveness and readiness: the process answering, and the source saying whether its
//! figures can be trusted yet (state restored, consumer caught up, nothing held back).
//! Sources set it; the HTTP server reads it. Neither imports the other.

use parking_lot::Mutex;

/// Not ready until a source says otherwise.
pub struct Health {
    /// `None` when ready, else why not: a fixed reason code shown by `/readyz`.
    not_ready: Mutex<Option<&'static str>>,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            not_ready: Mutex::new(Some("starting")),
        }
    }
}

impl Health {
    pub fn set_ready(&self) {
        *self.not_ready.lock() = None;
    }

    pub fn set_not_ready(&self, reason: &'static str) {
        *self.not_ready.lock() = Some(reason);
    }

    /// Why the service is not ready; `None` when it is.
    pub fn not_ready(&self) -> Option<&'static str> {
        *self.not_ready.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::Health;

    #[test]
    fn readiness_and_its_reason_are_one_value() {
        let h = Health::default();
        assert_eq!(h.not_ready(), Some("starting"));
        h.set_ready();
        assert_eq!(h.not_ready(), None);
        h.set_not_ready("restoring");
        assert_eq!(h.not_ready(), Some("restoring"));
    }
}
