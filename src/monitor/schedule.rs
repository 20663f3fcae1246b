//! The deadline queue of one shard: a binary min-heap of (time, key hash)
//! entries that may be stale.
//!
//! The queue answers one question cheaply: "which peers may have a
//! transition due by now?". It does not have to be exact, only *early*:
//!
//! * **Invariant.** Every peer that still has a level to cross owns one
//!   *live* entry whose time is at or before the real deadline of its next
//!   level; the peer records that time (`Peer::queued`). Entries name their
//!   peer by key hash (no slot to keep stable, no key to clone): an entry is
//!   live if a peer with that hash has that `queued` time; entries of
//!   removed peers, and entries superseded by an earlier one, are stale and
//!   are skipped when they surface.
//! * **Later deadlines** (the usual effect of a heartbeat) need no queue
//!   operation at all: the live entry is now early, and when it pops the
//!   peer's real deadline is recomputed and pushed. A heartbeat therefore
//!   stays O(1); each peer costs about one pop and one push per
//!   "deadline distance" of silence-free time.
//! * **Earlier deadlines** (for instance the 1 s bootstrap estimate followed
//!   by 10 ms heartbeats) would make the live entry *late*, so the heartbeat
//!   path checks for them and pushes a new, earlier entry (see
//!   `transition::rearm_after_heartbeat`). The old entry becomes stale.
//!
//! Stale entries are bounded: when the heap holds more than twice as many
//! entries as the shard has peers (plus a constant), it is compacted in one
//! O(n) pass, which is O(1) amortised over the pushes that created them.
//!
//! Entries are 16 bytes; with one live entry per peer the heap costs about
//! 16–32 bytes per peer.

use std::cmp::Ordering;
use std::collections::binary_heap::PeekMut;
use std::collections::BinaryHeap;

/// "No entry": a time later than any deadline.
pub(crate) const NEVER: u64 = u64::MAX;

/// One queued check: at `time` (nanoseconds), look at the peer whose key
/// hashes to `hash` (and whose live entry is at `time`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) time: u64,
    pub(crate) hash: u64,
}

/// Reversed on `time` so that std's max-heap pops the earliest entry first.
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .time
            .cmp(&self.time)
            .then_with(|| other.hash.cmp(&self.hash))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A min-heap of possibly stale deadline entries.
#[derive(Debug, Default)]
pub(crate) struct Schedule {
    heap: BinaryHeap<Entry>,
}

impl Schedule {
    /// An empty queue with room for `capacity` entries.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Schedule {
            heap: BinaryHeap::with_capacity(capacity),
        }
    }

    /// Queues a check of the peer with key hash `hash` at `time`. O(log n).
    #[inline]
    pub(crate) fn push(&mut self, time: u64, hash: u64) {
        self.heap.push(Entry { time, hash });
    }

    /// The earliest queued time, or [`NEVER`].
    #[inline]
    pub(crate) fn next_time(&self) -> u64 {
        self.heap.peek().map_or(NEVER, |e| e.time)
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    #[inline]
    pub(crate) fn pop_due(&mut self, now: u64) -> Option<Entry> {
        let top = self.heap.peek_mut()?;
        if top.time <= now {
            Some(PeekMut::pop(top))
        } else {
            None
        }
    }

    /// Number of entries, live and stale.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether stale entries have piled up enough to be worth a compaction:
    /// more than `2 × live + 64` entries.
    #[inline]
    pub(crate) fn needs_compaction(&self, live: usize) -> bool {
        self.heap.len() > live.saturating_mul(2).saturating_add(64)
    }

    /// Keeps only the entries `is_live` accepts. O(n).
    pub(crate) fn compact(&mut self, mut is_live: impl FnMut(&Entry) -> bool) {
        self.heap.retain(|e| is_live(e));
    }

    /// Removes every entry.
    pub(crate) fn clear(&mut self) {
        self.heap.clear();
    }

    /// Bytes reserved by the heap (for memory accounting in tests).
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.heap.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order_and_only_when_due() {
        let mut s = Schedule::default();
        for (t, hash) in [(30, 1), (10, 2), (20, 3), (10, 0)] {
            s.push(t, hash);
        }
        assert_eq!(s.next_time(), 10);
        assert_eq!(s.pop_due(5), None);
        let popped: Vec<_> = std::iter::from_fn(|| s.pop_due(20))
            .map(|e| (e.time, e.hash))
            .collect();
        assert_eq!(popped, vec![(10, 0), (10, 2), (20, 3)]);
        assert_eq!(s.next_time(), 30);
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn compaction_keeps_live_entries() {
        let mut s = Schedule::with_capacity(4);
        for t in 0..200 {
            s.push(t, t % 3);
        }
        assert!(s.needs_compaction(3));
        s.compact(|e| e.time >= 190);
        assert_eq!(s.len(), 10);
        assert_eq!(s.next_time(), 190);
        assert!(!s.needs_compaction(3));
        assert!(s.capacity() >= 10);
        s.clear();
        assert_eq!(s.next_time(), NEVER);
    }
}
