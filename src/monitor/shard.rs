//! One shard of the monitor: the per-peer records indexed by key, and the
//! shard's deadline queue.
//!
//! Everything here runs under the shard's lock, so a shard is plain
//! single-threaded code. Events are sent from here, under that lock, which
//! is what keeps each peer's events in transition order (see `event.rs` for
//! why that cannot deadlock).
//!
//! # Per-peer memory
//!
//! A peer costs its key, one detector [`State`] (the window's samples, 4
//! bytes each, live in their own allocation), the time of its live queue
//! entry, its level and a flag: no `Params`, no lock, no `Detector`. The
//! record is boxed and the index (a `hashbrown::HashTable`) holds the box,
//! so the key is stored once and an index bucket costs a pointer plus a
//! control byte.
//!
//! # Transitions
//!
//! The rules that turn heartbeats and due checks into level transitions are
//! pure functions in `transition.rs`; this file reads a record, asks them,
//! and applies the answer: it sends the events, stores the level and keeps
//! the queue.

use super::event::{Event, IntervalWarning, Recovery, Subscribers, Suspicion};
use super::schedule::{Entry, Schedule, NEVER};
use super::transition;
use crate::detector::{Arrival, HeartbeatError, Params, QuickBound, State, Stats};
use crate::prefetch::prefetch;
use crate::time::Timestamp;
use hashbrown::{DefaultHashBuilder, HashTable};
use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};
use std::time::Duration;

/// The monitor-wide, immutable settings a shard needs.
#[derive(Debug)]
pub(crate) struct Rules {
    /// The detector configuration and its derived constants, shared by all
    /// peers.
    pub(crate) params: Params,
    /// The registered thresholds, increasing.
    pub(crate) levels: Box<[Level]>,
    /// A cheap "surely before the level-0 deadline" test for the heartbeat
    /// path.
    pub(crate) quick0: QuickBound,
    /// How long after `watch` a silent peer's failure detection starts.
    pub(crate) expected_ns: u64,
}

/// One registered threshold.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Level {
    pub(crate) phi: f64,
    /// The threshold in the model's standardised units.
    pub(crate) y: f64,
}

/// What the monitor keeps for one peer.
///
/// Laid out in declaration order (`repr(C)`): what a sweep reads of a peer
/// (key, level, flag, then the start of its state) comes first, in
/// [`Peer::SWEEP_BYTES`], so that a sweep touches as few cache lines per
/// peer as it can, and can ask for them before it needs them.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct Peer<K> {
    pub(crate) key: K,
    /// Number of thresholds the peer has been announced suspected at.
    pub(crate) level: u8,
    /// Watched but never heard from. `state` then holds a *virtual* first
    /// heartbeat at watch time + expected response time, which is what
    /// makes such a peer suspected like any other.
    pub(crate) never_heard: bool,
    pub(crate) state: State,
    /// Time of this peer's live queue entry, or [`NEVER`]. At or before the
    /// deadline of level `level` whenever `level` < number of levels.
    pub(crate) queued: u64,
}

impl<K> Peer<K> {
    /// Bytes from the start of a record that a sweep reads (for the
    /// models without a history, and keys stored inline).
    pub(crate) const SWEEP_BYTES: usize = std::mem::offset_of!(Peer<K>, state) + State::QUERY_BYTES;

    /// A new record with a fresh, not yet monitoring detector state.
    ///
    /// The record is allocated *before* its window, so that in memory each
    /// record is directly followed by its samples, and records of peers
    /// created in sequence follow each other: heartbeats arriving in the
    /// order the peers joined then walk memory forwards, which the hardware
    /// prefetcher follows.
    pub(crate) fn boxed(key: K, params: &Params, never_heard: bool) -> Box<Peer<K>> {
        let mut peer = Box::new(Peer {
            key,
            state: State::placeholder(),
            queued: NEVER,
            level: 0,
            never_heard,
        });
        peer.state = State::new(params);
        peer
    }

    /// The deadline of level `j` for the current state, in nanoseconds, or
    /// `None` if phi does not reach it on the axis.
    #[inline]
    fn deadline(&self, rules: &Rules, j: usize) -> Option<u64> {
        let level = rules.levels.get(j)?;
        self.state
            .deadline_at(&rules.params, level.y)
            .map(Timestamp::as_nanos)
    }

