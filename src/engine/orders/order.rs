//! One order, stored compactly: one byte buffer holding the order id, a base time and
//! the order's events packed with interned label ids, kept in the contract's
//! processing order.

use std::cmp::Ordering;

use smallvec::SmallVec;

use crate::engine::labels::LabelId;
use crate::event::packed::{self, cmp_events, EventId, Ids, Packed};
use crate::event::{EventKind, Millis, Month};

/// "No pending timer".
pub const NO_TIMER: Millis = Millis::MAX;

/// Bytes of an order held in its slot; a longer order's bytes are on the heap. 93 % of
/// a Haikou month's orders fit: they cost no allocation of their own, and finding one
/// touches its slot only (one cache miss fewer per event).
const INLINE: usize = 64;

pub struct Order {
    /// `[id length varint][order id][base time: 8 bytes LE][packed events...]`
    data: SmallVec<[u8; INLINE]>,
    pub center: LabelId,
    /// Cohort month of the contribution currently applied.
    pub month: Option<Month>,
    /// When the order next changes by itself (its live timer; `NO_TIMER`: never).
    /// Timers queued for it at other times are stale.
    pub timer: Millis,
    pub events: u32,
    /// Changed since the changelog last took it.
    pub dirty: bool,
}

/// Where a new event goes, or why it does not.
pub enum Placement {
    Duplicate,
    /// Byte offset to insert at.
    At(usize),
}

impl Order {
    pub fn new(center: LabelId, order_id: &str, base: Millis) -> Self {
        let mut data = SmallVec::new();
        packed::put_bytes(&mut data, order_id.as_bytes());
        data.extend_from_slice(&base.to_le_bytes());
        Order {
            data,
            center,
            month: None,
            timer: NO_TIMER,
            events: 0,
            dirty: false,
        }
    }

    /// The order id's bytes, the base time, and where the events start.
    fn header(&self) -> (&[u8], Millis, usize) {
        let mut input = &self.data[..];
        let id = packed::get_bytes(&mut input).unwrap_or_default();
        let start = self.data.len() - input.len();
        let base = input
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .map_or(0, i64::from_le_bytes);
        (id, base, start + 8)
    }

    /// The order id as bytes: what the hot path compares (no UTF-8 check).
    pub(super) fn id_bytes(&self) -> &[u8] {
        self.header().0
    }

    pub fn order_id(&self) -> &str {
        // The id was written from a &str.
        std::str::from_utf8(self.id_bytes()).unwrap_or_default()
    }

    pub fn base(&self) -> Millis {
        self.header().1
    }

    /// The packed events, in order.
    pub fn events(&self) -> Events<'_> {
        let (_, base, start) = self.header();
        Events {
            input: &self.data[start..],
            base,
            offset: start,
        }
    }

    /// Where `id` with the sort key of `probe` goes: scans every event (ids may repeat
    /// anywhere), handing each to `held` in order (the caller folds them in the same
    /// pass). A duplicate ends the scan.
    pub fn place(
        &self,
        probe: &Packed<'_, LabelId>,
        mut held: impl FnMut(&Packed<'_, LabelId>),
    ) -> Placement {
        let order_id = self.id_bytes();
        let mut pos = None;
        let mut events = self.events();
        loop {
            let offset = events.offset;
            let Some(ev) = events.next() else { break };
            if ev.id.cmp_in(&probe.id, order_id) == Ordering::Equal {
                return Placement::Duplicate;
            }
            if pos.is_none() && cmp_events(&ev, probe, order_id) == Ordering::Greater {
                pos = Some(offset);
            }
            held(&ev);
        }
        Placement::At(pos.unwrap_or(self.data.len()))
    }

    /// Inserts a packed event at `offset` (from [`Order::place`]). `exact` keeps the
    /// buffer's capacity exact (small orders live for months; growth slack would cost
    /// more than the reallocation). True if it went after every held event.
    pub fn insert(
        &mut self,
        offset: usize,
        at: Millis,
        id: EventId<'_>,
        kind: &EventKind<LabelId>,
        exact: bool,
    ) -> bool {
        let base = self.base();
        let last = offset == self.data.len();
        // Encoded on the stack first: the buffer's growth is exact.
        let mut buf = SmallVec::<[u8; 48]>::new();
        packed::put::<Ids>(&mut buf, base, at, id, kind);
        if exact {
            self.data.reserve_exact(buf.len());
        }
        self.data.insert_from_slice(offset, &buf);
        self.events += 1;
        last
    }

    /// Merges events sorted in the contract's order (none already held) into the
    /// order's, in one pass: a busy order's late arrivals, however many, cost one copy
    /// of the buffer (held events are copied as byte runs, not re-encoded).
    pub fn merge(&mut self, sorted: &[Packed<'_, LabelId>]) {
        let (order_id, base, start) = self.header();
        let mut data = Vec::with_capacity(self.data.len() + sorted.len() * 16);
        let mut run = 0;
        let mut new = sorted.iter().peekable();
        let mut held = self.events();
        loop {
            let offset = held.offset;
            let Some(h) = held.next() else { break };
            while let Some(n) = new.next_if(|n| cmp_events(n, &h, order_id).is_lt()) {
                data.extend_from_slice(&self.data[run..offset]);
                run = offset;
                packed::put::<Ids>(&mut data, base, n.at, n.id, &n.kind);
            }
        }
        debug_assert!(run == 0 || run >= start);
        data.extend_from_slice(&self.data[run..]);
        for n in new {
            packed::put::<Ids>(&mut data, base, n.at, n.id, &n.kind);
        }
        self.data = if data.len() <= INLINE {
            SmallVec::from_slice(&data)
        } else {
            SmallVec::from_vec(data)
        };
        self.events += sorted.len() as u32;
    }

    /// The last event's byte offset (for a busy order's append check).
    pub fn last_offset(&self) -> Option<usize> {
        let mut events = self.events();
        let mut last = None;
        loop {
            let offset = events.offset;
            if events.next().is_none() {
                return last;
            }
            last = Some(offset);
        }
    }

    /// The event at a byte offset.
    pub fn event_at(&self, offset: usize) -> Option<Packed<'_, LabelId>> {
        let base = self.base();
        let mut input = self.data.get(offset..)?;
        packed::get::<Ids>(&mut input, base)
    }

    /// Heap bytes held (the bytes held in the slot count as the slot's).
    pub fn heap_bytes(&self) -> usize {
        if self.data.spilled() {
            self.data.capacity()
        } else {
            0
        }
    }

    /// Bytes used: the offset just past the last event.
    pub fn byte_len(&self) -> usize {
        self.data.len()
    }
}

/// Iterates an order's packed events.
pub struct Events<'a> {
    input: &'a [u8],
    base: Millis,
    /// Byte offset (in the order's buffer) of the next event.
    pub offset: usize,
}

impl<'a> Iterator for Events<'a> {
    type Item = Packed<'a, LabelId>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.input.is_empty() {
            return None;
        }
        let before = self.input.len();
        // The buffer only ever holds what `packed::put` wrote.
        let ev = packed::get::<Ids>(&mut self.input, self.base)?;
        self.offset += before - self.input.len();
        Some(ev)
    }
}
