//! Rebalances: assigned partitions get a worker that restores them, and are fetched
//! only once restored, from the offset their restored state covers (the group's
//! committed offset when no owner wrote one); revoked ones are finished and committed
//! before they are released.

use std::sync::mpsc;
use std::time::Duration;

use rdkafka::consumer::Consumer;
use rdkafka::{Offset, TopicPartitionList};

use super::context::Signal;
use super::offsets::Offsets;
use super::restore::{self, Resume};
use super::worker::{Messages, Worker};
use super::{Assigning, Loop, Owned, WORKER_QUEUE};
use crate::source::kafka::producer::GiveUp;

impl Loop {
    pub(super) fn rebalance(&mut self, signal: Signal) {
        match signal {
            Signal::Assign {
                partitions,
                cooperative,
            } => {
                self.rebalanced = true;
                if !self.changelog_ensured {
                    self.changelog_ensured = restore::ensure_changelog(&self.s, &self.consumer);
                }
                for &p in &partitions {
                    if !self.owned.contains_key(&p) {
                        self.start(p);
                    }
                }
                tracing::info!(?partitions, "partitions assigned: restoring");
                self.assigning = Some(Assigning {
                    partitions,
                    cooperative,
                });
            }
            Signal::Revoke {
                partitions,
                cooperative,
            } => {
                self.finish(&partitions);
                let r = if cooperative {
                    let mut tpl = TopicPartitionList::new();
                    for p in &partitions {
                        tpl.add_partition(&self.s.kafka.topic, *p);
                    }
                    self.consumer.incremental_unassign(&tpl)
                } else {
                    self.consumer.unassign()
                };
                if let Err(e) = r {
                    tracing::error!(error = %e, "unassign failed");
                }
                tracing::info!(revoked = ?partitions, "partitions revoked");
            }
            Signal::Error => {
                let all: Vec<i32> = self.owned.keys().copied().collect();
                self.finish(&all);
                let _ = self.consumer.unassign();
            }
        }
        self.s.metrics.partitions_owned.set(self.owned.len() as i64);
    }

    pub(super) fn start(&mut self, p: i32) {
        let (tx, rx) = mpsc::sync_channel(WORKER_QUEUE);
        let give_up = GiveUp::new(self.stop.clone());
        match Worker::spawn(p, self.s.clone(), rx, self.to_loop.clone(), give_up.clone()) {
            Ok(join) => {
                self.owned.insert(
                    p,
                    Owned {
                        tx,
                        join: Some(join),
                        give_up,
                        restored: false,
                        resume: Resume::default(),
                        offsets: Offsets::default(),
                        held: None,
                        pending: Messages::default(),
                        out_of_range: false,
                    },
                );
            }
            Err(e) => tracing::error!(partition = p, error = %e, "cannot start a partition worker"),
        }
    }

    /// Once every partition being assigned is restored: start fetching each where its
    /// restored state ends (else at its committed offset), saying so when that offset
    /// is out of the topic's range.
    pub(super) fn assign_when_restored(&mut self) {
        let Some(a) = &self.assigning else { return };
        if !a
            .partitions
            .iter()
            .all(|p| self.owned.get(p).is_none_or(|o| o.restored))
        {
            return;
        }
        let Some(a) = self.assigning.take() else {
            return;
        };
        let topic = self.s.kafka.topic.clone();
        let mut tpl = TopicPartitionList::new();
        for p in &a.partitions {
            tpl.add_partition(&topic, *p);
        }
        let committed = self
            .consumer
            .committed_offsets(tpl.clone(), Duration::from_secs(10))
            .unwrap_or(tpl);
        let mut start = TopicPartitionList::new();
        for e in committed.elements_for_topic(&topic) {
            let p = e.partition();
            let resume = self.owned.get(&p).map_or(Resume::Committed, |o| o.resume);
            let offset = match start_offset(p, e.offset(), resume) {
                Offset::Offset(o) => match self.retention_gap(&topic, p, o) {
                    Some((low, high)) => {
                        self.s.metrics.offset_out_of_range.inc();
                        tracing::error!(partition = p, offset = o, low, high, "the offset to read from is out of range: messages between it and the partition's first offset were lost to the topic's retention; reading from the earliest offset");
                        if let Some(owned) = self.owned.get_mut(&p) {
                            owned.out_of_range = true;
                        }
                        Offset::Beginning
                    }
                    _ => Offset::Offset(o),
                },
                // From the start, or none committed (or not known): librdkafka asks the
                // group itself, and starts from the earliest offset when there is none.
                other => other,
            };
            if let Some(o) = self.owned.get_mut(&p) {
                if let Offset::Offset(x) = offset {
                    o.offsets.committed = Some(x);
                }
            }
            let _ = start.add_partition_offset(&topic, p, offset);
        }
        let r = if a.cooperative {
            self.consumer.incremental_assign(&start)
        } else {
            self.consumer.assign(&start)
        };
        match r {
            Ok(()) => {
                tracing::info!(partitions = ?a.partitions, "partitions restored and assigned")
            }
            Err(e) => tracing::error!(error = %e, "assign failed"),
        }
    }

