//! The views topic: every partition worker publishes its partition's aggregates (one
//! record per centre-month, its live counts, a heartbeat), and every instance reads the
//! topic whole into its [`Board`] — a global table, as Kafka Streams' GlobalKTable — so
//! any instance answers the bulletin and the API with the figures of the whole group.
//!
//! Keys: `{partition}/meta`, `{partition}/live`, `{partition}/month/{YYYY-MM}/{centre}`.
//! Values are JSON with the owner's epoch: a record of an older epoch than one already
//! seen for its partition is a replaced owner's and is ignored; a newer epoch replaces
//! everything known of the partition.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::BaseRecord;
use rdkafka::{Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};

use super::Settings;
use crate::engine::{LiveView, MonthKey, MonthView, PartitionSnapshot};
use crate::event::{Millis, Month};
use crate::source::kafka::producer::{self, Delivery, GiveUp};
use crate::source::kafka::views_config;
use crate::source::wall_clock;
use crate::view::{Board, Entry};

/// How often a partition's changed views go out at most, and its heartbeat.
const PUBLISH_EVERY: Duration = Duration::from_secs(1);
const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);

#[derive(Serialize, Deserialize)]
struct Meta {
    epoch: u64,
    published_at: Millis,
    orders_tracked: u64,
    as_of: Millis,
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    epoch: u64,
    published_at: Millis,
    data: T,
}

/// A worker's side: what it last published.
pub struct ViewsOut {
    topic: String,
    p: i32,
    months: BTreeMap<MonthKey, Arc<MonthView>>,
    live: Option<Arc<Vec<LiveView>>>,
    last: Option<Instant>,
    last_meta: Option<Instant>,
    give_up: GiveUp,
}

fn month_key(p: i32, (center, month): &MonthKey) -> String {
    format!("{p}/month/{month}/{center}")
}

impl ViewsOut {
    pub fn new(topic: String, p: i32, give_up: GiveUp) -> Self {
        ViewsOut {
            topic,
            p,
            give_up,
            months: BTreeMap::new(),
            live: None,
            last: None,
            last_meta: None,
        }
    }

    /// Publishes what changed since the last time (at most once a second unless
    /// `force`), and a heartbeat.
    pub fn publish(&mut self, s: &Settings, snap: &PartitionSnapshot, epoch: &str, force: bool) {
        if !force && self.last.is_some_and(|t| t.elapsed() < PUBLISH_EVERY) {
            return;
        }
        self.last = Some(Instant::now());
        let epoch_n: u64 = epoch.parse().unwrap_or(0);
        let now = wall_clock();
        let mut changed = false;
        for (key, view) in &snap.months {
            if self.months.get(key).is_some_and(|v| Arc::ptr_eq(v, view)) {
                continue;
            }
            let env = Envelope {
                epoch: epoch_n,
                published_at: now,
                data: &**view,
            };
            self.send(s, &month_key(self.p, key), serde_json::to_vec(&env).ok());
            changed = true;
        }
        for key in self.months.keys() {
            if !snap.months.contains_key(key) {
                self.send(s, &month_key(self.p, key), None);
                changed = true;
            }
        }
        self.months = snap.months.clone();
        if self
            .live
            .as_ref()
            .is_none_or(|l| !Arc::ptr_eq(l, &snap.live))
        {
            let env = Envelope {
                epoch: epoch_n,
                published_at: now,
                data: &*snap.live,
            };
            self.send(
                s,
                &format!("{}/live", self.p),
                serde_json::to_vec(&env).ok(),
            );
            self.live = Some(snap.live.clone());
            changed = true;
        }
        if force
            || changed
            || self
                .last_meta
                .is_none_or(|t| t.elapsed() >= HEARTBEAT_EVERY)
        {
            let meta = Meta {
                epoch: epoch_n,
                published_at: now,
                orders_tracked: snap.orders_tracked,
                as_of: snap.as_of,
            };
            self.send(
                s,
                &format!("{}/meta", self.p),
                serde_json::to_vec(&meta).ok(),
            );
            self.last_meta = Some(Instant::now());
        }
    }

    fn send(&self, s: &Settings, key: &str, value: Option<Vec<u8>>) {
        let mut record =
            BaseRecord::with_opaque_to(&self.topic, Box::new(Delivery::View)).key(key.as_bytes());
        if let Some(v) = &value {
            record = record.payload(v.as_slice());
        }
        match producer::send(&s.producer, record, &self.give_up) {
            Ok(()) => s.metrics.views_published.inc(),
            Err((e, _)) => tracing::debug!(partition = self.p, error = %e, "view not queued"),
        }
    }
}

