//! Restoring a partition's state on whichever instance it lands on: the local cache if
//! it is ours and intact, then the changelog partition read to its end, keeping the last
//! value of each key.
//!
//! The end is found without trusting the broker's high watermark (a lagging one would
//! silently drop the last records — seen with tansu): the new owner first appends a
//! claim record and reads up to it. Every record of a previous owner that finished was
//! written before the claim. The claim's offset is also the new owner's epoch, written on
//! each of its records; a record whose epoch is older than a claim before it in the log
//! was written by an owner that did not know it had been replaced (a "zombie"), and is
//! ignored by every restore.
//!
//! The state also carries its own input position. Each owner appends a *frontier*
//! record (key `\0frontier/EPOCH`, value the input offset in decimal) once everything
//! before that input offset is durable: its changes written and confirmed, its dead
//! letters delivered. A restore takes the last frontier not written by a zombie, and
//! the new owner reads the input from there, not from the group's committed offset:
//! a commit is not fenced like a changelog record (a replaced owner's late commit is
//! accepted by brokers that do not check generations, tansu among them), so a
//! committed offset can run ahead of the state the changelog holds. When frontiers
//! were written but every one is a zombie's, nothing says where the state ends and the
//! input is read from its start (duplicates are recognised); only a changelog with no
//! frontier at all (new, or written before frontiers existed) resumes at the group's
//! committed offset.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::BaseRecord;
use rdkafka::{Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};

use super::cache::{self, Cache, Stamp};
use super::Settings;
use crate::engine::Partition;
use crate::source::kafka::producer::{self, Batch, Delivery, GiveUp};
use crate::source::kafka::{ensure_topic, restore_config, TopicSpec};

/// Header carrying the writer's epoch on every changelog record.
pub const EPOCH_HEADER: &str = "hotline-epoch";
/// The key of an owner's claim record.
pub const CLAIM_KEY: &[u8] = b"\0claim";
/// Keys of frontier records: `\0frontier/EPOCH`, one key per owner.
pub const FRONTIER_PREFIX: &[u8] = b"\0frontier/";

/// The key of the frontier records of the owner with `epoch`.
pub fn frontier_key(epoch: &str) -> Vec<u8> {
    [FRONTIER_PREFIX, epoch.as_bytes()].concat()
}

/// The input offset a frontier record's value names.
fn frontier_value(payload: Option<&[u8]>) -> Option<i64> {
    std::str::from_utf8(payload?).ok()?.parse().ok()
}

/// Where the input is read from after a restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Resume {
    /// Everything before this input offset is in the state.
    At(i64),
    /// No owner wrote a frontier (a new changelog, or one from before frontiers): the
    /// group's committed offset.
    #[default]
    Committed,
    /// Frontiers were written, but only by replaced owners: the input from its start.
    Start,
}

impl Resume {
    /// The input offset the state is known to cover.
    pub fn at(self) -> Option<i64> {
        match self {
            Resume::At(f) => Some(f),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RestoreFailure {
    #[error("cannot create the restore consumer: {0}")]
    Client(rdkafka::error::KafkaError),
    #[error("cannot read the changelog's offsets: {0}")]
    Watermarks(rdkafka::error::KafkaError),
    #[error("cannot claim the changelog partition: {0}")]
    Claim(String),
    #[error(
        "the changelog did not deliver up to offset {want} (stopped at {got}) within {secs} s"
    )]
    Stalled { want: i64, got: i64, secs: u64 },
}

/// What a restore found.
#[derive(Debug, Clone, Default)]
pub struct Restored {
    /// This owner's epoch: the offset of its claim record.
    pub epoch: i64,
    /// Changelog records read (not counting the cache's).
    pub records: u64,
    /// What the local cache contributed.
    pub cache: &'static str,
    pub orders: usize,
    pub millis: u64,
    /// Where the input is read from.
    pub resume: Resume,
    /// Keys of frontier records other than the one `resume` came from: earlier
    /// owners', which the new owner deletes (the compacted topic then drops them).
    pub old_frontiers: Vec<Vec<u8>>,
}

/// The epoch of a record (-1 when it has none).
pub fn epoch_of<M: Message>(m: &M) -> i64 {
    m.headers()
        .and_then(|h| h.iter().find(|h| h.key == EPOCH_HEADER))
        .and_then(|h| h.value)
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1)
}

