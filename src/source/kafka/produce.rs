//! `hotline-pulse produce`: feeds a topic from JSON Lines files or the simulator,
//! keyed by `order_id` so all events of an order land in one partition.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;

use super::{admin_config, feeder_config};
use crate::simulate::{SimConfig, Simulator};

#[derive(serde::Deserialize)]
struct KeyOnly<'a> {
    #[serde(borrow)]
    order_id: Option<std::borrow::Cow<'a, str>>,
}

/// A topic to create if it does not exist.
pub struct TopicSpec<'a> {
    pub name: &'a str,
    pub partitions: i32,
    pub compacted: bool,
}

impl<'a> TopicSpec<'a> {
    pub fn plain(name: &'a str, partitions: i32) -> Self {
        TopicSpec {
            name,
            partitions,
            compacted: false,
        }
    }

    /// A topic whose latest value per key is what counts (changelog, views).
    pub fn compacted(name: &'a str, partitions: i32) -> Self {
        TopicSpec {
            name,
            partitions,
            compacted: true,
        }
    }
}

/// Creates the topics that do not exist (best effort: a broker that auto-creates
/// topics or forbids creation is fine).
pub fn ensure_topic(
    brokers: &str,
    options: &[(String, String)],
    topics: &[TopicSpec<'_>],
    timeout: Duration,
) {
    let admin: AdminClient<DefaultClientContext> = match admin_config(brokers, options).create() {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "cannot create an admin client");
            return;
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let Ok(rt) = rt else { return };
    let new: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|t| {
            let n = NewTopic::new(t.name, t.partitions, TopicReplication::Fixed(1));
            if t.compacted {
                n.set("cleanup.policy", "compact")
            } else {
                n
            }
        })
        .collect();
    let opts = AdminOptions::new()
        .operation_timeout(Some(timeout))
        .request_timeout(Some(timeout));
    match rt.block_on(admin.create_topics(&new, &opts)) {
        Ok(results) => {
            for r in results {
                match r {
                    Ok(t) => tracing::info!(topic = %t, "topic created"),
                    Err((t, RDKafkaErrorCode::TopicAlreadyExists)) => {
                        tracing::debug!(topic = %t, "topic exists")
                    }
                    Err((t, code)) => {
                        tracing::warn!(topic = %t, error = %code, "cannot create topic")
                    }
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot create topics"),
    }
}

/// Sends files (or the simulator's events) to `topic` at `rate` events/s (0 = as fast
/// as possible), then waits until every message is acknowledged.
#[allow(clippy::too_many_arguments)]
pub fn produce(
    brokers: &str,
    topic: &str,
    options: &[(String, String)],
    files: &[PathBuf],
    sim: Option<SimConfig>,
    rate: f64,
    partitions: i32,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    if !(rate >= 0.0 && rate.is_finite()) {
        bail!("--rate: must be 0 or more");
    }
    if partitions < 1 {
        bail!("--partitions: must be at least 1");
    }
    ensure_topic(
        brokers,
        options,
        &[TopicSpec::plain(topic, partitions)],
        Duration::from_secs(10),
    );
    let producer: ThreadedProducer<DefaultProducerContext> = feeder_config(brokers, options)
        .create()
        .context("invalid Kafka producer settings")?;
    let started = Instant::now();
    let mut sent = 0u64;
    let mut send = |line: &[u8]| -> anyhow::Result<()> {
        if rate > 0.0 {
            let due = started + Duration::from_secs_f64(sent as f64 / rate);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        let key = serde_json::from_slice::<KeyOnly>(line)
            .ok()
            .and_then(|k| k.order_id);
        let mut record = BaseRecord::<[u8], [u8]>::to(topic).payload(line);
        if let Some(k) = key.as_deref() {
            record = record.key(k.as_bytes());
        }
        let mut record = Some(record);
        while let Some(r) = record.take() {
            match producer.send(r) {
                Ok(()) => {}
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    std::thread::sleep(Duration::from_millis(5));
                    record = Some(r);
                }
                Err((e, _)) => return Err(e).context("cannot send"),
            }
        }
        sent += 1;
        Ok(())
    };
    match sim {
        Some(cfg) => {
            for ev in Simulator::try_new(cfg).context("invalid simulator settings")? {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                send(ev.line.as_bytes())?;
            }
        }
        None => {
            for path in files {
                let input: Box<dyn Read> = if path == Path::new("-") {
                    Box::new(io::stdin())
                } else {
                    Box::new(
                        File::open(path)
                            .with_context(|| format!("cannot open {}", path.display()))?,
                    )
                };
                let mut reader = BufReader::new(input);
                let mut buf = Vec::new();
                loop {
                    buf.clear();
                    if reader
                        .read_until(b'\n', &mut buf)
                        .with_context(|| format!("cannot read {}", path.display()))?
                        == 0
                    {
                        break;
                    }
                    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                        buf.pop();
                    }
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    if buf.is_empty() {
                        continue;
                    }
                    send(&buf)?;
                }
            }
        }
    }
    producer
        .flush(Duration::from_secs(120))
        .context("not every message was acknowledged")?;
    eprintln!(
        "hotline-pulse: produced {sent} messages to {topic} in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
