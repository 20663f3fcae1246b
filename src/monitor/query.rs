//! What a [`Monitor`] answers about its peers: one peer's phi, availability,
//! deadlines, level and statistics, and the listing of every peer (the
//! sweep). Nothing here changes a peer: each answer is read under the
//! peer's shard lock.

use super::shard::Peer;
use super::Monitor;
use crate::detector::Stats;
use crate::prefetch::prefetch;
use crate::time::Timestamp;
use std::borrow::Borrow;
use std::hash::Hash;
use std::time::Duration;

/// Whether a peer is considered up, with unknown peers kept apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Availability {
    /// Never heard from and not watched (or removed).
    Unknown,
    /// Watched with [`Monitor::watch`], no heartbeat yet, not yet overdue.
    Awaiting,
    /// Phi is below the configured threshold.
    Available,
    /// Phi is at or above the configured threshold (including a watched
    /// peer that never answered in time).
    Unavailable,
}

impl Availability {
    /// `Some(true)` if available or awaiting, `Some(false)` if unavailable,
    /// `None` if unknown.
    pub fn is_available(self) -> Option<bool> {
        match self {
            Availability::Unknown => None,
            Availability::Awaiting | Availability::Available => Some(true),
            Availability::Unavailable => Some(false),
        }
    }
}

/// One peer's suspicion at a given time, as listed by [`Monitor::peers`],
/// [`Monitor::peers_sorted`] and [`Monitor::suspects`].
///
/// Every field comes from one read of the peer's record under its shard
/// lock, so they agree with each other: an exporter that prints phi,
/// silence and last heartbeat needs no second lookup, which could see a
/// heartbeat that the first did not.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PeerPhi<K> {
    /// The peer.
    pub peer: K,
    /// Its phi at the requested time.
    pub phi: f64,
    /// Whether phi is below the configured threshold.
    pub available: bool,
    /// Number of thresholds it has been announced suspected at.
    pub level: usize,
    /// Watched but never heard from.
    pub never_heard: bool,
    /// Time without a heartbeat at the requested time: since the last
    /// heartbeat, or since the peer was watched if it never sent one (as
    /// in [`Suspicion::silence`](super::Suspicion::silence)). Zero if the
    /// requested time is before that.
    pub silence: Duration,
    /// Arrival time of the last heartbeat, `None` for a watched peer that
    /// never sent one.
    pub last_heartbeat: Option<Timestamp>,
}

