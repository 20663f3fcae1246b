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
//!   [`Clock`] and stops when dropped.
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
//! * **The pause guard is on by default** (Cassandra's 5 s, held 5 s): a
//!   caller that ticks by hand must tick more often than that, or set
//!   another [`PauseGuard`] (or [`no_pause_guard`](MonitorBuilder::no_pause_guard)).
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

mod driver;
mod event;
mod guard;
mod schedule;
mod shard;
#[cfg(feature = "serde")]
mod snapshot;
mod transition;

/// The clocks a [`Driver`] ticks on, defined beside [`Timestamp`] in
/// [`crate::time`] and re-exported here where the driver needs them.
pub use crate::time::{Clock, ManualClock, SystemClock};
pub use driver::Driver;
pub use event::{Event, IntervalWarning, ObserverPause, Recovery, Removal, Suspicion};
pub use guard::PauseGuard;
#[cfg(feature = "serde")]
pub use snapshot::{Snapshot, SnapshotError};

use crate::config::{Config, ConfigError};
use crate::detector::{Arrival, HeartbeatError, Params, Stats, Threshold};
use crate::prefetch::prefetch;
use crate::time::{duration_nanos, Timestamp};
use crossbeam_channel::Receiver;
use event::{ObserverPause as Pause, Subscribers};
use guard::{TickDecision, TickState};
use hashbrown::DefaultHashBuilder;
use parking_lot::Mutex;
use schedule::NEVER;
use shard::{Level, Peer, Rules, Shard};
use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;
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
    /// End of the pause guard's hold, or 0 when not holding.
    hold_until_ns: AtomicU64,
    events: Subscribers<K>,
}

/// A shard on its own cache lines, so that two threads working on
/// neighbouring shards do not contend for one line.
#[repr(align(128))]
struct ShardCell<K>(Mutex<Shard<K>>);

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

/// Why a [`MonitorBuilder`] refused its settings.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum MonitorError {
    /// A threshold that is not a valid phi threshold.
    Threshold(ConfigError),
    /// No threshold registered.
    NoThresholds,
    /// More than [`MAX_LEVELS`] thresholds.
    TooManyThresholds {
        /// The number given.
        count: usize,
    },
    /// The same threshold twice.
    DuplicateThreshold {
        /// The repeated value.
        phi: f64,
    },
    /// A shard count that is not a power of two in `1..=MAX_SHARDS`.
    Shards {
        /// The value given.
        value: usize,
    },
}

impl fmt::Display for MonitorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MonitorError::Threshold(e) => write!(f, "invalid monitor threshold: {e}"),
            MonitorError::NoThresholds => f.write_str("a monitor needs at least one threshold"),
            MonitorError::TooManyThresholds { count } => {
                write!(f, "{count} thresholds given, at most {MAX_LEVELS} allowed")
            }
            MonitorError::DuplicateThreshold { phi } => {
                write!(f, "threshold {phi} is registered twice")
            }
            MonitorError::Shards { value } => write!(
                f,
                "shard count must be a power of two between 1 and {MAX_SHARDS}, got {value}"
            ),
        }
    }
}

impl std::error::Error for MonitorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MonitorError::Threshold(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ConfigError> for MonitorError {
    fn from(e: ConfigError) -> Self {
        MonitorError::Threshold(e)
    }
}

/// Builds a [`Monitor`]; every setting has a default.
///
/// ```
/// use accrual::monitor::{Monitor, PauseGuard};
/// use accrual::Config;
/// use std::time::Duration;
///
/// let monitor = Monitor::<u64>::builder()
///     .config(Config::for_interval(Duration::from_millis(100))?)
///     .thresholds([3.0, 8.0])
///     .expected_response_after(Duration::from_millis(500))
///     .pause_guard(PauseGuard::new(Duration::from_secs(2), Duration::from_secs(2))?)
///     .capacity(10_000)
///     .build()?;
/// assert_eq!(monitor.thresholds(), &[3.0, 8.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct MonitorBuilder<K> {
    config: Config,
    thresholds: Option<Vec<f64>>,
    expected_response_after: Option<Duration>,
    guard: Option<PauseGuard>,
    shards: usize,
    capacity: usize,
    key: PhantomData<fn() -> K>,
}

