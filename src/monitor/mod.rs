//! Watching many peers at once: a thread-safe registry of detectors with
//! suspicion events.
//!
//! A node in a cluster watches every peer it talks to. Akka's
//! `FailureDetectorRegistry`, Hazelcast's cluster failure detector and
//! Cassandra's gossip failure detector all keep one detector per peer; a
//! [`Monitor`] does the same for any hashable, clonable peer id, and adds
//! what they leave to the caller:
//!
//! * **Thread-safe and sharded.** `Monitor<K>` is `Send + Sync`; share it
//!   with an `Arc` and feed heartbeats from every transport thread at once.
//!   Peers are spread over independently locked shards (64 by default), so
//!   there is no global lock on the heartbeat path. A transport that reads
//!   heartbeats in bursts can hand a whole burst to
//!   [`heartbeat_batch`](Monitor::heartbeat_batch), which locks each shard
//!   once and overlaps the records' cache misses.
//! * **Events without polling.** [`subscribe`](Monitor::subscribe) returns a
//!   channel of [`Event`]s: a peer became suspected (with its phi, its
//!   silence and the statistics that led there), recovered (and for how
//!   long it was down), was removed, or sent a worryingly late heartbeat.
//!   Transitions come from suspicion deadlines kept in per-shard queues, so
//!   [`tick`](Monitor::tick) costs time proportional to the peers whose
//!   deadline passed, not to all peers, and a heartbeat stays O(1).
//! * **Escalation.** Several thresholds can be registered (for instance
//!   "stop routing" at 3 and "declare dead" at 8, as the phi paper suggests);
//!   each has its own events.
//! * **Peers that never speak.** [`watch`](Monitor::watch) starts watching a
//!   peer before its first heartbeat; if none arrives it is suspected like
//!   any other. Peers the monitor has never heard of are reported as
//!   [`Availability::Unknown`] / `None`, never silently as alive or dead.
//! * **Observer pauses.** If the monitor's own ticks arrive late (the
//!   observing process was frozen), it does not convict every peer at once:
//!   see [`PauseGuard`].
//! * **Background ticking.** A [`Driver`] thread ticks the monitor on a
//!   [`Clock`] and stops when dropped; with the `tokio` feature, a
//!   `TokioDriver` task does the same on a tokio runtime, arming one timer
//!   on [`next_check`](Monitor::next_check).
//! * **Async.** With the `async` feature,
//!   `subscribe_stream` hands out the events as a `futures` `Stream`
//!   that a task awaits without blocking its runtime.
//! * **Snapshots** (feature `serde`): save every peer's window and restore
//!   it after a restart instead of relearning from the bootstrap estimate.
//!
//! ```
//! use accrual::monitor::{Event, Monitor};
//! use accrual::{Config, Timestamp};
//!
//! let monitor = Monitor::<String>::builder()
//!     .config(Config::default())
//!     .thresholds([3.0, 8.0]) // "stop routing", "declare dead"
//!     .build()?;
//! let events = monitor.subscribe();
//! for s in 0..10 {
//!     monitor.heartbeat("node-a", Timestamp::from_millis(s * 1_000))?;
//! }
//! assert!(monitor.phi("node-b", Timestamp::from_millis(9_000)).is_none()); // unknown
//!
//! // Time passes without heartbeats: tick (or let a `Driver` tick).
//! monitor.tick(Timestamp::from_millis(20_000));
//! let levels: Vec<usize> = events
//!     .try_iter()
//!     .filter_map(|e| match e {
//!         Event::Suspected(s) => Some(s.level),
//!         _ => None,
//!     })
//!     .collect();
//! assert_eq!(levels, [0, 1]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Semantics where other registries differ
//!
//! * **Unknown peers.** Akka's registry says an unknown resource is
//!   available (and not monitored); Hazelcast's says an unknown member is
//!   not alive. Here it is neither: [`Monitor::availability`] returns
//!   [`Availability::Unknown`], [`Monitor::phi`] `None`.
//! * **Lazy creation, removal, reset** behave as in Akka: the first
//!   heartbeat creates a detector, [`remove`](Monitor::remove) forgets one,
//!   and the next heartbeat of a removed peer starts a brand-new detector
//!   from the bootstrap estimate; [`reset`](Monitor::reset) forgets all.
//! * **Watching.** Akka's remote watcher triggers a first heartbeat when
//!   `expected-response-after` has passed without one. [`Monitor::watch`]
//!   does the same: failure detection of a silent watched peer starts
//!   [`expected_response_after`](MonitorBuilder::expected_response_after)
//!   after the watch, from the bootstrap estimate, so it is suspected at
//!   each level like a peer that sent one heartbeat then.
//! * **Time** is supplied by the caller everywhere (as for [`Detector`](crate::Detector)).
//!   A tick earlier than the previous tick is ignored (time never runs
//!   backwards inside the monitor); heartbeats follow the detector's rules
//!   (out of order: rejected, duplicate: ignored).
//! * **The pause guard is on by default**, scaled to the configuration
//!   ([`PauseGuard::for_config`]: for 1 s heartbeats, a tick more than
//!   1.5 s late holds suspicions for 3 s). A caller that ticks by hand must
//!   tick more often than its `max_pause`, or at the times
//!   [`next_check`](Monitor::next_check) gives, or set another
//!   [`PauseGuard`] (or [`no_pause_guard`](MonitorBuilder::no_pause_guard)).
//!
//! # Transitions
//!
//! A peer's *level* is the number of thresholds it has been announced
//! suspected at. A [`tick`](Monitor::tick) at `now` announces, in increasing
//! order, every level whose deadline is at or before `now`, each exactly
//! once. Only a real heartbeat lowers the level: it sends one
//! [`Event::Recovered`] per announced level, highest first, and the next
//! silence is judged from that heartbeat. If a level's deadline had passed
//! before a heartbeat but no tick had announced it yet, the heartbeat first
//! announces it (as a tick at its arrival would have), then the recovery, so
//! the event stream does not depend on how often ticks run. All events of
//! one peer are sent under its shard's lock, in transition order.

