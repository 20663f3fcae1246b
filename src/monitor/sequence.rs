//! [`Monitor::heartbeat_seq`]: heartbeats that carry the sender's sequence
//! number. The detector keeps the last number per peer and refuses a stale
//! one (`detector::state`); the shard asks it before anything else changes.

use super::Monitor;
use crate::detector::{Arrival, HeartbeatError};
use crate::time::Timestamp;
use std::borrow::Borrow;
use std::hash::Hash;

impl<K: Hash + Eq + Clone> Monitor<K> {
    /// [`Monitor::heartbeat`] for a heartbeat that carries the sender's
    /// sequence number `seq`: see
    /// [`Detector::heartbeat_seq`](crate::Detector::heartbeat_seq) for what
    /// the models do with it.
    ///
    /// # Errors
    ///
    /// [`HeartbeatError::StaleSequence`] if `seq` is not above the peer's
    /// last number accepted, [`HeartbeatError::OutOfOrder`] if `at` is
    /// earlier than its previous heartbeat; nothing changes then (no event
    /// either).
    #[inline]
    pub fn heartbeat_seq<Q>(
        &self,
        peer: &Q,
        at: impl Into<Timestamp>,
        seq: u64,
    ) -> Result<Arrival, HeartbeatError>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq + ToOwned<Owned = K>,
    {
        self.heartbeat_numbered(peer, at.into(), Some(seq))
    }
}