    /// The deadline of the first level: the time the entry must not be later than.
    #[inline]
    pub(crate) fn first_deadline(&self, rules: &Rules) -> Option<u64> {
        self.deadline(rules, 0)
    }

    /// The time silences are measured from: the last heartbeat, or the
    /// watch time for a peer never heard from.
    pub(crate) fn silent_since(&self, rules: &Rules) -> u64 {
        let last = self.state.last_heartbeat().map_or(0, Timestamp::as_nanos);
        if self.never_heard {
            last.saturating_sub(rules.expected_ns)
        } else {
            last
        }
    }

    /// The window's statistics, without the virtual heartbeat of a peer
    /// never heard from.
    pub(crate) fn stats(&self) -> Stats {
        let mut stats = self.state.stats();
        if self.never_heard {
            stats.last_heartbeat = None;
        }
        stats
    }

    fn suspicion(&self, rules: &Rules, level: usize, now: u64, since: u64) -> Suspicion<K>
    where
        K: Clone,
    {
        Suspicion {
            peer: self.key.clone(),
            level,
            threshold: rules.levels.get(level).map_or(f64::NAN, |l| l.phi),
            phi: self.state.phi(&rules.params, Timestamp::from_nanos(now)),
            at: Timestamp::from_nanos(now),
            since: Timestamp::from_nanos(since),
            silence: Duration::from_nanos(now.saturating_sub(self.silent_since(rules))),
            stats: self.stats(),
            never_heard: self.never_heard,
        }
    }
}

/// One shard: the peers, indexed by key, and their deadline queue.
#[derive(Debug)]
pub(crate) struct Shard<K> {
    /// The peer records, each in its own allocation, found by key hash.
    ///
    /// Boxed for locality, not size: a record and its window are allocated
    /// together when the peer is first seen (see `Peer::boxed`), so peers
    /// that joined in sequence sit in sequence in memory, and heartbeats
    /// arriving in the same cyclic order (as periodic heartbeats do) walk
    /// memory forwards, which the hardware prefetcher follows. Records
    /// stored inline in per-shard vectors would be visited in as many
    /// interleaved streams as there are shards (`BENCHMARKS.md` has the
    /// comparison). The table holds only the pointer (8 bytes per bucket
    /// plus a control byte).
    index: HashTable<Box<Peer<K>>>,
    /// Deadline checks, naming peers by key hash (see `schedule.rs`).
    schedule: Schedule,
    /// Set by every push; lets the heartbeat path skip re-reading the queue
    /// top (for the monitor's lock-free `next_due`) when nothing was pushed.
    pushed: bool,
    /// The monitor's hasher (a copy): a queue entry names its peer by key
    /// hash, and telling a live entry from a stale one rehashes the key.
    hasher: DefaultHashBuilder,
}

impl<K: Hash + Eq + Clone> Shard<K> {
    pub(crate) fn with_capacity(capacity: usize, hasher: DefaultHashBuilder) -> Self {
        Shard {
            index: HashTable::with_capacity(capacity),
            schedule: Schedule::with_capacity(capacity),
            pushed: false,
            hasher,
        }
    }

    /// Number of peers.
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// The earliest queued check, or [`NEVER`].
    #[inline]
    pub(crate) fn next_time(&self) -> u64 {
        self.schedule.next_time()
    }

    /// Whether anything was pushed since the last call (only pushes can
    /// make the queue's earliest time earlier).
    #[inline]
    pub(crate) fn take_pushed(&mut self) -> bool {
        // Read before writing: the common answer (no push) stores nothing.
        if self.pushed {
            self.pushed = false;
            true
        } else {
            false
        }
    }

    /// Entries in the deadline queue, live and stale.
    #[cfg(test)]
    pub(crate) fn queue_len(&self) -> usize {
        self.schedule.len()
    }

    /// Every peer.
    pub(crate) fn peers(&self) -> impl Iterator<Item = &Peer<K>> {
        self.index.iter().map(|p| &**p)
    }