    /// The partition's (first, end) offsets when `committed` lies before its first
    /// offset: retention dropped messages the group never read. (A committed offset past
    /// the end — a recreated topic — needs no alarm: fetching it fails and librdkafka
    /// starts from the earliest offset, skipping nothing. Brokers' reported ends can also
    /// lag behind what they hold, seen with tansu, so an end check would cry wolf.)
    fn retention_gap(&self, topic: &str, p: i32, committed: i64) -> Option<(i64, i64)> {
        let (low, high) = self
            .consumer
            .fetch_watermarks(topic, p, Duration::from_secs(5))
            .ok()?;
        gap(committed, low).then_some((low, high))
    }
}

/// Where a restored partition starts: the input offset its state covers, whatever the
/// group's committed offset says. A committed offset past it was committed by an owner
/// whose changelog records the restore skipped (it had been replaced without knowing:
/// brokers that do not check generations accept its commits); reading from it would
/// skip messages the state never saw. One before it (a final commit that failed) only
/// means messages the state holds would be read again.
fn start_offset(partition: i32, committed: Offset, resume: Resume) -> Offset {
    match (committed, resume) {
        (_, Resume::Committed) => committed,
        (_, Resume::Start) => {
            tracing::warn!(
                partition,
                "every frontier in the changelog was written by a replaced owner: reading the partition from its start (what the state holds is recognised as duplicates)"
            );
            Offset::Beginning
        }
        (Offset::Offset(c), Resume::At(f)) if c > f => {
            tracing::warn!(
                partition,
                committed = c,
                frontier = f,
                "the group's committed offset is ahead of the restored state (a replaced owner's late commit): reading from the state's frontier"
            );
            Offset::Offset(f)
        }
        (_, Resume::At(f)) => Offset::Offset(f),
    }
}

/// A committed offset before the partition's first offset: messages were lost unread.
fn gap(committed: i64, low: i64) -> bool {
    committed < low
}

#[cfg(test)]
mod tests {
    use rdkafka::Offset;

    use super::Resume;

    #[test]
    fn a_restored_partition_starts_where_its_state_ends_whatever_was_committed() {
        let start = super::start_offset;
        let at = Resume::At(70);
        assert_eq!(start(0, Offset::Offset(90), at), Offset::Offset(70));
        assert_eq!(start(0, Offset::Offset(50), at), Offset::Offset(70));
        assert_eq!(start(0, Offset::Invalid, at), Offset::Offset(70));
        assert_eq!(
            start(0, Offset::Offset(90), Resume::Committed),
            Offset::Offset(90),
            "no frontier written yet: the group's offset"
        );
        assert_eq!(
            start(0, Offset::Invalid, Resume::Committed),
            Offset::Invalid
        );
        assert_eq!(
            start(0, Offset::Offset(90), Resume::Start),
            Offset::Beginning,
            "only zombies' frontiers: from the start"
        );
    }

    #[test]
    fn only_a_committed_offset_before_the_first_one_is_a_gap() {
        assert!(super::gap(10, 50), "retention dropped 10..50 unread");
        assert!(!super::gap(50, 50));
        assert!(
            !super::gap(5_000, 50),
            "past the end: read from the start, nothing lost"
        );
    }
}