mod batch;
mod builder;
mod driver;
mod event;
mod guard;
mod query;
mod schedule;
mod sequence;
mod shard;
#[cfg(feature = "serde")]
mod snapshot;
#[cfg(feature = "async")]
mod stream;
#[cfg(feature = "tokio")]
mod tokio_driver;
mod transition;

/// The clocks a [`Driver`] ticks on, defined beside [`Timestamp`] in
/// [`crate::time`] and re-exported here where the driver needs them.
pub use crate::time::{Clock, ManualClock, SystemClock};
pub use builder::{MonitorBuilder, MonitorError};
/// The channel [`Monitor::subscribe`] hands out and its errors, from the
/// `crossbeam-channel` crate (0.5), re-exported so that a program can name
/// them (store a subscription in a struct, match a `recv_timeout` error)
/// without depending on that crate itself.
pub use crossbeam_channel::{Receiver, RecvError, RecvTimeoutError, TryRecvError};
pub use driver::Driver;
pub use event::PhiDisplay;
pub use event::{
    Dropped, DroppedEvents, Event, IntervalWarning, ObserverPause, Recovery, Removal, Suspicion,
};
pub use guard::PauseGuard;
pub use query::{Availability, PeerPhi};
#[cfg(feature = "serde")]
pub use snapshot::{Snapshot, SnapshotError, SNAPSHOT_VERSION};
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use stream::EventStream;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use tokio_driver::TokioDriver;

use crate::config::Config;
use crate::detector::{Arrival, HeartbeatError};
use crate::time::Timestamp;
use event::{ObserverPause as Pause, Subscribers};
use guard::{TickDecision, TickState};
use hashbrown::DefaultHashBuilder;
use parking_lot::Mutex;
use schedule::NEVER;
use shard::{Peer, Rules, Shard};
use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The most thresholds a monitor accepts.
pub const MAX_LEVELS: usize = 32;

/// The most shards a monitor accepts.
pub const MAX_SHARDS: usize = 4096;