    /// The peer with this key.
    #[inline]
    pub(crate) fn get<Q>(&self, hash: u64, key: &Q) -> Option<&Peer<K>>
    where
        K: Borrow<Q>,
        Q: ?Sized + Eq,
    {
        self.index
            .find(hash, |p| p.key.borrow() == key)
            .map(|p| &**p)
    }

    /// Stores a new peer (whose key is not present) and queues its first
    /// deadline.
    pub(crate) fn insert(&mut self, rules: &Rules, hash: u64, mut peer: Box<Peer<K>>) {
        let first = peer.first_deadline(rules);
        peer.queued = first.unwrap_or(NEVER);
        let hasher = &self.hasher;
        self.index
            .insert_unique(hash, peer, |p| hasher.hash_one(&p.key));
        if let Some(first) = first {
            self.push(first, hash);
        }
    }

    /// Removes the peer with this key. Its queue entries go stale.
    pub(crate) fn remove<Q>(&mut self, hash: u64, key: &Q) -> Option<Peer<K>>
    where
        K: Borrow<Q>,
        Q: ?Sized + Eq,
    {
        let entry = self
            .index
            .find_entry(hash, |p| p.key.borrow() == key)
            .ok()?;
        let (peer, _) = entry.remove();
        Some(*peer)
    }

    /// Forgets every peer.
    pub(crate) fn clear(&mut self) {
        self.index.clear();
        self.schedule.clear();
    }

    /// Starts watching a peer that has not sent a heartbeat yet. Returns
    /// `false` (and changes nothing) if the peer is already known.
    pub(crate) fn watch<Q>(&mut self, rules: &Rules, hash: u64, key: &Q, at: Timestamp) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Eq + ToOwned<Owned = K>,
    {
        if self.get(hash, key).is_some() {
            return false;
        }
        // Akka's RemoteWatcher triggers a first heartbeat when the expected
        // response time has passed without one; here that virtual heartbeat
        // is recorded up front, so the peer's deadlines are the bootstrap
        // ones counted from watch time + expected response time.
        let mut peer = Peer::boxed(key.to_owned(), &rules.params, true);
        let virtual_first = at.saturating_add_nanos(rules.expected_ns);
        // A fresh state accepts any first heartbeat.
        let _ = peer.state.heartbeat(&rules.params, virtual_first);
        self.insert(rules, hash, peer);
        true
    }

    /// Asks the memory for the record with this key hash, if any, so that
    /// a heartbeat to it soon after does not wait for it. Found through the
    /// index's tags only, without reading any record (it may be another
    /// peer whose hash shares the tag, which costs a useless hint).
    #[inline]
    pub(crate) fn prefetch_record(&self, hash: u64) {
        if let Some(peer) = self.candidate(hash) {
            // What a heartbeat reads and writes: the key, the level and
            // the state up to the window's sums, then the queue time.
            prefetch(peer, Peer::<K>::SWEEP_BYTES);
            prefetch(&peer.queued, std::mem::size_of::<u64>());
        }
    }

    /// Records a heartbeat, creating the peer on first contact.
    ///
    /// `catch_up(t)` tells whether suspicions noticed only now (their
    /// deadline passed before `t` but no tick announced them) may be
    /// announced; the pause guard says no while it holds.
    #[inline]
    pub(crate) fn heartbeat<Q>(
        &mut self,
        rules: &Rules,
        events: &Subscribers<K>,
        hash: u64,
        key: &Q,
        (at, seq): (Timestamp, Option<u64>),
        catch_up: impl Fn(u64) -> bool,
    ) -> Result<Arrival, HeartbeatError>
    where
        K: Borrow<Q>,
        Q: ?Sized + Eq + ToOwned<Owned = K>,
    {
        let Some(peer) = self.index.find_mut(hash, |p| p.key.borrow() == key) else {
            return self.first_contact(rules, hash, key, at, seq);
        };
        let t = at.as_nanos();
        if let Some(seq) = seq {
            // A stale number changes nothing, not even a pending level.
            peer.state.check_seq(seq)?;
        }
        if !peer.never_heard
            && peer.state.last_heartbeat().is_some_and(|l| {
                t < l.as_nanos() || (t == l.as_nanos() && !peer.state.numbered_after(seq))
            })
        {
            // Duplicate or out of order: the detector says which, and
            // nothing else changes.
            return peer.state.arrive_numbered(&rules.params, at, seq);
        }
        if transition::needs_settling(usize::from(peer.level), peer.queued, t) && events.active() {
            settle(peer, rules, events, t, catch_up(t));
        }
        if peer.never_heard {
            // The first real heartbeat replaces the virtual one: a fresh
            // bootstrap from the real arrival.
            peer.state.forget();
            peer.never_heard = false;
        }
        let arrival = peer.state.arrive_numbered(&rules.params, at, seq)?;
        peer.level = 0;
        if arrival.is_warning() && events.active() {
            if let Some(interval) = arrival.interval() {
                events.send(Event::IntervalWarning(IntervalWarning {
                    peer: peer.key.clone(),
                    at,
                    interval,
                }));
            }
        }
        let earlier = transition::rearm_after_heartbeat(
            peer.queued,
            t,
            |queued| peer.state.surely_available(&rules.quick0, queued),
            || peer.first_deadline(rules),
        );
        if let Some(earlier) = earlier {
            peer.queued = earlier;
            self.push(earlier, hash);
        }
        Ok(arrival)
    }

