//! Ingesting a burst of heartbeats ([`Monitor::heartbeat_batch`]): the
//! batch is grouped by shard, each shard locked once, and the records of a
//! group asked for from memory before any is updated.

use super::Monitor;
use crate::detector::{Arrival, HeartbeatError};
use crate::time::Timestamp;
use std::borrow::Borrow;
use std::hash::Hash;
use std::sync::atomic::Ordering;

impl<K: Hash + Eq + Clone> Monitor<K> {
    /// Records many heartbeats at once, with the same effect as calling
    /// [`Monitor::heartbeat`] for each in order, and calls `result` with
    /// each one's position in `batch` and outcome.
    ///
    /// Meant for bursts (a transport that reads many datagrams per system
    /// call): the batch is grouped by shard (keeping the order of each
    /// peer's heartbeats), each shard is locked once for its group, and the
    /// records of a group are asked for from memory in one pass before any
    /// is updated, so that their cache misses overlap instead of following
    /// one another.
    /// With many peers arriving in an order unrelated to the order they
    /// joined, that nearly doubles the throughput of one call each; when
    /// they arrive in the order they joined (the order their records were
    /// allocated in), one call each walks memory forwards and is faster
    /// (`BENCHMARKS.md` has both figures). Heartbeats of
    /// different peers may be applied in a different order than given; they
    /// are independent. `result` is called under a shard's lock: it must not
    /// call back into this monitor.
    pub fn heartbeat_batch<Q>(
        &self,
        batch: &[(&Q, Timestamp)],
        mut result: impl FnMut(usize, Result<Arrival, HeartbeatError>),
    ) where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq + ToOwned<Owned = K>,
    {
        /// Records looked up together before any is updated.
        const AHEAD: usize = 16;
        // A stable counting sort by shard: `order` lists positions in
        // `batch` shard by shard, each shard's in the given order.
        let hashed: Vec<(u64, usize)> = batch.iter().map(|(peer, _)| self.locate(*peer)).collect();
        let mut starts = vec![0usize; self.shards.len() + 1];
        for &(_, s) in &hashed {
            starts[s + 1] += 1;
        }
        for s in 0..self.shards.len() {
            starts[s + 1] += starts[s];
        }
        let mut fill = starts.clone();
        let mut order = vec![0usize; batch.len()];
        for (i, &(_, s)) in hashed.iter().enumerate() {
            order[fill[s]] = i;
            fill[s] += 1;
        }
        for (s, (cell, due)) in self.shards.iter().zip(self.next_due.iter()).enumerate() {
            let group = &order[starts[s]..starts[s + 1]];
            if group.is_empty() {
                continue;
            }
            let mut shard = cell.0.lock();
            for chunk in group.chunks(AHEAD) {
                // Every record of the chunk asked for first...
                for &i in chunk {
                    shard.prefetch_record(hashed[i].0);
                }
                // ...then the heartbeats, on records already on their way.
                for &i in chunk {
                    let (peer, at) = batch[i];
                    let outcome = shard.heartbeat(
                        &self.rules,
                        &self.events,
                        hashed[i].0,
                        peer,
                        (at, None),
                        |t| self.may_catch_up(t),
                    );
                    result(i, outcome);
                }
            }
            if shard.take_pushed() {
                due.store(shard.next_time(), Ordering::Release);
            }
        }
    }
}