pub fn epoch_headers(epoch: &str) -> OwnedHeaders {
    OwnedHeaders::new().insert(Header {
        key: EPOCH_HEADER,
        value: Some(epoch),
    })
}

/// Appends this owner's claim to the changelog partition and waits for it: its offset.
///
/// The wait has no deadline of its own: librdkafka reports every queued record's fate
/// within `message.timeout.ms`. A claim given up while still queued could land later,
/// after the next owner's, and fence that owner's records (restores would skip them as
/// a zombie's), so a claim is never abandoned once queued — not on a rebalance, not on
/// a shutdown (the consumer loop waits for this worker before it releases the
/// partition).
fn claim(settings: &Settings, p: i32, give_up: &GiveUp) -> Result<i64, RestoreFailure> {
    let batch = Arc::new(Batch::default());
    batch.outstanding.store(1, Ordering::Release);
    let record = BaseRecord::with_opaque_to(
        &settings.kafka.changelog_topic,
        Box::new(Delivery::Changelog(batch.clone())),
    )
    .partition(p)
    .key(CLAIM_KEY)
    .payload(&b""[..]);
    if let Err((e, _)) = producer::send(&settings.producer, record, give_up) {
        return Err(RestoreFailure::Claim(e.to_string()));
    }
    while !batch.done() {
        std::thread::sleep(Duration::from_millis(2));
    }
    match batch.last_offset() {
        Some(o) if !batch.failed() => Ok(o),
        _ => Err(RestoreFailure::Claim("delivery failed".into())),
    }
}

/// Creates the changelog topic if it is missing, with the input topic's partition count
/// (which the board learns too); false while the input topic's metadata is unknown.
/// Start-up does this when the input topic exists; when the service started before its
/// producers made the topic, the first assignment must, or no partition could restore.
pub fn ensure_changelog<C: rdkafka::consumer::ConsumerContext>(
    settings: &Settings,
    consumer: &BaseConsumer<C>,
) -> bool {
    let cfg = &settings.kafka;
    let partitions = consumer
        .fetch_metadata(Some(&cfg.topic), Duration::from_secs(10))
        .ok()
        .and_then(|md| md.topics().first().map(|t| t.partitions().len() as i32))
        .filter(|&n| n > 0);
    let Some(n) = partitions else {
        return false;
    };
    settings.board.set_partitions(n as u32);
    ensure_topic(
        &cfg.brokers,
        &cfg.options,
        &[TopicSpec::compacted(&cfg.changelog_topic, n)],
        Duration::from_secs(10),
    );
    true
}

