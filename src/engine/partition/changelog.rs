//! The partition's state as key/value records, for a compacted changelog topic (and the
//! local cache, which holds the same records): one record per order keyed by its order
//! id, its value the order's events (labels as text, so any process can read it back);
//! a null value when the order is evicted; the tombstones of evicted orders in chunks
//! per month. Only what changed since the last drain is written, so a commit costs what
//! changed, not the size of the state.

use super::{Partition, BIG};
use crate::engine::derive::Derived;
use crate::engine::orders::Order;
use crate::event::packed::{self, Text};
use crate::event::{EventKind, Millis, Month};

/// Keys of tombstone records: `\0tombstones/YYYY-MM/N` (no order id starts with NUL).
pub const TOMBSTONE_PREFIX: &[u8] = b"\0tombstones/";

const VERSION: u8 = 1;
/// Separates a non-default centre from the order id in a key.
const CENTRE_SEP: u8 = 0x1f;

/// One changelog record: `value` `None` deletes the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRecord {
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("changelog record is corrupt: {0}")]
pub struct RestoreError(pub &'static str);

fn tombstone_key(month: Month, chunk: u32) -> Vec<u8> {
    let mut k = TOMBSTONE_PREFIX.to_vec();
    k.extend_from_slice(format!("{month}/{chunk}").as_bytes());
    k
}

/// The (month, chunk) of a tombstone key; `None` for an order's key.
fn parse_tombstone_key(key: &[u8]) -> Option<Result<(Month, u32), RestoreError>> {
    let rest = key.strip_prefix(TOMBSTONE_PREFIX)?;
    Some(
        std::str::from_utf8(rest)
            .ok()
            .and_then(|t| t.split_once('/'))
            .and_then(|(m, c)| Some((m.parse::<Month>().ok()?, c.parse::<u32>().ok()?)))
            .ok_or(RestoreError("tombstone key")),
    )
}

impl Partition {
    /// Keeps track of changes for [`Partition::drain_changes`] from now on.
    pub fn track_changes(&mut self) {
        self.track_changes = true;
    }

    /// Orders changed or removed since the last drain.
    pub fn changes_pending(&self) -> usize {
        self.changed.len() + self.removed.len()
    }

    /// Hands over the records of what changed since the last drain: deletions first
    /// (an order is never written and deleted in one drain: evicted orders leave a
    /// tombstone, so they cannot come back before the next).
    pub fn drain_changes(&mut self, mut out: impl FnMut(ChangeRecord)) {
        // Busy orders' stashed events go into their buffers first.
        self.settle_all();
        for key in self.removed.drain(..) {
            out(ChangeRecord { key, value: None });
        }
        for slot in std::mem::take(&mut self.changed) {
            match self.orders.get_mut(slot) {
                Some(order) if order.dirty => order.dirty = false,
                _ => continue,
            }
            let Some(order) = self.orders.get(slot) else {
                continue;
            };
            out(ChangeRecord {
                key: self.changelog_key(order),
                value: Some(self.changelog_value(order)),
            });
        }
        self.tombstones.drain(|m, c, v| {
            out(ChangeRecord {
                key: tombstone_key(m, c),
                value: v,
            })
        });
    }

    /// Marks the orders (or tombstone chunks) of `keys` as changed again: their writes
    /// failed and must be made again, with the current values.
    pub fn redirty(&mut self, keys: &[Vec<u8>]) {
        for key in keys {
            if let Some(tombstone) = parse_tombstone_key(key) {
                if let Ok((m, c)) = tombstone {
                    self.tombstones.rewrite(m, c);
                }
                continue;
            }
            match self.find_key(key) {
                Some(slot) => self.mark_changed(slot),
                None => self.removed.push(key.clone()),
            }
        }
    }

    /// The order a changelog key names.
    fn find_key(&self, key: &[u8]) -> Option<u32> {
        let order_id = std::str::from_utf8(key).ok();
        if let Some(slot) = order_id.and_then(|id| self.orders.find(self.default_center, id)) {
            return Some(slot);
        }
        let i = key.iter().position(|&b| b == CENTRE_SEP)?;
        let center = std::str::from_utf8(&key[..i]).ok()?;
        let id = std::str::from_utf8(&key[i + 1..]).ok()?;
        self.orders.find(self.labels.get(center)?, id)
    }

    /// Every record of the state (the local cache's content).
    pub fn export(&mut self, mut out: impl FnMut(ChangeRecord)) {
        self.settle_all();
        for (_, order) in self.orders.iter() {
            out(ChangeRecord {
                key: self.changelog_key(order),
                value: Some(self.changelog_value(order)),
            });
        }
        self.tombstones.records(|m, c, bytes| {
            out(ChangeRecord {
                key: tombstone_key(m, c),
                value: Some(bytes),
            })
        });
    }

    /// The key of an order: its id, prefixed by its centre when that is not the default.
    pub(super) fn changelog_key(&self, order: &Order) -> Vec<u8> {
        let id = order.order_id().as_bytes();
        if order.center == self.default_center {
            return id.to_vec();
        }
        let center = self.labels.name(order.center).as_bytes();
        let mut k = Vec::with_capacity(center.len() + 1 + id.len());
        k.extend_from_slice(center);
        k.push(CENTRE_SEP);
        k.extend_from_slice(id);
        k
    }

    /// `[version][centre: text, absent = default][order id][base time][events, text]`
    fn changelog_value(&self, order: &Order) -> Vec<u8> {
        let mut v = Vec::with_capacity(order.byte_len() * 2 + 16);
        v.push(VERSION);
        let center = (order.center != self.default_center).then(|| self.labels.name(order.center));
        <Text as packed::Codec>::put_opt(&mut v, center.as_ref());
        let base = order.base();
        packed::put_bytes(&mut v, order.order_id().as_bytes());
        v.extend_from_slice(&base.to_le_bytes());
        for ev in order.events() {
            let kind = ev.kind.map(|l| self.labels.name(l));
            packed::put::<Text>(&mut v, base, ev.at, ev.id, &kind);
        }
        v
    }

    /// Takes back one record (a restore reads the changelog to its end, keeping the
    /// last value of each key, and hands each here once). Restored events are not
    /// counted again in the pipeline counters.
    pub fn restore(&mut self, key: &[u8], value: &[u8]) -> Result<(), RestoreError> {
        if let Some(tombstone) = parse_tombstone_key(key) {
            let (month, chunk) = tombstone?;
            return if self.tombstones.restore_chunk(month, chunk, value) {
                Ok(())
            } else {
                Err(RestoreError("tombstone value"))
            };
        }
        let (&v, mut input) = value.split_first().ok_or(RestoreError("empty value"))?;
        if v != VERSION {
            return Err(RestoreError("unknown version"));
        }
        let center: Option<&str> =
            <Text as packed::Codec>::get_opt(&mut input).ok_or(RestoreError("centre"))?;
        let order_id = packed::get_bytes(&mut input)
            .and_then(|b| std::str::from_utf8(b).ok())
            .ok_or(RestoreError("order id"))?;
        let base = input
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .map(Millis::from_le_bytes)
            .ok_or(RestoreError("base time"))?;
        input = &input[8..];
        let mut events = Vec::new();
        while !input.is_empty() {
            events.push(packed::get::<Text>(&mut input, base).ok_or(RestoreError("event"))?);
        }
        let center = center
            .unwrap_or(&self.shared.config.default_center)
            .to_owned();
        if let Some(slot) = self
            .labels
            .get(&center)
            .and_then(|c| self.orders.find(c, order_id))
        {
            // Restored twice: the later record replaces the order (no tombstone: it
            // is not evicted).
            let _ = self.remove_order(slot);
        }
        let c = self.labels.intern(&center);
        let mut order = Order::new(c, order_id, base);
        for ev in &events {
            self.max_at = self.max_at.max(Some(ev.at));
            let kind: EventKind<u32> = ev.kind.clone().map(|s| self.labels.intern(s));
            let offset = order.byte_len();
            order.insert(offset, ev.at, ev.id, &kind, false);
        }
        let slot = self.orders.insert(order);
        if self.orders.get(slot).is_some_and(|o| o.events >= BIG) {
            self.adopt_big(slot);
        }
        let after = self.derive(slot, self.as_of);
        self.commit_or_evict(slot, &Derived::default(), &after);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::EngineConfig;
    use crate::engine::{Partition, Shared};
    use crate::source::replay::apply_lines;
    use crate::source::AsOf;

    fn ev(id: &str, order: &str, kind: &str, at: &str, rest: &str) -> String {
        format!(r#"{{"event_id":"{id}","order_id":"{order}","type":"{kind}","at":"{at}"{rest}}}"#)
    }

    /// A restore under `--as-of watermark` runs in a fresh partition whose as-of is not
    /// known yet (`Millis::MIN`): open assignments with deadlines must derive there
    /// (the due-soon test once overflowed on `deadline - as_of`), and once time moves
    /// on the restored partition shows what the original shows.
    #[test]
    fn a_fresh_partition_restores_open_orders_before_any_as_of_is_known() {
        let shared = Shared::new(EngineConfig::default(), None);
        let mut original = Partition::new(0, shared.clone());
        original.track_changes();
        let received = r#","channel":"phone","purpose":"help","disposition":"dispatch""#;
        let lines = [
            ev("a1", "A", "received", "2024-11-05 10:00:00", received),
            // Due far ahead, due within the day, and overdue at the watermark.
            ev(
                "a2",
                "A",
                "dispatched",
                "2024-11-05 10:05:00",
                r#","unit":"市公安局","due_at":"2024-11-20 18:00:00""#,
            ),
            ev("b1", "B", "received", "2024-11-05 11:00:00", received),
            ev(
                "b2",
                "B",
                "dispatched",
                "2024-11-05 11:05:00",
                r#","unit":"市教育局","due_at":"2024-11-07 09:00:00""#,
            ),
            ev("c1", "C", "received", "2024-11-01 09:00:00", received),
            ev(
                "c2",
                "C",
                "dispatched",
                "2024-11-01 09:05:00",
                r#","unit":"市教育局","due_at":"2024-11-03 09:00:00""#,
            ),
            ev("d1", "D", "received", "2024-11-06 12:00:00", received),
        ];
        let as_of = apply_lines(
            lines.iter().map(|l| l.as_bytes()),
            &shared,
            &mut original,
            AsOf::Watermark,
        );
        let mut records = Vec::new();
        original.drain_changes(|r| records.push(r));
        assert_eq!(records.len(), 4, "one record per order");

        let mut restored = Partition::new(0, shared);
        for r in &records {
            let value = r.value.as_deref().expect("no deletion");
            restored.restore(&r.key, value).expect("reads back");
        }
        restored.advance(as_of);
        assert_eq!(restored.len(), original.len());
        assert_eq!(restored.snapshot().months, original.snapshot().months);
    }

    /// A key read twice (a cache, then the changelog after it): the later value
    /// replaces the order, with nothing of the earlier one left in the counters.
    #[test]
    fn a_key_restored_twice_keeps_the_later_value_only() {
        let shared = Shared::new(EngineConfig::default(), None);
        let received = r#","channel":"phone","purpose":"help","disposition":"dispatch""#;
        let dispatched = r#","unit":"市教育局","due_at":"2024-11-20 18:00:00""#;
        let mut early = Partition::new(0, shared.clone());
        early.track_changes();
        let first = [ev("a1", "A", "received", "2024-11-05 10:00:00", received)];
        apply_lines(
            first.iter().map(|l| l.as_bytes()),
            &shared,
            &mut early,
            AsOf::Watermark,
        );
        let mut late = Partition::new(0, shared.clone());
        late.track_changes();
        let both = [
            first[0].clone(),
            ev("a2", "A", "dispatched", "2024-11-05 10:05:00", dispatched),
        ];
        let as_of = apply_lines(
            both.iter().map(|l| l.as_bytes()),
            &shared,
            &mut late,
            AsOf::Watermark,
        );
        let (mut older, mut newer) = (Vec::new(), Vec::new());
        early.drain_changes(|r| older.push(r));
        late.drain_changes(|r| newer.push(r));
        assert_eq!(older[0].key, newer[0].key, "one order, one key");

        let mut restored = Partition::new(0, shared);
        for r in older.iter().chain(&newer) {
            restored
                .restore(&r.key, r.value.as_deref().expect("no deletion"))
                .expect("reads back");
        }
        restored.advance(as_of);
        assert_eq!(restored.len(), 1);
        assert_eq!(
            restored.labels_held(),
            late.labels_held(),
            "labels released"
        );
        assert_eq!(restored.snapshot().months, late.snapshot().months);
    }
}
