//! Building a [`Monitor`]: the settings, their defaults, and why a set of
//! settings is refused ([`MonitorError`]).
//!
//! `build` checks everything once (each threshold against the model, their
//! count and order, the shard count) and derives what the hot paths use:
//! each threshold in the model's standardised units, the cheap bound for
//! the first one, and the shards with their queues.

use super::event::Subscribers;
use super::guard::{PauseGuard, TickState};
use super::schedule::NEVER;
use super::shard::{Level, Rules, Shard};
use super::{Monitor, ShardCell, DEFAULT_SHARDS, MAX_LEVELS, MAX_SHARDS};
use crate::config::{Config, ConfigError};
use crate::detector::{Params, Threshold};
use crate::time::duration_nanos;
use hashbrown::DefaultHashBuilder;
use parking_lot::Mutex;
use std::fmt;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

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
    guard: GuardChoice,
    shards: usize,
    capacity: usize,
    key: PhantomData<fn() -> K>,
}

/// The pause guard a builder will use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GuardChoice {
    /// [`PauseGuard::for_config`] of the configuration, decided in `build`
    /// so that it follows a `config` call made after any other setting.
    ForConfig,
    Set(PauseGuard),
    None,
}

impl<K> Default for MonitorBuilder<K> {
    fn default() -> Self {
        MonitorBuilder {
            config: Config::default(),
            thresholds: None,
            expected_response_after: None,
            guard: GuardChoice::ForConfig,
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
    /// heartbeat estimate (one heartbeat interval). A duration beyond the
    /// clock's range (2^64 ns, about 584 years) is that range: detection
    /// never starts, and [`Monitor::expected_response_after`] reports the
    /// range.
    pub fn expected_response_after(mut self, d: Duration) -> Self {
        self.expected_response_after = Some(d);
        self
    }

    /// The observer pause guard.
    ///
    /// Default: [`PauseGuard::for_config`] of the configuration, so the
    /// guard follows the heartbeat interval: for [`Config::default`] (1 s
    /// heartbeats, 3 s acceptable pause) a tick more than 1.5 s late is a
    /// stall and holds suspicions for 3 s; for
    /// `Config::for_interval(50 ms)`, 75 ms and 150 ms. A fixed default
    /// (Cassandra's 5 s, [`PauseGuard::default`]) would be too lax for short
    /// intervals, where a one-second stall of the observer would convict
    /// every peer at once, and needlessly jumpy for long ones, where a
    /// stall of a few seconds cannot make any peer look late. Ticks that come from
    /// timers armed on [`Monitor::next_check`] are never taken for stalls,
    /// whatever the guard (see [`PauseGuard`]); a caller that ticks
    /// periodically must tick more often than the guard's `max_pause`.
    pub fn pause_guard(mut self, guard: PauseGuard) -> Self {
        self.guard = GuardChoice::Set(guard);
        self
    }

    /// No observer pause guard: every due suspicion is announced at the
    /// next tick, however late it is.
    pub fn no_pause_guard(mut self) -> Self {
        self.guard = GuardChoice::None;
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
        let guard = match self.guard {
            GuardChoice::ForConfig => Some(PauseGuard::for_config(&params.config)),
            GuardChoice::Set(guard) => Some(guard),
            GuardChoice::None => None,
        };
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
            guard,
            shards: (0..self.shards)
                .map(|_| ShardCell(Mutex::new(Shard::with_capacity(per_shard, hasher.clone()))))
                .collect(),
            hasher,
            next_due: (0..self.shards).map(|_| AtomicU64::new(NEVER)).collect(),
            mask: self.shards - 1,
            ticks: Mutex::new(TickState::default()),
            last_tick_ns: AtomicU64::new(NEVER),
            promised_ns: AtomicU64::new(0),
            hold_until_ns: AtomicU64::new(0),
            events: Subscribers::default(),
        })
    }
}