/// Claims the partition, then fills `partition` from the cache and the changelog up to
/// the claim.
pub fn restore(
    settings: &Settings,
    partition: &mut Partition,
    give_up: &GiveUp,
) -> Result<Restored, RestoreFailure> {
    let started = Instant::now();
    let p = partition.id();
    let cfg = &settings.kafka;
    let consumer: BaseConsumer = restore_config(cfg)
        .create()
        .map_err(RestoreFailure::Client)?;
    // Only the start is asked of the broker: the end is this owner's claim.
    let (low, _) = consumer
        .fetch_watermarks(&cfg.changelog_topic, p, Duration::from_secs(10))
        .map_err(RestoreFailure::Watermarks)?;
    let end = claim(settings, p, give_up)?;

    // The last value of every key, in log order.
    let mut latest: HashMap<Vec<u8>, Option<Vec<u8>>> = HashMap::new();
    // The newest claim seen so far: records of older epochs after it are a zombie's.
    let mut newest_claim = -1i64;
    let mut from = low;
    // Where the input resumes, the key of the frontier that says so, and the keys of
    // every frontier seen.
    let mut resume = Resume::Committed;
    let mut kept: Option<Vec<u8>> = None;
    let mut frontier_keys: HashSet<Vec<u8>> = HashSet::new();
    let mut cache_result = "missing";
    if let Some(dir) = &settings.state_dir {
        let stamp = Stamp::of(settings, p);
        match cache::load(dir, &stamp, low, end) {
            Ok(Some(Cache {
                records,
                offset,
                epoch,
                resume: covered,
            })) => {
                for (k, v) in records {
                    latest.insert(k, Some(v));
                }
                newest_claim = epoch;
                from = offset;
                resume = covered;
                kept = covered.at().map(|_| frontier_key(&epoch.to_string()));
                cache_result = "used";
            }
            Ok(None) => {}
            Err(why) => {
                cache_result = why.code();
                tracing::warn!(partition = p, reason = why.code(), error = %why, "local cache ignored: restoring from the changelog");
            }
        }
    }
    settings
        .metrics
        .cache
        .with_label_values(&[cache_result])
        .inc();

    let mut records = 0u64;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&cfg.changelog_topic, p, Offset::Offset(from))
        .map_err(RestoreFailure::Client)?;
    consumer.assign(&tpl).map_err(RestoreFailure::Client)?;
    let mut last_progress = Instant::now();
    let mut at = from;
    while at <= end {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                last_progress = Instant::now();
                at = m.offset() + 1;
                records += 1;
                if m.key() == Some(CLAIM_KEY) {
                    newest_claim = newest_claim.max(m.offset());
                    continue;
                }
                let valid = epoch_of(&m) >= newest_claim;
                if let Some(key) = m.key().filter(|k| k.starts_with(FRONTIER_PREFIX)) {
                    match m.payload() {
                        None => {
                            frontier_keys.remove(key);
                        }
                        Some(_) => {
                            frontier_keys.insert(key.to_vec());
                        }
                    }
                    match (valid, frontier_value(m.payload())) {
                        (true, Some(f)) => {
                            resume = Resume::At(f);
                            kept = Some(key.to_vec());
                        }
                        _ if resume == Resume::Committed => resume = Resume::Start,
                        _ => {}
                    }
                    continue;
                }
                if !valid {
                    continue;
                }
                if let Some(key) = m.key() {
                    latest.insert(key.to_vec(), m.payload().map(<[u8]>::to_vec));
                }
            }
            Some(Err(e)) => {
                tracing::debug!(partition = p, error = %e, "changelog read error (retrying)");
            }
            None => {}
        }
        if last_progress.elapsed() > settings.restore_timeout {
            return Err(RestoreFailure::Stalled {
                want: end,
                got: at,
                secs: settings.restore_timeout.as_secs(),
            });
        }
    }
    // Tombstone chunks first, so that restored orders of evicted months see them.
    let mut entries: Vec<(Vec<u8>, Vec<u8>)> = latest
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
    entries.sort_by(|a, b| {
        let t = |k: &[u8]| !k.starts_with(crate::engine::TOMBSTONE_PREFIX);
        (t(&a.0), &a.0).cmp(&(t(&b.0), &b.0))
    });
    let mut corrupt = 0u64;
    for (k, v) in &entries {
        if let Err(e) = partition.restore(k, v) {
            // One unreadable order must not hold the partition forever: say so loudly.
            corrupt += 1;
            tracing::error!(partition = p, error = %e, "a changelog record does not read back: that order is lost");
        }
    }
    settings.metrics.changelog_errors.inc_by(corrupt);
    // Deleted only once one frontier is trusted and kept: a changelog whose frontiers
    // are all gone would resume at the group's committed offset.
    let old_frontiers = match &kept {
        Some(kept) => frontier_keys.into_iter().filter(|k| k != kept).collect(),
        None => Vec::new(),
    };
    let restored = Restored {
        epoch: end,
        records,
        cache: cache_result,
        orders: partition.len(),
        millis: started.elapsed().as_millis() as u64,
        resume,
        old_frontiers,
    };
    settings
        .metrics
        .restore_duration
        .observe(started.elapsed().as_secs_f64());
    settings
        .metrics
        .restored_orders
        .inc_by(partition.len() as u64);
    Ok(restored)
}