impl<K: Hash + Eq + Clone> Monitor<K> {
    /// The peer's phi at `now`, or `None` if the peer is unknown.
    pub fn phi<Q>(&self, peer: &Q, now: impl Into<Timestamp>) -> Option<f64>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        let now = now.into();
        self.with_peer(peer, |p| p.state.phi(&self.rules.params, now))
    }

    /// Whether the peer is up at `now` under the configured threshold, with
    /// unknown and not-yet-heard peers told apart.
    pub fn availability<Q>(&self, peer: &Q, now: impl Into<Timestamp>) -> Availability
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        let now = now.into();
        self.with_peer(peer, |p| {
            if !p.state.is_available(&self.rules.params, now) {
                Availability::Unavailable
            } else if p.never_heard {
                Availability::Awaiting
            } else {
                Availability::Available
            }
        })
        .unwrap_or(Availability::Unknown)
    }

    /// `Some(phi(now) < configured threshold)`, or `None` if the peer is
    /// unknown. (Akka answers `true` for unknown resources, Hazelcast
    /// `false`; use `.unwrap_or(..)` for either.)
    pub fn is_available<Q>(&self, peer: &Q, now: impl Into<Timestamp>) -> Option<bool>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.availability(peer, now).is_available()
    }

    /// Whether the peer has sent at least one heartbeat (Akka's
    /// `isMonitoring`): `false` for unknown and for watched-but-silent peers.
    pub fn is_monitoring<Q>(&self, peer: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.with_peer(peer, |p| !p.never_heard).unwrap_or(false)
    }

    /// Whether the peer is known (heard from or watched).
    pub fn contains<Q>(&self, peer: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.with_peer(peer, |_| ()).is_some()
    }

    /// When the peer's phi reaches the configured threshold if nothing
    /// arrives, or `None` if the peer is unknown or its phi stays below
    /// the threshold up to [`Timestamp::MAX`] included. Agrees with
    /// [`is_available`](Self::is_available) to the nanosecond, at every
    /// instant: available exactly before the deadline.
    pub fn suspicion_deadline<Q>(&self, peer: &Q) -> Option<Timestamp>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.with_peer(peer, |p| p.state.deadline(&self.rules.params))
            .flatten()
    }

    /// When the peer's phi reaches the threshold of `level` (an index into
    /// [`thresholds`](Self::thresholds)), or `None` if the peer is unknown,
    /// the level does not exist, or phi stays below it up to
    /// [`Timestamp::MAX`] included.
    pub fn level_deadline<Q>(&self, peer: &Q, level: usize) -> Option<Timestamp>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        let y = self.rules.levels.get(level)?.y;
        self.with_peer(peer, |p| p.state.deadline_at(&self.rules.params, y))
            .flatten()
    }

    /// The number of thresholds the peer has been announced suspected at
    /// (by events), or `None` if it is unknown.
    pub fn level<Q>(&self, peer: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.with_peer(peer, |p| usize::from(p.level))
    }

    /// The peer's window statistics and last heartbeat, or `None` if it is
    /// unknown. A watched peer that never sent a heartbeat shows the
    /// bootstrap statistics and no last heartbeat.
    pub fn stats<Q>(&self, peer: &Q) -> Option<Stats>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.with_peer(peer, Peer::stats)
    }

    /// Every peer with its phi at `now`. Locks one shard at a time, so the
    /// list is consistent per shard, not across shards.
    pub fn peers(&self, now: impl Into<Timestamp>) -> Vec<PeerPhi<K>> {
        self.collect(now.into(), false)
    }

    /// Every peer with its phi at `now`, in increasing order of peer id:
    /// the listing an exporter or a status page wants, stable from one
    /// call to the next. The sort (O(n log n), on top of the
    /// [`peers`](Self::peers) sweep) runs after every shard lock is
    /// released; callers that do not need an order should call `peers`,
    /// which returns them in hash order and does not pay for it.
    pub fn peers_sorted(&self, now: impl Into<Timestamp>) -> Vec<PeerPhi<K>>
    where
        K: Ord,
    {
        let mut peers = self.peers(now);
        // Ids are unique, so an unstable sort gives the one order.
        peers.sort_unstable_by(|a, b| a.peer.cmp(&b.peer));
        peers
    }

    /// The peers whose phi at `now` is at or above the configured threshold.
    pub fn suspects(&self, now: impl Into<Timestamp>) -> Vec<PeerPhi<K>> {
        self.collect(now.into(), true)
    }

    fn collect(&self, now: Timestamp, suspects_only: bool) -> Vec<PeerPhi<K>> {
        /// Records asked for ahead of the one being computed: enough to
        /// cover a memory access with the work on the records before it.
        const AHEAD: usize = 16;
        let params = &self.rules.params;
        let threshold = params.config.threshold();
        let mut out = Vec::new();
        for cell in self.shards.iter() {
            let shard = cell.0.lock();
            if !suspects_only {
                out.reserve(shard.len());
            }
            // The records are visited in table order, unrelated to where
            // they are in memory: each is a cache miss, so ask for the
            // record AHEAD places on before working on this one.
            let peers: Vec<&Peer<K>> = shard.peers().collect();
            for (i, p) in peers.iter().enumerate() {
                if let Some(next) = peers.get(i + AHEAD) {
                    prefetch(*next, Peer::<K>::SWEEP_BYTES);
                }
                let phi = p.state.phi(params, now);
                // phi and the threshold test agree exactly (the deadline
                // is calibrated against phi), so compare phi directly.
                let available = phi < threshold;
                if suspects_only && available {
                    continue;
                }
                // Read from the same record, under the same lock, as phi:
                // the last arrival sits in the part of the record a sweep
                // already reads.
                let silent_since = p.silent_since(&self.rules);
                let last_heartbeat = if p.never_heard {
                    None
                } else {
                    p.state.last_heartbeat()
                };
                out.push(PeerPhi {
                    peer: p.key.clone(),
                    phi,
                    available,
                    level: usize::from(p.level),
                    never_heard: p.never_heard,
                    silence: Duration::from_nanos(now.as_nanos().saturating_sub(silent_since)),
                    last_heartbeat,
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_carries_silence_and_last_heartbeat_and_sorts_by_id() {
        let monitor = Monitor::<String>::default();
        for (peer, beats) in [("b", &[0, 1_000][..]), ("a", &[0, 1_000, 2_000][..])] {
            for &ms in beats {
                monitor
                    .heartbeat(peer, Timestamp::from_millis(ms))
                    .expect("in order");
            }
        }
        monitor.watch("c", Timestamp::from_millis(500));
        let now = Timestamp::from_millis(2_500);
        let listed = monitor.peers_sorted(now);
        let ids: Vec<&str> = listed.iter().map(|p| p.peer.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        // a: last heartbeat at 2 000 ms, silent 2 500 − 2 000 = 500 ms.
        assert_eq!(
            listed[0].last_heartbeat,
            Some(Timestamp::from_millis(2_000))
        );
        assert_eq!(listed[0].silence, Duration::from_millis(500));
        // b: last heartbeat at 1 000 ms, silent 1 500 ms.
        assert_eq!(
            listed[1].last_heartbeat,
            Some(Timestamp::from_millis(1_000))
        );
        assert_eq!(listed[1].silence, Duration::from_millis(1_500));
        // c: watched at 500 ms, never heard: no heartbeat, silent 2 000 ms.
        assert_eq!(listed[2].last_heartbeat, None);
        assert!(listed[2].never_heard);
        assert_eq!(listed[2].silence, Duration::from_millis(2_000));
        for p in &listed {
            assert_eq!(monitor.phi(&p.peer, now), Some(p.phi));
        }
        // The unsorted listing has the same entries.
        let mut unsorted = monitor.peers(now);
        unsorted.sort_by(|x, y| x.peer.cmp(&y.peer));
        assert_eq!(unsorted, listed);
    }

    #[test]
    fn silence_is_zero_before_the_last_heartbeat() {
        let monitor = Monitor::<u64>::default();
        monitor
            .heartbeat(&7, Timestamp::from_millis(1_000))
            .expect("first");
        let listed = monitor.peers(Timestamp::from_millis(400));
        assert_eq!(listed[0].silence, Duration::ZERO);
        assert_eq!(
            listed[0].last_heartbeat,
            Some(Timestamp::from_millis(1_000))
        );
    }
}
