//! The consumer: a `BaseConsumer` polled on one thread that also decodes (and
//! dead-letters bad messages), and an apply thread that feeds the decoded batches to
//! one [`crate::engine::Partition`] per owned Kafka partition — two cores, one writer
//! per partition.
//!
//! Rebalance callbacks run inside `poll`; they first wait for the batches in flight to
//! be applied, then take the state lock (never held across `poll`).

mod context;
mod dead_letter;
mod state;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::types::RDKafkaErrorCode;

pub use context::{Ctx, DlqContext, InFlight};
pub use dead_letter::REASON_HEADER;
pub use state::State;

use self::state::Item;
use super::metrics::KafkaMetrics;
use crate::event::{decode, TimeZone};
use crate::http::Health;

/// Messages decoded per batch handed to the apply thread.
const BATCH: usize = 1024;

/// Decodes one message; a bad one is counted and dead-lettered here.
fn item(
    ctx: &Ctx,
    msg: &BorrowedMessage<'_>,
    tz: TimeZone,
    dlq_topic: &str,
    stop: &AtomicBool,
) -> Item {
    let payload = msg.payload().unwrap_or(&[]);
    let event = match decode(payload, tz) {
        Ok(ev) => Some(ev),
        Err(reject) => {
            let shared = ctx.state.lock().shared.clone();
            shared.stats.reject(reject.reason);
            tracing::warn!(
                partition = msg.partition(),
                offset = msg.offset(),
                reason = reject.reason.code(),
                field = reject.field,
                "rejected message"
            );
            dead_letter::send(&ctx.dlq, dlq_topic, msg, reject.reason, &ctx.metrics, stop);
            None
        }
    };
    Item {
        partition: msg.partition(),
        offset: msg.offset(),
        bytes: payload.len(),
        event,
    }
}

/// Runs the consumer until `stop`; then applies what is in hand, checkpoints,
/// commits and closes.
pub fn run_loop(
    consumer: BaseConsumer<Ctx>,
    health: Arc<Health>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    let ctx = consumer.context().clone();
    let (topic, dlq_topic, tz, checkpoint_every, checkpoint_events, max_lag) = {
        let st = ctx.state.lock();
        (
            st.config.topic.clone(),
            st.config.dlq_topic.clone(),
            st.shared.config.tz,
            Duration::from_secs(st.config.checkpoint_secs),
            st.config.checkpoint_events,
            st.config.ready_max_lag,
        )
    };
    consumer.subscribe(&[&topic])?;
    health.set_not_ready("waiting_for_assignment");

    let (tx, rx) = mpsc::sync_channel::<Vec<Item>>(8);
    let applier = {
        let ctx = ctx.clone();
        std::thread::Builder::new()
            .name("kafka-apply".into())
            .spawn(move || {
                for batch in rx {
                    ctx.state.lock().apply_batch(batch, &ctx.metrics);
                    ctx.in_flight.done();
                }
            })?
    };

    let mut last_checkpoint = Instant::now();
    let mut last_lag = Instant::now() - Duration::from_secs(60);
    let mut last_tick = Instant::now();
    let mut last_housekeeping = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let mut batch = Vec::new();
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Ok(msg)) => {
                batch.reserve(BATCH);
                batch.push(item(&ctx, &msg, tz, &dlq_topic, &stop));
                // Take what is already fetched, without waiting.
                while batch.len() < BATCH {
                    match consumer.poll(Duration::ZERO) {
                        Some(Ok(m)) => batch.push(item(&ctx, &m, tz, &dlq_topic, &stop)),
                        Some(Err(e)) => {
                            transient(&ctx.metrics, &e);
                            break;
                        }
                        None => break,
                    }
                }
            }
            Some(Err(e)) => transient(&ctx.metrics, &e),
        }
        if !batch.is_empty() {
            ctx.in_flight.add();
            if tx.send(batch).is_err() {
                ctx.in_flight.done();
                anyhow::bail!("the apply thread stopped");
            }
        }
        if last_housekeeping.elapsed() < Duration::from_millis(50) {
            continue;
        }
        last_housekeeping = Instant::now();
        let mut st = ctx.state.lock();
        let heavy: Vec<i32> = st
            .owned
            .iter()
            .filter(|(_, o)| o.since_checkpoint >= checkpoint_events)
            .map(|(p, _)| *p)
            .collect();
        if !heavy.is_empty() {
            st.checkpoint(&consumer, &ctx.dlq, &ctx.metrics, &heavy, CommitMode::Async);
        }
        if last_checkpoint.elapsed() >= checkpoint_every {
            let all: Vec<i32> = st.owned.keys().copied().collect();
            st.checkpoint(&consumer, &ctx.dlq, &ctx.metrics, &all, CommitMode::Async);
            last_checkpoint = Instant::now();
        }
        if last_tick.elapsed() >= Duration::from_secs(1) {
            // Time passes for open orders even without events.
            let t = st.as_of();
            for o in st.owned.values_mut() {
                o.partition.advance(t);
            }
            last_tick = Instant::now();
        }
        if last_lag.elapsed() >= Duration::from_secs(2) {
            let reachable = st.refresh_lag(&consumer, &ctx.metrics);
            last_lag = Instant::now();
            if !reachable {
                health.set_not_ready("broker_unreachable");
            } else if !st.rebalanced {
                health.set_not_ready("waiting_for_assignment");
            } else if st.owned.values().any(|o| o.lag.is_none_or(|l| l > max_lag)) {
                health.set_not_ready("catching_up");
            } else {
                health.set_ready();
            }
        }
    }
    tracing::info!("stopping: applying what is in hand, final checkpoint");
    health.set_not_ready("shutting_down");
    ctx.in_flight.drain();
    {
        let mut st = ctx.state.lock();
        let all: Vec<i32> = st.owned.keys().copied().collect();
        if !st.checkpoint(&consumer, &ctx.dlq, &ctx.metrics, &all, CommitMode::Sync) {
            tracing::error!(
                "final checkpoint incomplete: the next start re-reads from the last good one"
            );
        }
    }
    drop(tx);
    let _ = applier.join();
    consumer.unsubscribe();
    drop(consumer);
    tracing::info!("consumer closed");
    Ok(())
}

fn transient(metrics: &KafkaMetrics, e: &KafkaError) {
    metrics
        .transient_errors
        .with_label_values(&["consume"])
        .inc();
    if matches!(
        e.rdkafka_error_code(),
        Some(RDKafkaErrorCode::AllBrokersDown | RDKafkaErrorCode::BrokerTransportFailure)
    ) {
        metrics.connected.set(0);
    }
    tracing::warn!(error = %e, "consume error (retrying)");
}