impl<K> Default for MonitorBuilder<K> {
    fn default() -> Self {
        MonitorBuilder {
            config: Config::default(),
            thresholds: None,
            expected_response_after: None,
            guard: Some(PauseGuard::default()),
            shards: DEFAULT_SHARDS,
            capacity: 0,
            key: PhantomData,
        }
    }
}

impl<K> Clone for MonitorBuilder<K> {
    fn clone(&self) -> Self {
        MonitorBuilder {
            config: self.config.clone(),
            thresholds: self.thresholds.clone(),
            key: PhantomData,
            ..*self
        }
    }
}

impl<K> fmt::Debug for MonitorBuilder<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MonitorBuilder")
            .field("config", &self.config)
            .field("thresholds", &self.thresholds)
            .field("expected_response_after", &self.expected_response_after)
            .field("guard", &self.guard)
            .field("shards", &self.shards)
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl<K: Hash + Eq + Clone> MonitorBuilder<K> {
    /// A builder with the default settings (the same as [`Monitor::builder`]).
    pub fn new() -> Self {
        MonitorBuilder::default()
    }

    /// The detector configuration every peer uses (default
    /// [`Config::default`]). Its threshold decides
    /// [`Monitor::is_available`] and is the default single level.
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The phi thresholds that produce events, in any order (they are
    /// sorted). Default: the configuration's threshold alone.
    pub fn thresholds(mut self, thresholds: impl IntoIterator<Item = f64>) -> Self {
        self.thresholds = Some(thresholds.into_iter().collect());
        self
    }

    /// How long after [`Monitor::watch`] the failure detection of a peer
    /// that has not sent any heartbeat starts (Akka's
    /// `expected-response-after`). Default: the configuration's first
    /// heartbeat estimate (one heartbeat interval).
    pub fn expected_response_after(mut self, d: Duration) -> Self {
        self.expected_response_after = Some(d);
        self
    }

    /// The observer pause guard (default [`PauseGuard::default`]: 5 s, 5 s).
    pub fn pause_guard(mut self, guard: PauseGuard) -> Self {
        self.guard = Some(guard);
        self
    }

    /// No observer pause guard: every due suspicion is announced at the
    /// next tick, however late it is.
    pub fn no_pause_guard(mut self) -> Self {
        self.guard = None;
        self
    }

    /// The number of shards: a power of two up to [`MAX_SHARDS`] (default
    /// [`DEFAULT_SHARDS`]).
    pub fn shards(mut self, shards: usize) -> Self {
        self.shards = shards;
        self
    }

    /// The expected number of peers, reserved up front (default 0).
    pub fn capacity(mut self, peers: usize) -> Self {
        self.capacity = peers;
        self
    }

    /// Checks the settings and builds the monitor.
    ///
    /// # Errors
    ///
    /// [`MonitorError`] naming the bad setting.
    pub fn build(self) -> Result<Monitor<K>, MonitorError> {
        let params = Params::new(self.config);
        let model = params.model;
        let mut phis = self
            .thresholds
            .unwrap_or_else(|| vec![params.config.threshold()]);
        let mut levels = Vec::with_capacity(phis.len());
        for &phi in &phis {
            let threshold = Threshold::new(model, phi)?;
            levels.push(Level {
                phi,
                y: threshold.y,
            });
        }
        if phis.is_empty() {
            return Err(MonitorError::NoThresholds);
        }
        if phis.len() > MAX_LEVELS {
            return Err(MonitorError::TooManyThresholds { count: phis.len() });
        }
        // Valid thresholds are finite, so total_cmp is the usual order.
        phis.sort_by(f64::total_cmp);
        levels.sort_by(|a, b| a.phi.total_cmp(&b.phi));
        if let Some(w) = phis.windows(2).find(|w| w[0] == w[1]) {
            return Err(MonitorError::DuplicateThreshold { phi: w[0] });
        }
        if !self.shards.is_power_of_two() || self.shards > MAX_SHARDS {
            return Err(MonitorError::Shards { value: self.shards });
        }
        let expected = self
            .expected_response_after
            .unwrap_or_else(|| params.config.first_heartbeat_estimate());
        let quick0 = params.quick_bound(levels[0].y);
        let per_shard = self.capacity.div_ceil(self.shards);
        let hasher = DefaultHashBuilder::default();
        Ok(Monitor {
            rules: Rules {
                params,
                levels: levels.into_boxed_slice(),
                quick0,
                expected_ns: duration_nanos(expected),
            },
            thresholds: phis.into_boxed_slice(),
            guard: self.guard,
            shards: (0..self.shards)
                .map(|_| ShardCell(Mutex::new(Shard::with_capacity(per_shard, hasher.clone()))))
                .collect(),
            hasher,
            next_due: (0..self.shards).map(|_| AtomicU64::new(NEVER)).collect(),
            mask: self.shards - 1,
            ticks: Mutex::new(TickState::default()),
            last_tick_ns: AtomicU64::new(NEVER),
            hold_until_ns: AtomicU64::new(0),
            events: Subscribers::default(),
        })
    }
}

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
        let at = at.into();
        let (hash, s) = self.locate(peer);
        let (Some(cell), Some(due)) = (self.shards.get(s), self.next_due.get(s)) else {
            unreachable!("the shard index is masked to the shard count")
        };
        let mut shard = cell.0.lock();
        let result = shard.heartbeat(&self.rules, &self.events, hash, peer, at, |t| {
            self.may_catch_up(t)
        });
        // A heartbeat only ever adds entries (pops are the tick's), so the
        // shard's earliest time can only have moved if it pushed.
        if shard.take_pushed() {
            due.store(shard.next_time(), Ordering::Release);
        }
        result
    }

    /// Records many heartbeats at once, with the same effect as calling
    /// [`Monitor::heartbeat`] for each in order, and calls `result` with
    /// each one's position in `batch` and outcome.
    ///
    /// Meant for bursts (a transport that reads many datagrams per system
    /// call): the batch is grouped by shard (keeping the order of each
    /// peer's heartbeats), each shard is locked once for its group, and the
    /// records of a group are looked up in one pass before any is updated,
    /// so that their cache misses overlap instead of following one another.
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
                    let outcome =
                        shard.heartbeat(&self.rules, &self.events, hashed[i].0, peer, at, |t| {
                            self.may_catch_up(t)
                        });
                    result(i, outcome);
                }
            }
            if shard.take_pushed() {
                due.store(shard.next_time(), Ordering::Release);
            }
        }
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
        guard::heartbeat_may_catch_up(
            self.guard.as_ref(),
            t,
            (hold != 0).then_some(hold),
            (last != NEVER).then_some(last),
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
    /// channel: read it, or drop the receiver to unsubscribe).
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
    /// * With a [`PauseGuard`], a tick more than `max_pause` after the
    ///   previous one sends one [`Event::ObserverPaused`] and holds new
    ///   suspicions for the grace period; the first tick after it announces
    ///   those still due.
    ///
    /// Ticks may come from any thread; they are serialised.
    pub fn tick(&self, now: impl Into<Timestamp>) -> usize {
        let now = now.into().as_nanos();
        let mut ticks = self.ticks.lock();
        match ticks.on_tick(now, self.guard.as_ref()) {
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
    pub fn next_check(&self) -> Option<Timestamp> {
        let earliest = self
            .next_due
            .iter()
            .map(|d| d.load(Ordering::Acquire))
            .min()
            .unwrap_or(NEVER);
        (earliest != NEVER).then(|| Timestamp::from_nanos(earliest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::State;

    fn ms(t: u64) -> Timestamp {
        Timestamp::from_millis(t)
    }

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
