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

/// One peer's suspicion at a given time, as listed by [`Monitor::peers`]
/// and [`Monitor::suspects`].
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
    /// arrives, or `None` if the peer is unknown. Agrees with
    /// [`is_available`](Self::is_available) to the nanosecond.
    pub fn suspicion_deadline<Q>(&self, peer: &Q) -> Option<Timestamp>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.with_peer(peer, |p| p.state.deadline(&self.rules.params))
            .flatten()
    }

    /// When the peer's phi reaches the threshold of `level` (an index into
    /// [`thresholds`](Self::thresholds)), or `None` if the peer is unknown
    /// or the level does not exist.
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
                out.push(PeerPhi {
                    peer: p.key.clone(),
                    phi,
                    available,
                    level: usize::from(p.level),
                    never_heard: p.never_heard,
                });
            }
        }
        out
    }
}
