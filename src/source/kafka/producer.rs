//! The consumer's one producer (changelog, dead letters, views): idempotent, acks=all.
//! Its delivery callback runs on librdkafka's thread and only signals the waiting side
//! through atomics; the partition workers decide what a delivery means.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DeliveryResult, ProducerContext, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientContext;

use super::metrics::KafkaMetrics;
use crate::event::RejectReason;

/// The changelog records of one commit of one partition.
pub struct Batch {
    pub outstanding: AtomicUsize,
    pub failed: AtomicBool,
    /// The largest offset a delivery reported (-1: none yet).
    last_offset: AtomicI64,
    /// Records the brokers confirmed.
    delivered: AtomicU64,
}

impl Default for Batch {
    fn default() -> Self {
        Batch {
            outstanding: AtomicUsize::new(0),
            failed: AtomicBool::new(false),
            last_offset: AtomicI64::new(-1),
            delivered: AtomicU64::new(0),
        }
    }
}

impl Batch {
    /// The largest offset its records were written at.
    pub fn last_offset(&self) -> Option<i64> {
        Some(self.last_offset.load(Ordering::Acquire)).filter(|&o| o >= 0)
    }

    /// How many of its records the brokers confirmed.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Acquire)
    }

    pub fn done(&self) -> bool {
        self.outstanding.load(Ordering::Acquire) == 0
    }

    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }
}

/// One dead-letter copy's delivery.
pub struct DeadLetterState {
    state: AtomicU8,
    /// The error of the last failure.
    code: Mutex<Option<RDKafkaErrorCode>>,
    pub reason: RejectReason,
}

const PENDING: u8 = 0;
const DELIVERED: u8 = 1;
const FAILED: u8 = 2;

/// Where a dead-letter copy stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DlqState {
    Pending,
    Delivered,
    Failed(RDKafkaErrorCode),
}

impl DeadLetterState {
    pub fn new(reason: RejectReason) -> Arc<Self> {
        Arc::new(DeadLetterState {
            state: AtomicU8::new(PENDING),
            code: Mutex::new(None),
            reason,
        })
    }

    pub fn get(&self) -> DlqState {
        match self.state.load(Ordering::Acquire) {
            DELIVERED => DlqState::Delivered,
            FAILED => DlqState::Failed(self.code.lock().unwrap_or(RDKafkaErrorCode::Unknown)),
            _ => DlqState::Pending,
        }
    }

    /// Back to pending for a retry.
    pub fn retry(&self) {
        self.state.store(PENDING, Ordering::Release);
    }
}

/// What a produced record is, for its delivery report.
pub enum Delivery {
    Changelog(Arc<Batch>),
    DeadLetter(Arc<DeadLetterState>),
    View,
}

pub struct Deliveries {
    pub metrics: Arc<KafkaMetrics>,
}

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = Box<Delivery>;

    fn delivery(&self, result: &DeliveryResult<'_>, delivery: Box<Delivery>) {
        let err = result
            .as_ref()
            .err()
            .map(|(e, _)| e.rdkafka_error_code().unwrap_or(RDKafkaErrorCode::Unknown));
        match *delivery {
            Delivery::Changelog(batch) => {
                match result {
                    Ok(m) => {
                        batch.last_offset.fetch_max(m.offset(), Ordering::AcqRel);
                        batch.delivered.fetch_add(1, Ordering::AcqRel);
                    }
                    Err(_) => {
                        batch.failed.store(true, Ordering::Release);
                        self.metrics.changelog_errors.inc();
                    }
                }
                batch.outstanding.fetch_sub(1, Ordering::AcqRel);
            }
            Delivery::DeadLetter(d) => match err {
                None => {
                    self.metrics
                        .dead_letter
                        .with_label_values(&[d.reason.code()])
                        .inc();
                    d.state.store(DELIVERED, Ordering::Release);
                }
                Some(code) => {
                    self.metrics.dead_letter_errors.inc();
                    *d.code.lock() = Some(code);
                    d.state.store(FAILED, Ordering::Release);
                }
            },
            Delivery::View => {}
        }
    }
}

pub type Producer = ThreadedProducer<Deliveries>;

/// When a partition worker stops waiting for room in the producer's queue (full while
/// the brokers are away): the service is stopping, or the consumer loop stopped waiting
/// for this worker to finish. What was not queued then is not durable, and the input
/// offset is not committed past it.
#[derive(Clone)]
pub struct GiveUp {
    stop: Arc<AtomicBool>,
    abandoned: Arc<AtomicBool>,
}

impl GiveUp {
    /// Gives up once `stop` is set, or once [`GiveUp::abandon`] is called.
    pub fn new(stop: Arc<AtomicBool>) -> Self {
        GiveUp {
            stop,
            abandoned: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn abandon(&self) {
        self.abandoned.store(true, Ordering::Relaxed);
    }

    pub fn now(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.abandoned.load(Ordering::Relaxed)
    }
}

/// Queues a record; a full queue is back-pressure: wait for room until `give_up`.
pub fn send<'a>(
    producer: &Producer,
    mut record: BaseRecord<'a, [u8], [u8], Box<Delivery>>,
    give_up: &GiveUp,
) -> Result<(), (KafkaError, Box<Delivery>)> {
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r))
                if !give_up.now() =>
            {
                record = r;
                std::thread::sleep(Duration::from_millis(1));
            }
            Err((e, r)) => return Err((e, r.delivery_opaque)),
        }
    }
}
