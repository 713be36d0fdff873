//! Commits: the loop stores each offset its worker reports durable, librdkafka's
//! auto-commit sends what is stored (and retries), and the broker's answers, recorded
//! by the commit callback, are what counts as committed.

use std::time::Instant;

use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use super::Loop;
use crate::source::wall_clock;

impl Loop {
    /// Stores the offsets the workers reported durable; librdkafka's auto-commit
    /// sends them, and they count once the broker answers
    /// ([`Self::take_commit_answers`]). `Sync` (finishing partitions) commits whatever
    /// is not confirmed yet, and waits for the answer.
    pub(super) fn commit(&mut self, mode: CommitMode) {
        self.last_commit = Instant::now();
        let topic = &self.s.kafka.topic;
        let mut store = TopicPartitionList::new();
        let mut now = TopicPartitionList::new();
        for (p, o) in &self.owned {
            if let Some(c) = o.offsets.to_store() {
                let _ = store.add_partition_offset(topic, *p, Offset::Offset(c));
            }
            if let (CommitMode::Sync, Some(c)) = (mode, o.offsets.to_commit()) {
                let _ = now.add_partition_offset(topic, *p, Offset::Offset(c));
            }
        }
        if store.count() > 0 {
            match self.consumer.store_offsets(&store) {
                Ok(()) => {
                    for e in store.elements() {
                        if let (Some(o), Offset::Offset(c)) =
                            (self.owned.get_mut(&e.partition()), e.offset())
                        {
                            o.offsets.stored(c);
                        }
                    }
                }
                Err(e) => self.commit_failed(&e.to_string()),
            }
        }
        if now.count() > 0 {
            match self.consumer.commit(&now, CommitMode::Sync) {
                Ok(()) => {
                    for e in now.elements() {
                        if let (Some(o), Offset::Offset(c)) =
                            (self.owned.get_mut(&e.partition()), e.offset())
                        {
                            o.offsets.answered(c, true);
                        }
                    }
                    self.committed_now();
                }
                Err(e) => self.commit_failed(&e.to_string()),
            }
        }
        // If everything handed over is committed, the state is as durable as it can
        // be now (an idle night is not a stale commit); a held or lagging partition
        // leaves the time where it was.
        if self
            .owned
            .values()
            .all(|o| o.held.is_none() && o.offsets.up_to_date())
        {
            self.committed_now();
        }
    }

    /// Takes the broker's answers to asynchronous commits.
    pub(super) fn take_commit_answers(&mut self) {
        let mut confirmed = false;
        for a in self.consumer.context().take_commit_answers() {
            if let Some(o) = self.owned.get_mut(&a.partition) {
                o.offsets.answered(a.offset, a.error.is_none());
            }
            match a.error {
                None => confirmed = true,
                Some(e) => self.commit_failed(&e),
            }
        }
        if confirmed {
            self.committed_now();
        }
    }

    fn committed_now(&self) {
        self.s
            .metrics
            .commit_last_success
            .set(wall_clock() as f64 / 1000.0);
    }

    fn commit_failed(&self, error: &str) {
        self.s
            .metrics
            .transient_errors
            .with_label_values(&["commit"])
            .inc();
        crate::rate_limited!(
            warn,
            error,
            "offset commit failed (retried; the changelog holds the state)"
        );
    }
}