/// The default number of shards: enough that two threads rarely meet on
/// one lock, few enough that a tick scans them in well under a microsecond.
pub const DEFAULT_SHARDS: usize = 64;

/// A thread-safe failure detector for many peers, keyed by `K`.
///
/// See the [module documentation](self) for an overview and an example.
/// Every method takes `&self`; share the monitor with an
/// [`Arc`](std::sync::Arc).
///
/// Lookups accept any borrowed form of the key (`&str` for `String` keys),
/// as `HashMap` does; the key is cloned (`to_owned`) once, when a peer is
/// first seen. (With `&'static str` keys, pass `&"name"` to
/// [`heartbeat`](Self::heartbeat) and [`watch`](Self::watch).)
pub struct Monitor<K> {
    rules: Rules,
    thresholds: Box<[f64]>,
    guard: Option<PauseGuard>,
    hasher: DefaultHashBuilder,
    shards: Box<[ShardCell<K>]>,
    /// Per shard, the earliest queued check (a lower bound on its next
    /// transition), readable without the shard's lock: a tick with nothing
    /// due reads these and nothing else.
    next_due: Box<[AtomicU64]>,
    /// Number of shards − 1 (a power of two minus one).
    mask: usize,
    ticks: Mutex<TickState>,
    /// Time of the last accepted tick, or [`NEVER`] before the first.
    last_tick_ns: AtomicU64,
    /// The latest check time handed out by [`Monitor::next_check`] (0
    /// before any): a caller that armed a timer on it is not late before
    /// it, however long ago the last tick was (see [`PauseGuard`]).
    promised_ns: AtomicU64,
    /// End of the pause guard's hold, or 0 when not holding.
    hold_until_ns: AtomicU64,
    events: Subscribers<K>,
}

/// A shard on its own cache lines, so that two threads working on
/// neighbouring shards do not contend for one line.
#[repr(align(128))]
struct ShardCell<K>(Mutex<Shard<K>>);

impl<K: Hash + Eq + Clone> Default for Monitor<K> {
    /// A monitor with [`Config::default`] and the default settings.
    fn default() -> Self {
        Monitor::new(Config::default())
    }
}

