//! A partition's input offsets as the consumer loop tracks them, from handed over to
//! committed. The loop stores an offset once the worker reports it durable, and
//! librdkafka's auto-commit sends what is stored (retrying a failed commit at its next
//! interval); an offset counts as committed only once the broker has answered for it.

#[derive(Debug, Default)]
pub(super) struct Offsets {
    /// After the last message handed to the worker.
    pub handed: Option<i64>,
    /// What the worker reported durable: changelog and dead letters confirmed.
    pub committable: Option<i64>,
    /// Confirmed committed by the broker, or where fetching started at assignment
    /// (the restored state covers everything before it).
    pub committed: Option<i64>,
    /// Stored for librdkafka's auto-commit.
    stored: Option<i64>,
}

impl Offsets {
    /// The durable offset not stored for commit yet.
    pub fn to_store(&self) -> Option<i64> {
        let c = self.committable?;
        let ahead = self.stored.max(self.committed);
        ahead.is_none_or(|a| c > a).then_some(c)
    }

    /// `offset` was stored: auto-commit sends it.
    pub fn stored(&mut self, offset: i64) {
        self.stored = self.stored.max(Some(offset));
    }

    /// The durable offset not confirmed committed yet (the final, synchronous commit).
    pub fn to_commit(&self) -> Option<i64> {
        let c = self.committable?;
        self.committed.is_none_or(|d| c > d).then_some(c)
    }

    /// The broker's answer for `offset`. A failed commit changes nothing: the offset
    /// stays stored, and the next auto-commit sends it again.
    pub fn answered(&mut self, offset: i64, ok: bool) {
        if ok {
            self.committed = self.committed.max(Some(offset));
        }
    }

    /// Everything handed to the worker is committed.
    pub fn up_to_date(&self) -> bool {
        self.handed
            .is_none_or(|h| self.committed.is_some_and(|c| c >= h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn durable_up_to(offset: i64) -> Offsets {
        Offsets {
            handed: Some(offset),
            committable: Some(offset),
            ..Offsets::default()
        }
    }

    #[test]
    fn a_stored_offset_counts_as_committed_only_once_answered() {
        let mut o = durable_up_to(10);
        assert_eq!(o.to_store(), Some(10));
        o.stored(10);
        assert_eq!(o.to_store(), None, "stored once");
        assert_eq!(o.committed, None, "stored is not committed");
        assert!(!o.up_to_date());
        assert_eq!(
            o.to_commit(),
            Some(10),
            "the final commit does not trust it"
        );
        o.answered(10, true);
        assert_eq!(o.committed, Some(10));
        assert_eq!(o.to_commit(), None);
        assert!(o.up_to_date());
    }

    #[test]
    fn a_failed_commit_leaves_the_offset_uncommitted() {
        let mut o = durable_up_to(10);
        o.stored(10);
        o.answered(10, false);
        assert_eq!(o.committed, None);
        assert_eq!(o.to_commit(), Some(10));
        assert!(!o.up_to_date());
    }

    #[test]
    fn offsets_only_move_forward() {
        let mut o = durable_up_to(10);
        o.answered(20, true);
        o.answered(5, true);
        assert_eq!(o.committed, Some(20));
        assert_eq!(o.to_store(), None, "10 is behind what is committed");
        assert_eq!(o.to_commit(), None);
        o.committable = Some(30);
        o.stored(30);
        o.stored(25);
        assert_eq!(o.to_store(), None);
    }
}