/// What the reader knows of one partition.
#[derive(Default)]
struct Known {
    epoch: u64,
    months: BTreeMap<MonthKey, Arc<MonthView>>,
    live: Arc<Vec<LiveView>>,
    published_at: Millis,
    orders_tracked: u64,
    as_of: Millis,
}

/// Reads the views topic whole, for ever, into `board` (a thread of its own).
pub fn read(s: Arc<Settings>, board: Arc<Board>, stop: Arc<AtomicBool>) {
    let Some(topic) = s.views_topic.clone() else {
        return;
    };
    let cfg = &s.kafka;
    let consumer: BaseConsumer = match views_config(cfg).create() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot create the views reader: this instance shows only its own partitions");
            return;
        }
    };
    let mut known: HashMap<i32, Known> = HashMap::new();
    let mut assigned = 0usize;
    let mut last_meta = Instant::now() - Duration::from_secs(60);
    while !stop.load(Ordering::Relaxed) {
        if last_meta.elapsed() >= Duration::from_secs(5) {
            last_meta = Instant::now();
            if let Ok(md) = consumer
                .client()
                .fetch_metadata(None, Duration::from_secs(2))
            {
                for t in md.topics() {
                    if t.name() == cfg.topic && !t.partitions().is_empty() {
                        board.set_partitions(t.partitions().len() as u32);
                    }
                    // Assign the views topic's partitions as they appear.
                    if t.name() == topic && t.partitions().len() > assigned {
                        let mut tpl = TopicPartitionList::new();
                        for p in t.partitions() {
                            let _ = tpl.add_partition_offset(&topic, p.id(), Offset::Beginning);
                        }
                        match consumer.assign(&tpl) {
                            Ok(()) => assigned = t.partitions().len(),
                            Err(e) => tracing::warn!(error = %e, "cannot assign the views topic"),
                        }
                    }
                }
            }
        }
        if assigned == 0 {
            std::thread::sleep(Duration::from_millis(200));
            continue;
        }
        let mut touched = Vec::new();
        let mut next = consumer.poll(Duration::from_millis(200));
        while let Some(r) = next {
            match r {
                Ok(m) => {
                    if let Some(p) = take(&mut known, m.key(), m.payload()) {
                        s.metrics.views_received.inc();
                        touched.push(p);
                    }
                }
                Err(e) => tracing::debug!(error = %e, "views read error (retrying)"),
            }
            next = consumer.poll(Duration::ZERO);
            if touched.len() > 10_000 {
                break;
            }
        }
        touched.sort_unstable();
        touched.dedup();
        for p in touched {
            if let Some(k) = known.get(&p) {
                board.publish_remote(
                    p,
                    Some(Entry {
                        snapshot: Arc::new(PartitionSnapshot {
                            months: k.months.clone(),
                            live: k.live.clone(),
                            orders_tracked: k.orders_tracked,
                            as_of: k.as_of,
                        }),
                        published_at: k.published_at,
                    }),
                );
            }
        }
    }
}

/// Takes one record into `known`; returns the partition it changed.
fn take(known: &mut HashMap<i32, Known>, key: Option<&[u8]>, value: Option<&[u8]>) -> Option<i32> {
    let key = std::str::from_utf8(key?).ok()?;
    let mut parts = key.splitn(4, '/');
    let p: i32 = parts.next()?.parse().ok()?;
    let kind = parts.next()?;
    let k = known.entry(p).or_default();
    // Accepts a record of `epoch`: older ones are a replaced owner's; a newer one means
    // a new owner, whose views replace everything.
    let accept = |k: &mut Known, epoch: u64, at: Millis| -> bool {
        if epoch < k.epoch {
            return false;
        }
        if epoch > k.epoch {
            *k = Known {
                epoch,
                ..Known::default()
            };
        }
        k.published_at = k.published_at.max(at);
        true
    };
    match kind {
        "meta" => {
            let m: Meta = serde_json::from_slice(value?).ok()?;
            if !accept(k, m.epoch, m.published_at) {
                return None;
            }
            k.orders_tracked = m.orders_tracked;
            k.as_of = m.as_of;
        }
        "live" => {
            let e: Envelope<Vec<LiveView>> = serde_json::from_slice(value?).ok()?;
            if !accept(k, e.epoch, e.published_at) {
                return None;
            }
            k.live = Arc::new(e.data);
        }
        "month" => {
            let month: Month = parts.next()?.parse().ok()?;
            let center = parts.next()?.to_owned();
            match value {
                Some(v) => {
                    let e: Envelope<MonthView> = serde_json::from_slice(v).ok()?;
                    if !accept(k, e.epoch, e.published_at) {
                        return None;
                    }
                    k.months.insert((center, month), Arc::new(e.data));
                }
                None => {
                    k.months.remove(&(center, month));
                }
            }
        }
        _ => return None,
    }
    Some(p)
}
