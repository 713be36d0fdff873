//! Consumed messages as the consumer loop hands them to a worker.

/// Consumed messages handed to a worker: payloads and keys in one buffer.
#[derive(Default)]
pub struct Messages {
    pub data: Vec<u8>,
    pub items: Vec<Item>,
}

pub struct Item {
    pub offset: i64,
    pub key: Option<(u32, u32)>,
    pub payload: (u32, u32),
}

impl Messages {
    pub fn push(&mut self, offset: i64, key: Option<&[u8]>, payload: &[u8]) {
        let mut span = |b: &[u8]| {
            let start = self.data.len() as u32;
            self.data.extend_from_slice(b);
            (start, self.data.len() as u32)
        };
        let key = key.map(&mut span);
        let payload = span(payload);
        self.items.push(Item {
            offset,
            key,
            payload,
        });
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The bytes of a key or payload span.
    pub(super) fn slice(&self, (a, b): (u32, u32)) -> &[u8] {
        &self.data[a as usize..b as usize]
    }
}
