//! One block's events for one shard, as the decoding worker hands them to the shard's
//! owner: every string of the block's events in one `String`, the events holding spans
//! of it. The owner reads them back without checking UTF-8 again or decoding bytes
//! (packing them as bytes cost a tenth of a replay: the copy, and the UTF-8 check of
//! every id and label on the way back).

use crate::event::{Event, Millis, OrderKey};

/// A string of [`Routed::text`], as byte offsets.
type Span = (u32, u32);

pub(super) struct Routed {
    /// The block's place in the input.
    pub(super) seq: u64,
    /// The largest event time of the whole block (all shards').
    pub(super) max_at: Millis,
    text: String,
    events: Vec<Event<Span>>,
}

impl Routed {
    pub(super) fn with_capacity(seq: u64, events: usize, text: usize) -> Self {
        Routed {
            seq,
            max_at: Millis::MIN,
            text: String::with_capacity(text),
            events: Vec::with_capacity(events),
        }
    }

    /// The same buffers, emptied, for another block.
    pub(super) fn reuse(mut self, seq: u64) -> Self {
        self.seq = seq;
        self.max_at = Millis::MIN;
        self.text.clear();
        self.events.clear();
        self
    }

    pub(super) fn push<S: AsRef<str>>(&mut self, ev: Event<S>) {
        let text = &mut self.text;
        let mut span = |s: &str| {
            let start = text.len();
            text.push_str(s);
            // Offsets fit in u32: a block is BLOCK bytes plus one line, and only lines
            // that decode (at most MAX_MESSAGE_BYTES each) are routed.
            (start as u32, text.len() as u32)
        };
        let routed = Event {
            event_id: span(ev.event_id.as_ref()),
            order_id: span(ev.order_id.as_ref()),
            at: ev.at,
            center: ev.center.as_ref().map(|c| span(c.as_ref())),
            kind: ev.kind.map(|s| span(s.as_ref())),
        };
        self.events.push(routed);
    }

    /// The events, in the order they were pushed.
    pub(super) fn events(&self) -> impl Iterator<Item = Event<&str>> + '_ {
        self.events
            .iter()
            .map(move |ev| ev.clone().map(|s| self.text(s), |s| self.text(s)))
    }

    /// The events' [`Event::order_key`]s, without reading the rest of them.
    pub(super) fn order_keys(&self) -> impl Iterator<Item = OrderKey<'_>> + '_ {
        self.events
            .iter()
            .map(|ev| (ev.center.map(|s| self.text(s)), self.text(ev.order_id)))
    }

    fn text(&self, (start, end): Span) -> &str {
        // SAFETY: every span was cut by `push` around a whole `&str` appended to `text`,
        // which is only cleared with the spans (`reuse`): in bounds, on char boundaries.
        unsafe { self.text.get_unchecked(start as usize..end as usize) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;

    #[test]
    fn events_read_back_as_they_were_pushed() {
        let events = [
            Event {
                event_id: "e1",
                order_id: "HX1",
                at: 5,
                center: Some("海口"),
                kind: EventKind::Dispatched {
                    unit: "市水务局",
                    due_at: 9,
                },
            },
            Event {
                event_id: "é2",
                order_id: "",
                at: -1,
                center: None,
                kind: EventKind::Returned {
                    unit: "单位",
                    reason: Some("非本单位职责"),
                },
            },
        ];
        let mut routed = Routed::with_capacity(7, 0, 0);
        for ev in events.iter().cloned() {
            routed.push(ev);
        }
        assert_eq!(routed.events().collect::<Vec<_>>(), events);
    }
}