    /// The first heartbeat of an unknown peer: a new detector, bootstrapped.
    #[cold]
    fn first_contact<Q>(
        &mut self,
        rules: &Rules,
        hash: u64,
        key: &Q,
        at: Timestamp,
        seq: Option<u64>,
    ) -> Result<Arrival, HeartbeatError>
    where
        K: Borrow<Q>,
        Q: ?Sized + Eq + ToOwned<Owned = K>,
    {
        let mut peer = Peer::boxed(key.to_owned(), &rules.params, false);
        let arrival = peer.state.arrive_numbered(&rules.params, at, seq)?;
        self.insert(rules, hash, peer);
        Ok(arrival)
    }

    #[inline]
    fn push(&mut self, time: u64, hash: u64) {
        self.pushed = true;
        self.schedule.push(time, hash);
        if self.schedule.needs_compaction(self.index.len()) {
            self.compact();
        }
    }

    /// Drops every stale entry. O(n).
    fn compact(&mut self) {
        let (index, hasher) = (&self.index, &self.hasher);
        self.schedule
            .compact(|e| find_live(index, hasher, e.time, e.hash).is_some());
    }

    /// Announces every level whose deadline is at or before `now` among the
    /// peers whose entries are due. Returns the number of new suspicions.
    /// O(k log n) for k due entries.
    pub(crate) fn run_due(&mut self, rules: &Rules, events: &Subscribers<K>, now: u64) -> usize {
        /// Due entries popped together, so that their records are asked
        /// for before the first is needed.
        const AHEAD: usize = 16;
        let mut announced = 0;
        let mut due = [Entry { time: 0, hash: 0 }; AHEAD];
        loop {
            // Entries queued while these are handled are all later than
            // `now` (a re-queued deadline is), so popping ahead changes
            // nothing but the timing.
            let mut popped = 0;
            while popped < AHEAD {
                let Some(entry) = self.schedule.pop_due(now) else {
                    break;
                };
                due[popped] = entry;
                popped += 1;
            }
            if popped == 0 {
                break;
            }
            for entry in &due[..popped] {
                self.prefetch_record(entry.hash);
            }
            for entry in &due[..popped] {
                announced += self.settle_due(rules, events, now, *entry);
            }
        }
        if self.schedule.needs_compaction(self.index.len()) {
            self.compact();
        }
        announced
    }

    /// Handles one due entry: announces the levels its peer has crossed by
    /// `now` and re-queues the peer's next deadline. Returns the number of
    /// new suspicions.
    fn settle_due(
        &mut self,
        rules: &Rules,
        events: &Subscribers<K>,
        now: u64,
        entry: Entry,
    ) -> usize {
        let hasher = &self.hasher;
        // Removed peers and superseded entries find no live peer.
        let Some(peer) = self.index.find_mut(entry.hash, |p| {
            p.queued == entry.time && hasher.hash_one(&p.key) == entry.hash
        }) else {
            return 0;
        };
        let due = transition::on_due(usize::from(peer.level), rules.levels.len(), now, |j| {
            peer.deadline(rules, j)
        });
        if events.active() {
            for j in due.suspect.clone() {
                let since = peer.deadline(rules, j).unwrap_or(NEVER);
                events.send(Event::Suspected(peer.suspicion(rules, j, now, since)));
            }
        }
        peer.queued = NEVER;
        if let Some(next) = due.next_check {
            peer.queued = next;
            self.schedule.push(next, entry.hash);
        }
        // At most MAX_LEVELS (32).
        peer.level = due.suspect.end as u8;
        due.suspect.len()
    }