impl<K> fmt::Debug for Monitor<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monitor")
            .field("config", &self.rules.params.config)
            .field("thresholds", &self.thresholds)
            .field("guard", &self.guard)
            .field("shards", &self.shards.len())
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Clone> Monitor<K> {
    /// A monitor whose peers use `config`, with one threshold (the
    /// configuration's) and the default settings of [`MonitorBuilder`].
    pub fn new(config: Config) -> Self {
        let built = MonitorBuilder::default().config(config).build();
        // The configuration's own threshold was validated with it, and the
        // default shard count is a power of two: building cannot fail.
        match built {
            Ok(monitor) => monitor,
            Err(_) => unreachable!("default monitor settings are valid"),
        }
    }

    /// A builder with the default settings.
    pub fn builder() -> MonitorBuilder<K> {
        MonitorBuilder::default()
    }

    /// The detector configuration every peer uses.
    pub fn config(&self) -> &Config {
        &self.rules.params.config
    }

    /// The registered thresholds, increasing; events name them by index
    /// (their *level*).
    pub fn thresholds(&self) -> &[f64] {
        &self.thresholds
    }

    /// The observer pause guard, if any.
    pub fn pause_guard(&self) -> Option<PauseGuard> {
        self.guard
    }

    /// How long after [`watch`](Self::watch) failure detection starts for
    /// a peer that sent nothing.
    pub fn expected_response_after(&self) -> Duration {
        Duration::from_nanos(self.rules.expected_ns)
    }

    #[inline]
    fn shard_of(&self, hash: u64) -> usize {
        // Bits 40.. of the hash: hashbrown uses the low bits for the bucket
        // and the top seven for its tags, so the shard choice takes nothing
        // away from either.
        (hash >> 40) as usize & self.mask
    }

    #[inline]
    fn locate<Q: ?Sized + Hash>(&self, peer: &Q) -> (u64, usize) {
        let hash = self.hasher.hash_one(peer);
        (hash, self.shard_of(hash))
    }

    /// Runs `f` on the peer, under its shard's lock.
    fn with_peer<Q, R>(&self, peer: &Q, f: impl FnOnce(&Peer<K>) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        let (hash, s) = self.locate(peer);
        let shard = self.shards.get(s)?.0.lock();
        shard.get(hash, peer).map(f)
    }

    /// Records a heartbeat from `peer` that arrived at `at`, creating the
    /// peer's detector on first contact (from the bootstrap estimate).
    ///
    /// If the peer was suspected at some levels, one
    /// [`Event::Recovered`] per level is sent, highest first. If a level's
    /// deadline had passed before `at` but no tick announced it yet, its
    /// [`Event::Suspected`] is sent first (as the tick at `at` would have),
    /// unless the [`PauseGuard`] is holding. A long interval sends an
    /// [`Event::IntervalWarning`].
    ///
    /// O(1): a hash, one shard lock, the detector's O(1) update and, only
    /// when the peer's suspicion deadline moved earlier, one queue push.
    ///
    /// # Errors
    ///
    /// [`HeartbeatError::OutOfOrder`] if `at` is earlier than the peer's
    /// previous heartbeat; nothing changes then.
    #[inline]
    pub fn heartbeat<Q>(
        &self,
        peer: &Q,
        at: impl Into<Timestamp>,
    ) -> Result<Arrival, HeartbeatError>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq + ToOwned<Owned = K>,
    {
        self.heartbeat_numbered(peer, at.into(), None)
    }

    /// [`Monitor::heartbeat`] and [`Monitor::heartbeat_seq`]: the
    /// arrival, with the sender's number if it had one.
    #[inline(always)]
    pub(super) fn heartbeat_numbered<Q>(
        &self,
        peer: &Q,
        at: Timestamp,
        seq: Option<u64>,
    ) -> Result<Arrival, HeartbeatError>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq + ToOwned<Owned = K>,
    {
        let (hash, s) = self.locate(peer);
        let (Some(cell), Some(due)) = (self.shards.get(s), self.next_due.get(s)) else {
            unreachable!("the shard index is masked to the shard count")
        };
        let mut shard = cell.0.lock();
        let result = shard.heartbeat(&self.rules, &self.events, hash, peer, (at, seq), |t| {
            self.may_catch_up(t)
        });
        // A heartbeat only ever adds entries (pops are the tick's), so the
        // shard's earliest time can only have moved if it pushed.
        if shard.take_pushed() {
            due.store(shard.next_time(), Ordering::Release);
        }
        result
    }

    /// Whether a heartbeat at `t` may announce suspicions that no tick has
    /// announced yet: not while the pause guard holds, and not when ticks
    /// are overdue by more than the guard's pause (the observer may be
    /// waking from one, and the next tick will decide).
    fn may_catch_up(&self, t: u64) -> bool {
        if self.guard.is_none() {
            return true;
        }
        let hold = self.hold_until_ns.load(Ordering::Acquire);
        let last = self.last_tick_ns.load(Ordering::Acquire);
        let promised = self.promised_ns.load(Ordering::Acquire);
        guard::heartbeat_may_catch_up(
            self.guard.as_ref(),
            t,
            (hold != 0).then_some(hold),
            (last != NEVER).then_some(last.max(promised)),
        )
    }

    /// Starts watching `peer` before its first heartbeat (Akka's
    /// expected-response-after). If no heartbeat arrives, failure detection
    /// starts [`expected_response_after`](Self::expected_response_after)
    /// after `at`, from the bootstrap estimate, and the peer is suspected at
    /// each level like any other (events carry `never_heard: true`).
    ///
    /// Returns `false`, changing nothing, if the peer is already known.
    pub fn watch<Q>(&self, peer: &Q, at: impl Into<Timestamp>) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq + ToOwned<Owned = K>,
    {
        let (hash, s) = self.locate(peer);
        let (Some(cell), Some(due)) = (self.shards.get(s), self.next_due.get(s)) else {
            return false;
        };
        let mut shard = cell.0.lock();
        let added = shard.watch(&self.rules, hash, peer, at.into());
        due.store(shard.next_time(), Ordering::Release);
        added
    }

    /// Forgets `peer`; its next heartbeat starts a new detector from the
    /// bootstrap estimate (as in Akka). Sends [`Event::Removed`]. Returns
    /// whether the peer was known.
    pub fn remove<Q>(&self, peer: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        let (hash, s) = self.locate(peer);
        let Some(cell) = self.shards.get(s) else {
            return false;
        };
        let mut shard = cell.0.lock();
        match shard.remove(hash, peer) {
            Some(removed) => {
                if self.events.active() {
                    self.events.send(Event::Removed(Removal {
                        peer: removed.key,
                        level: usize::from(removed.level),
                    }));
                }
                true
            }
            None => false,
        }
    }

    /// Forgets every peer (Akka's `reset`). Sends one [`Event::Reset`]
    /// (not one `Removed` per peer). Subscriptions and the tick history are
    /// kept.
    pub fn reset(&self) {
        // All shard locks at once, in index order (nothing else ever holds
        // two shard locks, so this cannot deadlock), so the Reset event is
        // ordered after every event of the forgotten peers and before every
        // event of new ones.
        let mut shards: Vec<_> = self.shards.iter().map(|c| c.0.lock()).collect();
        if self.events.active() {
            self.events.send(Event::Reset);
        }
        for (shard, due) in shards.iter_mut().zip(self.next_due.iter()) {
            shard.clear();
            due.store(NEVER, Ordering::Release);
        }
    }

    /// Number of peers (heard from or watched).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|c| c.0.lock().len()).sum()
    }

    /// Whether no peer is known.
    pub fn is_empty(&self) -> bool {
        self.shards.iter().all(|c| c.0.lock().len() == 0)
    }

    /// A new subscription to every [`Event`] from now on (an unbounded
    /// channel: read it, or drop the receiver to unsubscribe; for a
    /// subscriber that may fall behind, [`subscribe_bounded`](Self::subscribe_bounded)
    /// caps it and counts what it drops). Its
    /// [`Receiver`] blocks a thread in `recv`: in async code, use
    /// `subscribe_stream` (feature `async`) instead.
    pub fn subscribe(&self) -> Receiver<Event<K>> {
        self.events.subscribe()
    }

    /// Advances the monitor's time to `now` and announces every suspicion
    /// whose deadline has passed. Returns the number of [`Event::Suspected`]
    /// transitions (counted even with no subscriber).
    ///
    /// Costs O(shards) atomic loads when nothing is due (well under a
    /// microsecond), plus O(k log n) for k due queue entries.
    ///
    /// * A tick earlier than the previous one is ignored (returns 0,
    ///   changes nothing): time never runs backwards inside the monitor.
    /// * With a [`PauseGuard`], a tick more than `max_pause` after both
    ///   the previous tick and the last [`next_check`](Self::next_check)
    ///   time sends one [`Event::ObserverPaused`] and holds new suspicions
    ///   for the grace period; the first tick after it announces those
    ///   still due.
    ///
    /// Ticks may come from any thread; they are serialised.
    pub fn tick(&self, now: impl Into<Timestamp>) -> usize {
        let now = now.into().as_nanos();
        let mut ticks = self.ticks.lock();
        let promised = self.promised_ns.load(Ordering::Acquire);
        match ticks.on_tick(now, self.guard.as_ref(), promised) {
            TickDecision::Backwards => return 0,
            TickDecision::Holding => {
                self.last_tick_ns.store(now, Ordering::Release);
                return 0;
            }
            TickDecision::Paused {
                previous,
                hold_until,
            } => {
                // Published before the event, so heartbeats that follow the
                // event already see the hold.
                self.hold_until_ns
                    .store(hold_until.max(1), Ordering::Release);
                self.last_tick_ns.store(now, Ordering::Release);
                if self.events.active() {
                    self.events.send(Event::ObserverPaused(Pause {
                        at: Timestamp::from_nanos(now),
                        previous_tick: Timestamp::from_nanos(previous),
                        gap: Duration::from_nanos(now - previous),
                        hold_until: Timestamp::from_nanos(hold_until),
                    }));
                }
                return 0;
            }
            TickDecision::Run => {
                self.hold_until_ns.store(0, Ordering::Release);
                self.last_tick_ns.store(now, Ordering::Release);
            }
        }
        self.events.prune();
        let mut announced = 0;
        for (cell, due) in self.shards.iter().zip(self.next_due.iter()) {
            if due.load(Ordering::Acquire) <= now {
                let mut shard = cell.0.lock();
                announced += shard.run_due(&self.rules, &self.events, now);
                due.store(shard.next_time(), Ordering::Release);
            }
        }
        drop(ticks);
        announced
    }

    /// The earliest time at which a [`tick`](Self::tick) may have something
    /// to do, or `None` if no peer has a pending deadline. It can be early
    /// (a heartbeat may have pushed the real deadline later), never late:
    /// a caller can arm one timer for it instead of ticking periodically.
    /// While the [`PauseGuard`] holds, it is no earlier than the hold's end.
    ///
    /// The time handed out is remembered: the pause guard does not take a
    /// tick at that time for a stall of the observer, however long ago the
    /// previous tick was (see [`PauseGuard`]). A heartbeat can move a
    /// deadline earlier than a timer already armed (a new peer, a link
    /// that sped up), so a caller should read this again after heartbeats,
    /// or also tick periodically (as the `tokio` feature's `TokioDriver`
    /// does).
    ///
    /// A deadline at the clock's last instant, [`Timestamp::MAX`] (about
    /// 584 years after its origin), shares its mark with "no deadline" in
    /// the schedule, so it is reported as `None`.
    pub fn next_check(&self) -> Option<Timestamp> {
        let earliest = self
            .next_due
            .iter()
            .map(|d| d.load(Ordering::Acquire))
            .min()
            .unwrap_or(NEVER);
        if earliest == NEVER {
            return None;
        }
        // 0 when not holding; nothing is announced before a hold ends.
        let check = earliest.max(self.hold_until_ns.load(Ordering::Acquire));
        self.promised_ns.fetch_max(check, Ordering::AcqRel);
        Some(Timestamp::from_nanos(check))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(t: u64) -> Timestamp {
        Timestamp::from_millis(t)
    }

    #[test]
    fn an_earlier_deadline_is_queued_at_once() {
        // A deadline that moves earlier after a heartbeat: bootstrap 1 s
        // then 10 ms heartbeats; the first-level deadline shrinks from ~5 s
        // to well under a second, and the queue must follow it down.
        let config = Config::builder()
            .acceptable_pause(Duration::from_millis(30))
            .min_std_deviation(Duration::from_millis(1))
            .max_sample_size(10)
            .build()
            .unwrap();
        let m = Monitor::<u32>::builder()
            .config(config)
            .no_pause_guard()
            .build()
            .unwrap();
        for i in 0..50 {
            m.heartbeat(&1, ms(i * 10)).unwrap();
        }
        let deadline = m.suspicion_deadline(&1).unwrap();
        assert!(deadline < ms(1_000), "{deadline}");
        let next = m.next_check().unwrap();
        assert!(next <= deadline, "{next} > {deadline}");
        assert_eq!(m.tick(deadline), 1);
    }

    #[test]
    fn stale_entries_are_bounded() {
        let m = Monitor::<u32>::builder().shards(1).build().unwrap();
        // Ever-shrinking intervals push an earlier entry at most heartbeats.
        let mut t = 0u64;
        let mut gap = 1_000_000_000u64;
        for _ in 0..2_000 {
            m.heartbeat(&7, Timestamp::from_nanos(t)).unwrap();
            t += gap;
            gap = (gap * 99 / 100).max(1_000_000);
        }
        let shard = m.shards[0].0.lock();
        assert!(
            shard_queue_len(&shard) <= 2 + 64,
            "{}",
            shard_queue_len(&shard)
        );
    }

    fn shard_queue_len<K: Hash + Eq + Clone>(shard: &Shard<K>) -> usize {
        shard.queue_len()
    }
}
