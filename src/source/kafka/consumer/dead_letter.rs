//! A rejected message's copy for the dead-letter topic: unchanged, or truncated with its
//! original size when the topic cannot take it whole; the reason and the origin in
//! headers. The copy is kept until its delivery is confirmed, so it can be retried.

use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::BaseRecord;

use crate::event::RejectReason;
use crate::source::kafka::producer::Delivery;

/// Header naming the reject reason on dead-lettered copies.
pub const REASON_HEADER: &str = "hotline-reject-reason";
/// Header with the original payload size of a truncated copy.
pub const ORIGINAL_SIZE_HEADER: &str = "hotline-original-size";

/// What a copy is cut to when the dead-letter topic refuses it (the contract's largest
/// valid message: enough to see what it was).
pub const TRUNCATED_BYTES: usize = crate::event::MAX_MESSAGE_BYTES;

pub struct Letter {
    pub reason: RejectReason,
    pub offset: i64,
    key: Option<Vec<u8>>,
    payload: Vec<u8>,
    original_size: usize,
    source_topic: String,
    partition: i32,
}

impl Letter {
    /// The copy of a message, cut to `max_bytes` if it is larger.
    pub fn new(
        reason: RejectReason,
        key: Option<&[u8]>,
        payload: &[u8],
        source_topic: &str,
        partition: i32,
        offset: i64,
        max_bytes: usize,
    ) -> Self {
        let mut l = Letter {
            reason,
            offset,
            key: key.map(<[u8]>::to_vec),
            payload: payload.to_vec(),
            original_size: payload.len(),
            source_topic: source_topic.to_owned(),
            partition,
        };
        l.truncate(max_bytes);
        l
    }

    /// Cuts the copy to `max_bytes` (a no-op when it is smaller).
    pub fn truncate(&mut self, max_bytes: usize) {
        if self.payload.len() > max_bytes {
            self.payload.truncate(max_bytes);
            self.payload.shrink_to_fit();
        }
    }

    pub fn truncated(&self) -> bool {
        self.payload.len() < self.original_size
    }

    /// The record to produce; the strings it borrows are passed in by the caller.
    pub fn record<'a>(
        &'a self,
        topic: &'a str,
        numbers: &'a LetterNumbers,
        delivery: Box<Delivery>,
    ) -> BaseRecord<'a, [u8], [u8], Box<Delivery>> {
        let mut headers = OwnedHeaders::new()
            .insert(Header {
                key: REASON_HEADER,
                value: Some(self.reason.code()),
            })
            .insert(Header {
                key: "hotline-source-topic",
                value: Some(self.source_topic.as_str()),
            })
            .insert(Header {
                key: "hotline-source-partition",
                value: Some(numbers.partition.as_str()),
            })
            .insert(Header {
                key: "hotline-source-offset",
                value: Some(numbers.offset.as_str()),
            });
        if self.truncated() {
            headers = headers.insert(Header {
                key: ORIGINAL_SIZE_HEADER,
                value: Some(numbers.original_size.as_str()),
            });
        }
        let mut record = BaseRecord::with_opaque_to(topic, delivery)
            .payload(self.payload.as_slice())
            .headers(headers);
        if let Some(k) = &self.key {
            record = record.key(k.as_slice());
        }
        record
    }

    pub fn numbers(&self) -> LetterNumbers {
        LetterNumbers {
            partition: self.partition.to_string(),
            offset: self.offset.to_string(),
            original_size: self.original_size.to_string(),
        }
    }
}

/// The header values that are numbers, as text.
pub struct LetterNumbers {
    partition: String,
    offset: String,
    original_size: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_too_large_is_cut_and_says_its_size() {
        let payload = vec![b'x'; 2_000_000];
        let l = Letter::new(
            RejectReason::TooLarge,
            Some(b"k"),
            &payload,
            "t",
            3,
            7,
            1_000_000,
        );
        assert!(l.truncated());
        let n = l.numbers();
        assert_eq!(n.original_size, "2000000");
        let r = l.record("dlq", &n, Box::new(Delivery::View));
        assert_eq!(r.payload.map(<[u8]>::len), Some(1_000_000));
        let small = Letter::new(RejectReason::InvalidJson, None, b"{", "t", 0, 1, 1_000_000);
        assert!(!small.truncated());
    }
}