    /// A record whose hash shares the index's tag with `hash`: the peer's
    /// if it is present, but possibly another one. Found without reading
    /// any record (no key comparison), so it can name a record to ask the
    /// memory for before it is needed.
    #[inline]
    fn candidate(&self, hash: u64) -> Option<&Peer<K>> {
        self.index.find(hash, |_| true).map(|p| &**p)
    }

    /// Inserts a restored peer (snapshot); `false` if the key is already present.
    #[cfg(feature = "serde")]
    pub(crate) fn insert_restored(&mut self, rules: &Rules, hash: u64, peer: Box<Peer<K>>) -> bool {
        if self.get(hash, &peer.key).is_some() {
            return false;
        }
        self.insert(rules, hash, peer);
        true
    }
}

/// The peer a queue entry `(time, hash)` is live for: the one with that
/// key hash whose live entry time is `time`. The key is rehashed to tell
/// apart peers whose hashes merely share the index's 7-bit tag.
fn find_live<'a, K: Hash>(
    index: &'a HashTable<Box<Peer<K>>>,
    hasher: &impl BuildHasher,
    time: u64,
    hash: u64,
) -> Option<&'a Peer<K>> {
    index
        .find(hash, |p| {
            p.queued == time && hasher.hash_one(&p.key) == hash
        })
        .map(|p| &**p)
}

/// Sends the events a heartbeat at `t` settles before it is applied (see
/// [`transition::on_heartbeat`]): the suspicions a tick at `t` would have
/// announced (unless `catch_up` is false), then the recoveries of every
/// announced level, highest first. Each event's `since` is its level's
/// deadline for the state before the heartbeat.
fn settle<K: Clone>(
    peer: &mut Peer<K>,
    rules: &Rules,
    events: &Subscribers<K>,
    t: u64,
    catch_up: bool,
) {
    let settled = transition::on_heartbeat(
        usize::from(peer.level),
        rules.levels.len(),
        t,
        catch_up,
        |j| peer.deadline(rules, j),
    );
    for j in settled.suspect {
        let since = peer.deadline(rules, j).unwrap_or(NEVER);
        events.send(Event::Suspected(peer.suspicion(rules, j, t, since)));
    }
    for j in settled.recover.rev() {
        let since = peer.deadline(rules, j).unwrap_or(NEVER);
        events.send(Event::Recovered(Recovery {
            peer: peer.key.clone(),
            level: j,
            threshold: rules.levels.get(j).map_or(f64::NAN, |l| l.phi),
            at: Timestamp::from_nanos(t),
            since: Timestamp::from_nanos(since),
            down_for: Duration::from_nanos(t.saturating_sub(since)),
        }));
    }
    peer.level = 0;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_peer_record_is_compact() {
        // The per-peer record (key, detector state, queue time, level,
        // flag) for a u64 key; the window's samples are allocated apart.
        // At most 120 bytes keeps it in glibc's 128-byte size class (8 bytes
        // of chunk header); 8 of them point to the history of the models
        // that keep one.
        let size = std::mem::size_of::<Peer<u64>>();
        assert!(size <= 120, "{size} bytes");
    }

    #[test]
    fn what_a_sweep_reads_is_at_the_front_of_the_record() {
        // Counted by hand from the declarations: key 8, level and flag 2 plus
        // 6 of padding; then the state's last arrival 8, cached fit 24, and
        // the window's count 4, head 4, Σx 8 and Σx² 16.
        assert_eq!(State::QUERY_BYTES, 64);
        // 80 bytes: two cache lines wherever the allocator puts the record
        // (glibc returns 16-byte aligned blocks: 48 + 80 = 128).
        assert_eq!(Peer::<u64>::SWEEP_BYTES, 80);
    }
}
