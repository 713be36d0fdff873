//! Dead letters: a rejected message's copy goes to the dead-letter topic, and the
//! partition holds (is never committed past it) until that copy is delivered; a copy
//! too large for the topic is cut to size.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::types::RDKafkaErrorCode;

use super::{Worker, MAX_BACKOFF};
use crate::event::RejectReason;
use crate::source::kafka::consumer::dead_letter::{Letter, TRUNCATED_BYTES};
use crate::source::kafka::producer::{self, DeadLetterState, Delivery, DlqState};

/// A dead-letter copy until its delivery is confirmed.
pub(super) struct PendingLetter {
    pub(super) letter: Letter,
    pub(super) state: Arc<DeadLetterState>,
    pub(super) retry_at: Option<Instant>,
    backoff: Duration,
}

impl Worker {
    pub(super) fn reject(
        &mut self,
        reason: RejectReason,
        field: Option<&'static str>,
        offset: i64,
        key: Option<&[u8]>,
        payload: &[u8],
    ) {
        self.s.shared.stats.reject(reason);
        crate::rate_limited!(
            warn,
            partition = self.p,
            offset,
            reason = reason.code(),
            field,
            "rejected message (dead-lettered)"
        );
        let letter = Letter::new(
            reason,
            key,
            payload,
            &self.s.kafka.topic,
            self.p,
            offset,
            self.s.dlq_max_bytes,
        );
        if letter.truncated() {
            self.s.metrics.dead_letter_truncated.inc();
        }
        let state = DeadLetterState::new(reason);
        let mut pending = PendingLetter {
            letter,
            state,
            retry_at: None,
            backoff: Duration::from_millis(200),
        };
        self.send_letter(&mut pending);
        self.letters.push_back(pending);
        self.s.metrics.dead_letter_pending.inc();
    }

    fn send_letter(&self, l: &mut PendingLetter) {
        l.state.retry();
        let numbers = l.letter.numbers();
        let record = l.letter.record(
            &self.s.kafka.dlq_topic,
            &numbers,
            Box::new(Delivery::DeadLetter(l.state.clone())),
        );
        if let Err((e, _)) = producer::send(&self.s.producer, record, &self.give_up) {
            // Refused before it was queued: handled like a failed delivery.
            tracing::debug!(partition = self.p, error = %e, "dead-letter copy not queued");
            l.retry_at = Some(Instant::now() + l.backoff);
            if matches!(
                e.rdkafka_error_code(),
                Some(RDKafkaErrorCode::MessageSizeTooLarge)
            ) {
                l.letter.truncate(TRUNCATED_BYTES);
                self.s.metrics.dead_letter_truncated.inc();
                l.retry_at = Some(Instant::now());
            }
        }
    }

    /// Retries failed dead-letter copies (cut to size when the topic refused their
    /// size); forgets delivered ones.
    pub(super) fn check_letters(&mut self) {
        let now = Instant::now();
        let mut failing = false;
        let mut letters = std::mem::take(&mut self.letters);
        for l in letters.iter_mut() {
            if let (DlqState::Failed(code), None) = (l.state.get(), l.retry_at) {
                if code == RDKafkaErrorCode::MessageSizeTooLarge && !l.letter.truncated() {
                    l.letter.truncate(TRUNCATED_BYTES);
                    self.s.metrics.dead_letter_truncated.inc();
                    l.retry_at = Some(now);
                } else {
                    crate::rate_limited!(error, partition = self.p, offset = l.letter.offset, error = %code, "dead-letter copy failed: the partition holds until it is delivered");
                    l.retry_at = Some(now + l.backoff);
                    l.backoff = (l.backoff * 2).min(MAX_BACKOFF);
                }
            }
            if l.retry_at.is_some_and(|t| t <= now) {
                l.retry_at = None;
                self.send_letter(l);
            }
            failing |= l.retry_at.is_some() || matches!(l.state.get(), DlqState::Failed(_));
        }
        let before = letters.len();
        letters.retain(|l| l.retry_at.is_some() || l.state.get() != DlqState::Delivered);
        self.s
            .metrics
            .dead_letter_pending
            .sub((before - letters.len()) as i64);
        self.letters = letters;
        self.hold(if failing {
            Some("dead_letter_failing")
        } else if self.changelog_failing {
            Some("changelog_failing")
        } else {
            None
        });
    }
}
