//! Copies a rejected message, unchanged, to the dead-letter topic with the reason and
//! its origin in headers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Header, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;

use super::context::DlqContext;
use crate::event::RejectReason;
use crate::source::kafka::metrics::KafkaMetrics;

/// Header naming the reject reason on dead-lettered copies.
pub const REASON_HEADER: &str = "hotline-reject-reason";

/// Queues the copy; a full queue is back-pressure, not loss: wait for room. Delivery
/// is confirmed by [`DlqContext`] and flushed before any checkpoint.
pub fn send(
    dlq: &ThreadedProducer<DlqContext>,
    topic: &str,
    msg: &BorrowedMessage<'_>,
    reason: RejectReason,
    metrics: &KafkaMetrics,
    stop: &AtomicBool,
) {
    let index = RejectReason::ALL
        .iter()
        .position(|r| *r == reason)
        .unwrap_or(0);
    let partition = msg.partition().to_string();
    let offset = msg.offset().to_string();
    let headers = OwnedHeaders::new()
        .insert(Header {
            key: REASON_HEADER,
            value: Some(reason.code()),
        })
        .insert(Header {
            key: "hotline-source-topic",
            value: Some(msg.topic()),
        })
        .insert(Header {
            key: "hotline-source-partition",
            value: Some(partition.as_str()),
        })
        .insert(Header {
            key: "hotline-source-offset",
            value: Some(offset.as_str()),
        });
    let mut record = BaseRecord::with_opaque_to(topic, index)
        .payload(msg.payload().unwrap_or(&[]))
        .headers(headers);
    if let Some(key) = msg.key() {
        record = record.key(key);
    }
    let mut record = Some(record);
    while let Some(r) = record.take() {
        match dlq.send(r) {
            Ok(()) => {}
            Err((e, r)) => {
                metrics.dead_letter_errors.inc();
                let full = matches!(
                    e,
                    KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull)
                );
                if stop.load(Ordering::Relaxed) && !full {
                    tracing::error!(error = %e, "cannot queue a dead-letter copy while stopping");
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
                record = Some(r);
            }
        }
    }
}
