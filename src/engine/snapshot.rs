//! What a partition publishes for the read side: its counters with label names
//! resolved, immutable, swapped in whole. A reader (a scrape, the API, the bulletin, the
//! views topic) therefore never sees half an order applied, and never takes a lock the
//! writer needs. One month's view is also the record the views topic carries.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::cells::{Dim, Handling};
use super::counts::{CentreCounts, LiveCounts, UnitCounts};
use crate::event::{Millis, Month, Purpose};

/// One centre's month in one partition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MonthView {
    pub centre: CentreCounts,
    /// Records by [`super::record_index`].
    pub records: Vec<i64>,
    /// Records by local day of the month (index 0 = the 1st).
    pub daily: Vec<i64>,
    /// Overdue orders by purpose ([`Purpose::index`]).
    pub overdue_by_purpose: Vec<i64>,
    pub keyed: Vec<KeyedCount>,
    pub units: BTreeMap<String, UnitView>,
    pub overdue: Vec<OverdueView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyedCount {
    pub dim: Dim,
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key2: Option<String>,
    pub n: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitView {
    pub counts: UnitCounts,
    #[serde(default)]
    pub handling: Handling,
}

/// A row of the overdue list with names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueView {
    pub order_id: String,
    pub units: Vec<String>,
    pub due_at: Option<Millis>,
    pub replied_at: Option<Millis>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    #[serde(default)]
    pub returns: u32,
    pub purpose: Option<Purpose>,
}

/// A (centre, unit) pair's live counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveView {
    pub center: String,
    pub unit: String,
    pub counts: LiveCounts,
}

/// (centre, month).
pub type MonthKey = (String, Month);

/// Everything one partition shows the read side at one moment.
#[derive(Debug, Clone, Default)]
pub struct PartitionSnapshot {
    pub months: BTreeMap<MonthKey, Arc<MonthView>>,
    pub live: Arc<Vec<LiveView>>,
    pub orders_tracked: u64,
    /// The partition's as-of time when it published.
    pub as_of: Millis,
}
