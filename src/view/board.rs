//! The board: the latest snapshot of every partition this process can see — the ones
//! it owns (published by their workers) and, when several instances share a consumer
//! group, the others' (read from the views topic). Readers take the snapshots they need
//! without ever blocking a writer for longer than a pointer swap.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;
use serde::Serialize;

use crate::engine::PartitionSnapshot;
use crate::event::Millis;

/// Which partitions a reader wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The partitions this process owns (Prometheus: instances' counts are summed there).
    Local,
    /// Every partition of the consumer group (the bulletin, the API, scores).
    Group,
}

/// A partition's snapshot with when it was published.
#[derive(Debug, Clone)]
pub struct Entry {
    pub snapshot: Arc<PartitionSnapshot>,
    /// Wall-clock time of publication (ms).
    pub published_at: Millis,
}

/// How complete a group view is.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Completeness {
    /// Partitions of the input topic (known once the topic's metadata was read).
    pub partitions: Option<u32>,
    /// Partitions with no view at all.
    pub missing: Vec<i32>,
    /// Partitions whose view is older than the staleness limit: (partition, age in s).
    pub stale: Vec<(i32, f64)>,
}

impl Completeness {
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty() && self.stale.is_empty()
    }
}

#[derive(Default)]
pub struct Board {
    local: RwLock<BTreeMap<i32, Entry>>,
    remote: RwLock<BTreeMap<i32, Entry>>,
    /// Partitions of the input topic, -1 while unknown.
    partitions: AtomicI32,
    /// Bumped on every publication (caches of rendered output key on it).
    revision: AtomicU64,
}

impl Board {
    pub fn new() -> Arc<Self> {
        Arc::new(Board {
            partitions: AtomicI32::new(-1),
            ..Board::default()
        })
    }

    /// A partition this process owns publishes its state.
    pub fn publish(&self, partition: i32, snapshot: PartitionSnapshot, now: Millis) {
        self.local.write().insert(
            partition,
            Entry {
                snapshot: Arc::new(snapshot),
                published_at: now,
            },
        );
        self.revision.fetch_add(1, Ordering::Release);
    }

    /// A partition left this process (revoked, or its worker stopped).
    pub fn withdraw(&self, partition: i32) {
        self.local.write().remove(&partition);
        self.revision.fetch_add(1, Ordering::Release);
    }

    /// Another instance's view of a partition (the views topic).
    pub fn publish_remote(&self, partition: i32, entry: Option<Entry>) {
        let mut remote = self.remote.write();
        match entry {
            Some(e) => remote.insert(partition, e),
            None => remote.remove(&partition),
        };
        drop(remote);
        self.revision.fetch_add(1, Ordering::Release);
    }

    /// The input topic's partition count (for completeness).
    pub fn set_partitions(&self, n: u32) {
        self.partitions.store(n as i32, Ordering::Relaxed);
    }

    pub fn revision(&self) -> u64 {
        self.revision.load(Ordering::Acquire)
    }

    /// The snapshots of `scope`: local ones win over remote ones of the same partition.
    pub fn snapshots(&self, scope: Scope) -> Vec<Arc<PartitionSnapshot>> {
        self.entries(scope)
            .into_values()
            .map(|e| e.snapshot)
            .collect()
    }

    pub fn entries(&self, scope: Scope) -> BTreeMap<i32, Entry> {
        let mut out = self.local.read().clone();
        if scope == Scope::Group {
            for (p, e) in self.remote.read().iter() {
                out.entry(*p).or_insert_with(|| e.clone());
            }
        }
        out
    }

    /// Which partitions the group view lacks, or holds older than `max_age_ms`.
    pub fn completeness(&self, now: Millis, max_age_ms: i64) -> Completeness {
        let entries = self.entries(Scope::Group);
        let local = self.local.read();
        let n = self.partitions.load(Ordering::Relaxed);
        let partitions = (n >= 0).then_some(n as u32);
        let missing = match partitions {
            Some(n) => (0..n as i32).filter(|p| !entries.contains_key(p)).collect(),
            None => Vec::new(),
        };
        let stale = entries
            .iter()
            // The owner's own view is never stale: it is the state itself.
            .filter(|(p, e)| !local.contains_key(p) && now - e.published_at > max_age_ms)
            .map(|(p, e)| (*p, (now - e.published_at) as f64 / 1000.0))
            .collect();
        Completeness {
            partitions,
            missing,
            stale,
        }
    }

    /// Orders held by this process's partitions.
    pub fn orders_tracked(&self) -> u64 {
        self.local
            .read()
            .values()
            .map(|e| e.snapshot.orders_tracked)
            .sum()
    }
}
