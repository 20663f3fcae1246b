//! The single-peer phi accrual failure detector.
//!
//! A [`Detector`] watches one peer. Feed it the arrival time of every
//! heartbeat with [`Detector::heartbeat`]; ask it how suspicious the current
//! silence is with [`Detector::phi`], whether the peer should still be
//! considered up with [`Detector::is_available`], or *when* it will stop
//! being considered up with [`Detector::suspicion_deadline`] (arm one timer
//! instead of polling).
//!
//! The rules, and where they come from:
//!
//! * **Bootstrap** (Akka): the first heartbeat seeds the window with
//!   `estimate − estimate/4` and `estimate + estimate/4`, so a peer that
//!   sends a single heartbeat and dies is still suspected. Before the first
//!   heartbeat phi is 0 and the peer is available but not monitored.
//! * **No stats poisoning** (Akka): an interval that ends a silence during
//!   which the peer was already unavailable is not recorded, though the
//!   arrival time still advances. One long outage would otherwise inflate
//!   the mean and blind the detector for the next thousand heartbeats.
//!   Unlike Akka, never two in a row: an outage ends with one late
//!   heartbeat, while a peer that is late at every heartbeat is alive on a
//!   slower rhythm than the window knows, and skipping every interval would
//!   freeze the window and suspect it forever (a tight margin or a
//!   bootstrap estimate above the real interval is enough). The second late
//!   interval in a row is therefore recorded
//!   ([`ArrivalKind::RecordedAfterSuspicion`]).
//! * **Bad input** (lessons from the Rust crates that panic or go blind): a
//!   heartbeat earlier than the previous one is rejected with
//!   [`HeartbeatError::OutOfOrder`] and changes nothing; a heartbeat at the
//!   same time as the previous one (a duplicate delivery) is ignored and
//!   reported as [`ArrivalKind::Duplicate`]; a query earlier than the last
//!   heartbeat gives phi 0.
//!
//! All operations are O(1) (O(log window) for the empirical model) and
//! allocation-free after construction. A heartbeat is O(1) amortised: once
//! a window of 64 samples or more is full, every (n/4)-th heartbeat also
//! sums the n/4 oldest samples (at most 4096) to renew the bound that lets
//! the others skip the square root (see `QuickBound::refresh`).

use crate::config::{Config, ConfigError};
use crate::model::history::History;
use crate::model::{Fit, FitParams, Model};
use crate::time::{duration_nanos, Timestamp};
use crate::window::{Window, MAX_INTERVAL_MICROS, MAX_SAMPLE_SIZE};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A phi accrual failure detector for one peer.
///
/// ```
/// use accrual::{Detector, Timestamp};
///
/// let mut detector = Detector::default(); // Akka's defaults: 1 s heartbeats
/// for s in 0..10 {
///     detector.heartbeat(Timestamp::from_millis(s * 1_000))?;
/// }
/// let last = Timestamp::from_millis(9_000);
/// assert!(detector.phi(Timestamp::from_millis(9_500)) < 1.0);
/// assert!(detector.is_available(Timestamp::from_millis(12_000)));
/// assert!(!detector.is_available(Timestamp::from_millis(20_000)));
/// // Phi stays finite and keeps growing, however long the silence.
/// assert!(detector.phi(Timestamp::from_millis(1_000_000_000)).is_finite());
///
/// // When will the peer be suspected if it stays silent?
/// let deadline = detector.suspicion_deadline().unwrap();
/// assert!(deadline > last && detector.phi(deadline) >= 8.0);
/// # Ok::<(), accrual::HeartbeatError>(())
/// ```
///
/// Live systems can pass [`std::time::Instant`]s directly:
///
/// ```
/// use accrual::Detector;
/// use std::time::Instant;
///
/// let mut detector = Detector::default();
/// detector.heartbeat(Instant::now())?;
/// assert!(detector.is_available(Instant::now()));
/// # Ok::<(), accrual::HeartbeatError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Detector {
    params: Params,
    state: State,
}

impl Default for Detector {
    /// A detector with [`Config::default`].
    fn default() -> Self {
        Detector::new(Config::default())
    }
}

impl Detector {
    /// A detector with the given configuration, not yet monitoring.
    ///
    /// Allocates the window (4 bytes per sample) once; nothing allocates
    /// afterwards.
    pub fn new(config: Config) -> Self {
        let params = Params::new(config);
        let state = State::new(&params);
        Detector { params, state }
    }

    /// A detector for a peer that sends a heartbeat every `interval`, with
    /// the settings of [`Config::for_interval`].
    ///
    /// # Errors
    ///
    /// [`ConfigError::ZeroDuration`] if `interval` is zero.
    pub fn for_interval(interval: Duration) -> Result<Self, ConfigError> {
        Ok(Detector::new(Config::for_interval(interval)?))
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.params.config
    }

    /// Records a heartbeat that arrived at `at`.
    ///
    /// # Errors
    ///
    /// [`HeartbeatError::OutOfOrder`] if `at` is earlier than the previous
    /// heartbeat. The detector is then left exactly as it was.
    #[inline]
    pub fn heartbeat(&mut self, at: impl Into<Timestamp>) -> Result<Arrival, HeartbeatError> {
        self.state.heartbeat(&self.params, at.into())
    }

    /// The suspicion level at `now`: 0 before the first heartbeat and for
    /// any `now` earlier than the last heartbeat; otherwise the model's phi
    /// for the silence since the last heartbeat. Never NaN, never infinite,
    /// never negative, and non-decreasing in `now`.
    #[inline]
    pub fn phi(&self, now: impl Into<Timestamp>) -> f64 {
        self.state.phi(&self.params, now.into())
    }

    /// Whether the peer is considered up at `now`: `phi(now) < threshold`.
    ///
    /// Always true before the first heartbeat. Equivalent to
    /// `now < suspicion_deadline()`.
    #[inline]
    pub fn is_available(&self, now: impl Into<Timestamp>) -> bool {
        self.state.is_available(&self.params, now.into())
    }

    /// Whether at least one heartbeat has been received since creation or
    /// the last [`reset`](Self::reset).
    pub fn is_monitoring(&self) -> bool {
        self.state.monitoring()
    }

    /// The time of the last accepted heartbeat.
    pub fn last_heartbeat(&self) -> Option<Timestamp> {
        self.state.last_heartbeat()
    }

    /// The first instant at which phi reaches the configured threshold if no
    /// further heartbeat arrives, or `None` before the first heartbeat.
    ///
    /// Consistent with [`phi`](Self::phi) to the nanosecond: phi one
    /// nanosecond earlier is below the threshold, phi at the deadline and
    /// later is at or above it. [`Timestamp::MAX`] means "not within the
    /// clock's range".
    #[inline]
    pub fn suspicion_deadline(&self) -> Option<Timestamp> {
        self.state.deadline(&self.params)
    }

    /// Like [`suspicion_deadline`](Self::suspicion_deadline), for another
    /// threshold (for instance an earlier "stop routing" level below the
    /// "declare dead" one).
    ///
    /// Prepare the threshold once with [`Detector::threshold`] (or
    /// [`Threshold::new`]); the deadline then costs a multiply and an add.
    pub fn deadline_for(&self, threshold: &Threshold) -> Option<Timestamp> {
        let y = if threshold.model == self.params.model {
            threshold.y
        } else {
            self.params.model.y_from_phi(threshold.phi)
        };
        self.state.deadline_at(&self.params, y)
    }

    /// Prepares a phi threshold for [`deadline_for`](Self::deadline_for)
    /// under this detector's model.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] if `phi` is not finite and above zero.
    pub fn threshold(&self, phi: f64) -> Result<Threshold, ConfigError> {
        Threshold::new(self.params.model, phi)
    }

    /// The window's statistics and the last arrival, to explain a suspicion.
    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    /// Forgets every heartbeat: back to "not monitoring", phi 0.
    pub fn reset(&mut self) {
        self.state = State::new(&self.params);
    }
}

/// What a heartbeat did to the detector: its [`ArrivalKind`], the interval
/// since the previous heartbeat and whether that interval was worryingly long.
///
/// A small `Copy` value; the interval is turned into a [`Duration`] only when
/// asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arrival {
    kind: ArrivalKind,
    warning: bool,
    /// Nanoseconds since the previous heartbeat; 0 for `First` and `Duplicate`.
    interval_ns: u64,
}

/// The four things a heartbeat can do to a detector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArrivalKind {
    /// The first heartbeat: monitoring starts and the window is seeded from
    /// the first heartbeat estimate.
    First,
    /// The interval since the previous heartbeat was added to the window.
    Recorded,
    /// The peer was already unavailable when this heartbeat arrived, so the
    /// interval was not recorded (it would skew the statistics); the arrival
    /// time was.
    AfterSuspicion,
    /// The peer was unavailable when this heartbeat arrived, and also when
    /// the previous one did: the second late interval in a row is recorded.
    /// One outage ends with one late heartbeat and is kept out of the
    /// window; a peer whose heartbeats have become slower for good is late
    /// every time, and learning every other interval lets the detector
    /// catch up instead of suspecting a live peer forever.
    RecordedAfterSuspicion,
    /// Same time as the previous heartbeat (a duplicate delivery): ignored.
    Duplicate,
}

impl Arrival {
    const fn new(kind: ArrivalKind, interval_ns: u64, warning: bool) -> Arrival {
        Arrival {
            kind,
            warning,
            interval_ns,
        }
    }

    /// What the heartbeat did.
    pub fn kind(&self) -> ArrivalKind {
        self.kind
    }

    /// The time since the previous heartbeat, if there was one and this
    /// heartbeat was not a duplicate.
    pub fn interval(&self) -> Option<Duration> {
        match self.kind {
            ArrivalKind::Recorded
            | ArrivalKind::AfterSuspicion
            | ArrivalKind::RecordedAfterSuspicion => Some(Duration::from_nanos(self.interval_ns)),
            ArrivalKind::First | ArrivalKind::Duplicate => None,
        }
    }

    /// Whether the interval was added to the window.
    pub fn is_recorded(&self) -> bool {
        matches!(
            self.kind,
            ArrivalKind::Recorded | ArrivalKind::RecordedAfterSuspicion
        )
    }

    /// Whether this heartbeat ends a period in which the peer was suspected.
    pub fn is_recovery(&self) -> bool {
        matches!(
            self.kind,
            ArrivalKind::AfterSuspicion | ArrivalKind::RecordedAfterSuspicion
        )
    }

    /// Whether a recorded interval reached
    /// [`Config::interval_warning_limit`]: heartbeats are growing late and
    /// the peer is getting close to being suspected.
    pub fn is_warning(&self) -> bool {
        self.warning
    }
}

/// A heartbeat the detector refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeartbeatError {
    /// The heartbeat is earlier than the previous one. Timestamps must come
    /// from one monotonic clock; this one was ignored.
    OutOfOrder {
        /// The previous heartbeat.
        last: Timestamp,
        /// The refused heartbeat.
        at: Timestamp,
    },
}

impl fmt::Display for HeartbeatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeartbeatError::OutOfOrder { last, at } => write!(
                f,
                "heartbeat at {at} is earlier than the previous one at {last}; it was ignored \
                 (timestamps must come from one monotonic clock)"
            ),
        }
    }
}

impl std::error::Error for HeartbeatError {}

/// Statistics of a detector's window, for logs and diagnostics.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Stats {
    /// Number of intervals in the window (including the two bootstrap ones
    /// until they are pushed out).
    pub samples: usize,
    /// Mean interval.
    pub mean: Duration,
    /// Population standard deviation of the intervals (before the floor).
    pub std_deviation: Duration,
    /// Time of the last accepted heartbeat.
    pub last_heartbeat: Option<Timestamp>,
}

/// A phi threshold converted once into a model's standardised units.
///
/// ```
/// use accrual::{Detector, Model, Threshold, Timestamp};
/// let mut d = Detector::default();
/// d.heartbeat(Timestamp::from_millis(0))?;
/// let stop_routing = Threshold::new(Model::Normal, 3.0)?;
/// let early = d.deadline_for(&stop_routing).unwrap();
/// assert!(early < d.suspicion_deadline().unwrap());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Threshold {
    phi: f64,
    model: Model,
    /// The smallest standardised silence whose phi reaches `phi`.
    pub(crate) y: f64,
}

impl Threshold {
    /// Prepares `phi` for `model`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::NotPositive`] or [`ConfigError::OutOfRange`] if `phi`
    /// is not finite, not above zero, or above [`crate::config::MAX_THRESHOLD`].
    pub fn new(model: Model, phi: f64) -> Result<Threshold, ConfigError> {
        // Reuse the configuration's validation so the rules cannot diverge.
        Config::builder().threshold(phi).build()?;
        Ok(Threshold {
            phi,
            model,
            y: model.y_from_phi(phi),
        })
    }

    /// The phi value.
    pub fn phi(&self) -> f64 {
        self.phi
    }

    /// The model it was prepared for.
    pub fn model(&self) -> Model {
        self.model
    }
}

/// Configuration plus the constants derived from it once.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Params {
    pub(crate) config: Config,
    pub(crate) model: Model,
    fit: FitParams,
    /// The configured threshold in the model's standardised units.
    y_threshold: f64,
    /// The two bootstrap intervals, in microseconds.
    seeds: [u32; 2],
    /// Recorded intervals at or above this many nanoseconds carry a warning.
    warn_ns: u64,
    /// A cheap sufficient test for availability on the heartbeat path.
    quick: QuickBound,
}

impl Params {
    pub(crate) fn new(config: Config) -> Params {
        let model = config.model();
        let estimate = micros_saturating(duration_nanos(config.first_heartbeat_estimate()));
        let warn_ns = config
            .interval_warning_limit()
            .map_or(u64::MAX, duration_nanos);
        Params {
            model,
            fit: config.fit_params(),
            y_threshold: model.y_from_phi(config.threshold()),
            // Akka's seeding, in integer arithmetic: est − est/4, est + est/4.
            seeds: [
                estimate - estimate / 4,
                estimate.saturating_add(estimate / 4),
            ],
            warn_ns,
            quick: QuickBound::new(
                model,
                &config.fit_params(),
                model.y_from_phi(config.threshold()),
                config.max_sample_size(),
            ),
            config,
        }
    }

    /// A [`QuickBound`] for another standardised threshold (a monitor's
    /// levels), sharing this configuration's pause and floor.
    pub(crate) fn quick_bound(&self, y_threshold: f64) -> QuickBound {
        QuickBound::new(
            self.model,
            &self.fit,
            y_threshold,
            self.config.max_sample_size(),
        )
    }
}

/// A test for "surely available" that needs no division, square root or
/// model evaluation, used on the heartbeat path.
///
/// With `n` samples, Σx and the exact variance numerator `D = n·Σx² − (Σx)²`
/// (microseconds), the location–scale deadline `L + y*·S` is compared after
/// multiplying through by `n`, and squaring where a standard deviation would
/// need a square root. The comparison is loosened by a relative 1e-9 plus
/// 4 ns, far more than the rounding of either side, so it never claims
/// availability that the exact, phi-calibrated deadline would deny; only
/// heartbeats within that sliver of the deadline (or past it) pay for the
/// exact test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct QuickBound {
    model: Model,
    /// The acceptable pause, in nanoseconds.
    pause_ns: f64,
    /// y*² · 10⁶ · (1 − 1e-9): turns `D` (µs²) into n²·σ² in ns², loosened.
    var_factor: f64,
    /// y* · min σ · (1 − 1e-9), in ns; −∞ when y* < 0, where the floor
    /// gives no bound.
    min_scaled: f64,
    /// y* · 10³ · (1 − 1e-9): turns Σx (µs) into n·y*·mean in ns, loosened.
    exp_factor: f64,
    /// False when y* < 0, where the variance bound does not hold.
    usable: bool,
    /// For [`QuickBound::horizon`]: y* · (1 − 1e-9), or 0 when y* < 0.
    y_shrunk: f64,
    /// y* · min σ · (1 − 1e-9), in ns, or 0 when y* < 0.
    y_min_std: f64,
    /// The pause less the absolute margin: 4 ns, plus half a nanosecond
    /// for the final rounding.
    offset_ns: f64,
    /// The largest horizon: [`HORIZON_MAX_NS`], or 0 when y* < 0 (where
    /// the bound does not hold, so there is no shortcut).
    cap_ns: f64,
    /// The number of samples in a full window.
    full_len: u32,
    /// 10³ / `full_len`: turns Σx (µs) into the mean in ns without a
    /// division once the window is full.
    unit_full: f64,
    /// `y_shrunk · unit_full`.
    y_unit_full: f64,
    /// 10⁶ · `y_shrunk`² / (m·n), with m = n − K the samples R of
    /// [`QuickBound::refresh`] (0 when R is empty): turns m·SSD(R) in µs²
    /// into (y*·σ_R)² in ns².
    retained_var_scale: f64,
    /// Σx's factor in [`QuickBound::amortized`]: `unit_full` (normal,
    /// Akka) or `y_unit_full` (exponential).
    amortized_unit: f64,
    /// How many recorded intervals a spread bound from
    /// [`QuickBound::refresh`] stays valid for, once the window is full:
    /// `K = n/4`, at most 4096, for the normal and Akka models with windows
    /// of 64 samples or more, unlimited for the exponential model (whose
    /// horizon needs only Σx), 0 otherwise (every push computes the exact
    /// horizon, or none for the models without a bound from the sums).
    budget_len: u16,
}

impl QuickBound {
    fn new(model: Model, fit: &FitParams, y_threshold: f64, capacity: usize) -> QuickBound {
        let full_len = capacity.clamp(1, MAX_SAMPLE_SIZE) as u32;
        let unit_full = 1e3 / f64::from(full_len);
        const SHRINK: f64 = 1.0 - 1e-9;
        let usable = y_threshold >= 0.0 && y_threshold.is_finite();
        let y_shrunk = if usable { y_threshold * SHRINK } else { 0.0 };
        let budget_len = match model {
            // A quarter of the window. Below 64 samples a refresh comes too
            // often to pay for itself (measured: 8.3 ns a heartbeat at 10
            // samples, against 5.9–6.6 ns with the exact horizon every push).
            Model::Normal | Model::Akka if full_len >= 64 => (full_len / 4).min(4096) as u16,
            Model::Exponential => u16::MAX,
            _ => 0,
        };
        QuickBound {
            model,
            pause_ns: fit.pause_ns,
            var_factor: y_threshold * y_threshold * 1e6 * SHRINK,
            min_scaled: if usable {
                y_threshold * fit.min_std_ns * SHRINK
            } else {
                f64::NEG_INFINITY
            },
            exp_factor: if usable {
                y_threshold * 1e3 * SHRINK
            } else {
                f64::NEG_INFINITY
            },
            usable,
            y_shrunk,
            y_min_std: y_shrunk * fit.min_std_ns,
            offset_ns: fit.pause_ns - (4.0 + 0.5),
            cap_ns: if usable { HORIZON_MAX_NS as f64 } else { 0.0 },
            full_len,
            unit_full,
            y_unit_full: y_shrunk * unit_full,
            amortized_unit: match model {
                Model::Exponential => y_shrunk * unit_full,
                _ => unit_full,
            },
            retained_var_scale: {
                let m = full_len - u32::from(budget_len).min(full_len);
                if m == 0 {
                    0.0
                } else {
                    1e6 * y_shrunk * y_shrunk / (f64::from(m) * f64::from(full_len))
                }
            },
            budget_len,
        }
    }

    /// A sure horizon for `window` (which must hold a sample): every silence
    /// shorter than the returned number of nanoseconds is surely before the
    /// exact deadline, so the peer is surely available.
    ///
    /// The deadline `L + y*·S` is computed directly from the window's exact
    /// sums, with the same 1e-9 relative and 4 ns absolute margins as
    /// [`QuickBound::surely_available`] (plus half a nanosecond for the
    /// final rounding), and capped at [`HORIZON_MAX_NS`], below 2^42 ns.
    /// Every term is non-negative, so there is no cancellation, and below
    /// the cap each term's rounding is under a hundredth of a nanosecond:
    /// the margins absorb the difference from the exact fit's own rounding.
    /// It costs a square root (and a division while the window fills), no
    /// search and no model evaluation; the heartbeat path computes it once
    /// per recorded interval, so that the next heartbeat is settled by one
    /// integer comparison.
    #[inline]
    fn horizon(&self, window: &Window) -> u64 {
        let n = window.len_u32();
        // 10³/n turns µs sums into ns per sample.
        let (unit, y_unit) = if n == self.full_len {
            (self.unit_full, self.y_unit_full)
        } else {
            let unit = 1e3 / f64::from(n);
            (unit, unit * self.y_shrunk)
        };
        // Σx < 2^56 (2^24 samples below 2^32 each), so the signed conversion is exact.
        let sum = window.sum_micros() as i64 as f64;
        // y*·max(S, min σ) = max(y*·S, y*·min σ) for y* ≥ 0; comparisons
        // rather than `f64::max`, which would add NaN handling.
        let spread = |s: f64| {
            if s > self.y_min_std {
                s
            } else {
                self.y_min_std
            }
        };
        let h = match self.model {
            Model::Normal | Model::Akka => {
                sum * unit + self.offset_ns + spread(window.variance_numerator().sqrt() * y_unit)
            }
            Model::Exponential => self.offset_ns + spread(sum * y_unit),
            // No bound from the sums: every heartbeat takes the exact test
            // until a query caches the exact deadline.
            _ => 0.0,
        };
        self.whole_ns(h)
    }

    /// A horizon in nanoseconds from its value `h` in floating point:
    /// clamped to `0..=cap_ns` and rounded to nearest (the half nanosecond
    /// in `offset_ns` makes nearest at most the bound).
    #[inline]
    fn whole_ns(&self, h: f64) -> u64 {
        // A NaN (not possible from a non-empty window) also gives 0.
        let h = if h > 0.0 { h } else { 0.0 };
        let h = if h < self.cap_ns { h } else { self.cap_ns };
        // 0 ≤ h < 2^52: adding 2^52 leaves the integer nearest to h in the
        // low mantissa bits, without the fix-ups of a saturating cast.
        const TWO_52: f64 = (1u64 << 52) as f64;
        (h + TWO_52).to_bits() - TWO_52.to_bits()
    }

    /// The sure horizon of a full `window` from its exact Σx and a `base`
    /// from [`QuickBound::refresh`]: `Σx · amortized_unit + base`, with no
    /// square root, no division and no branch on the model. This is the
    /// horizon of almost every heartbeat.
    #[inline]
    fn amortized(&self, window: &Window, base: f32) -> u64 {
        // Σx < 2^56, so the signed conversion is exact.
        let sum = window.sum_micros() as i64 as f64;
        self.whole_ns(sum * self.amortized_unit + f64::from(base))
    }

    /// The sure horizon of `window`, and a `base` for
    /// [`QuickBound::amortized`] with the number of recorded intervals it
    /// stays valid for (counting this one; 0 or 1: call again after the
    /// next one). Only for models with a budget (`budget_len > 0`). While the window fills, and always for windows under 64
    /// samples, the horizon is [`QuickBound::horizon`]'s and there is no
    /// base.
    ///
    /// For the normal and Akka models, the horizon is the mean plus the
    /// pause plus the spread term `y*·max(σ, min σ)`, and `base` holds the
    /// pause (less the margins) and a lower bound on the spread term that
    /// holds for the next `K` windows. The bound rests on two facts. While
    /// the window is full, the next `K` pushes evict its `K` oldest samples,
    /// so every window until then contains the other `m = n − K` samples, R.
    /// And adding samples to a set never lowers its sum of squared
    /// deviations (SSD): the SSD about any centre only grows with more
    /// terms, and the SSD is the least of those. So each of those windows
    /// has σ² = SSD/n ≥ SSD(R)/n, whatever arrives, and
    /// `y*·max(√(SSD(R)/n), min σ)` is at most its spread term. The mean is
    /// exact at each push (from Σx), so the horizon stays a sure one. SSD(R)
    /// is computed exactly in integers from the window's sums less those of
    /// the `K` oldest samples: O(K) work once per `K` heartbeats, at most
    /// 4096 samples at a time.
    ///
    /// For the exponential model the horizon is the pause plus
    /// `y*·max(mean, min σ)`; `base` drops the floor (`max(a, b) ≥ a`), so
    /// it never needs renewing.
    #[cold]
    #[inline(never)]
    fn refresh(&self, window: &Window) -> (u64, u16, f32) {
        let n = window.len_u32();
        if n != self.full_len || !self.usable {
            return (self.horizon(window), 0, 0.0);
        }
        let base = match self.model {
            Model::Normal | Model::Akka => {
                let k = u32::from(self.budget_len);
                let (sum_old, sum_sq_old) = window.oldest_sums(k as usize);
                let m = u64::from(n - k);
                let sum = window.sum_micros() - sum_old;
                let sum_sq = window.sum_sq_micros() - sum_sq_old;
                // m·SSD(R) = m·Σx² − (Σx)² over R: exact, never negative;
                // in u64 when it fits (the common case), else in u128.
                let d = match (u64::try_from(sum_sq), sum.checked_mul(sum)) {
                    (Ok(sum_sq), Some(square)) if m.checked_mul(sum_sq).is_some() => {
                        let d = m * sum_sq - square;
                        // Through i64 when below 2^63: one instruction.
                        if d >> 63 == 0 {
                            d as i64 as f64
                        } else {
                            d as f64
                        }
                    }
                    _ => (u128::from(m) * sum_sq - u128::from(sum) * u128::from(sum)) as f64,
                };
                // y*·√(SSD(R)/n) in ns = √(d · 10⁶·y*²/(m·n)).
                let s = (d * self.retained_var_scale).sqrt();
                self.offset_ns
                    + if s > self.y_min_std {
                        s
                    } else {
                        self.y_min_std
                    }
            }
            _ => self.offset_ns,
        };
        let base = f32_at_most(base);
        // R is part of this window too: the bound holds already.
        (self.amortized(window, base), self.budget_len, base)
    }

    #[inline]
    fn surely_available(&self, elapsed_ns: u64, window: &Window) -> bool {
        let n = window.len() as f64;
        // Through i64: one instruction instead of the unsigned conversion
        // sequence; silences beyond 292 years are clamped, which only makes
        // the test more cautious.
        let elapsed = elapsed_ns.min(i64::MAX as u64) as i64 as f64 + 4.0;
        // Σx < 2^56 (2^24 samples below 2^32 each), so the signed conversion is exact.
        let sum = window.sum_micros() as i64 as f64;
        let beyond_pause = n * (elapsed - self.pause_ns);
        match self.model {
            Model::Normal | Model::Akka => {
                // elapsed < mean + pause + y*·max(σ, min σ), times n:
                // excess = n·(elapsed − pause) − 10³·Σx < n·y*·max(σ, min σ).
                // The floor alone settles most heartbeats; the variance
                // (squared, to avoid the root) settles the rest.
                let excess = beyond_pause - 1e3 * sum;
                excess < self.min_scaled * n
                    || (excess * excess < self.var_factor * window.variance_numerator()
                        && self.usable)
            }
            // elapsed < pause + y*·max(mean, min σ), times n.
            Model::Exponential => {
                beyond_pause < self.exp_factor * sum || beyond_pause < self.min_scaled * n
            }
            // No cheap bound: the exact (cached) deadline decides.
            _ => false,
        }
    }
}

/// The per-peer state of a detector. Configuration lives in [`Params`] so a
/// multi-peer monitor can share one copy across all peers.
///
/// Kept small because a monitor stores one per peer: 96 bytes (plus the
/// window's samples, allocated apart). "Monitoring" is not a separate flag:
/// a monitoring state always holds at least one sample (the bootstrap seeds),
/// and a state that is not monitoring holds none.
///
/// Laid out in declaration order (`repr(C)`) so that what a phi query reads
/// (the last arrival, the cached fit, the window's sample count and, to
/// compute a fit, its sums) is contiguous: the first
/// [`State::QUERY_BYTES`] = 64 bytes.
#[derive(Clone, Debug)]
#[repr(C)]
pub(crate) struct State {
    /// Arrival time of the last accepted heartbeat, in nanoseconds; only
    /// meaningful while monitoring.
    last_ns: u64,
    /// The model's fit and the deadline for the current window, filled by
    /// the first query after a change.
    cache: FitCache,
    window: Window,
    /// What the model keeps beyond the window's sums; `None` for the models
    /// that need nothing more (normal, Akka, exponential).
    history: Option<Box<History>>,
    /// The last arrival ended a suspicion and its interval was not learnt:
    /// the next late interval will be (see
    /// [`ArrivalKind::RecordedAfterSuspicion`]).
    skipped_last: bool,
    /// Recorded intervals `horizon_base` stays valid for, counting the
    /// last one; 0 or 1 when it must be recomputed after the next (see
    /// [`QuickBound::refresh`]).
    budget: u16,
    /// The sure horizon less Σx's part, in nanoseconds, while `budget > 1`.
    horizon_base: f32,
}

/// Equality of what the detector knows; the cache is derived from it.
impl PartialEq for State {
    fn eq(&self, other: &Self) -> bool {
        // Equal windows give equal histories, except for the estimates that
        // depend on intervals already evicted.
        let estimates = |s: &State| s.history.as_ref().and_then(|h| h.estimates());
        self.window == other.window
            && self.monitoring() == other.monitoring()
            && (!self.monitoring() || self.last_ns == other.last_ns)
            && estimates(self) == estimates(other)
            && self.skipped_last == other.skipped_last
    }
}

/// Sign bit of an `f64`'s bits.
const SIGN: u64 = 1 << 63;

/// The fit and deadline of the current window, computed once per change.
///
/// Heartbeats do not compute them: the heartbeat path only needs a sure
/// horizon (a lower bound on the deadline, [`QuickBound::horizon`], kept in
/// the deadline's field while the deadline is not cached), and keeping the
/// fit current on every heartbeat would add a second division and the
/// deadline search each time. The first
/// query after a heartbeat fills the cache; later queries read it. Queries
/// take `&self`, so the cache uses atomics (plain loads and stores on
/// common hardware) to keep the detector `Sync`: concurrent readers may fill
/// it at the same time, but they compute identical values from the same
/// unchanging window, so any interleaving leaves it correct (at worst a
/// value is computed twice).
///
/// 24 bytes, with the validity flags folded into the values: the fit is
/// valid when `location` is not NaN (a fit's location is always finite),
/// and the deadline is valid when the sign bit of `inv_scale` is set (a
/// fit's inverse scale is always positive). The scale itself is not stored:
/// it is `1 / inv_scale`, and [`State::fit`] normalises fresh fits the same
/// way so that cached and fresh fits give identical deadlines.
#[derive(Debug)]
#[repr(C)]
struct FitCache {
    /// Bits of the fit's location; NaN when the fit is not cached.
    location: AtomicU64,
    /// Bits of the fit's inverse scale; the sign bit is the deadline's
    /// validity flag.
    inv_scale: AtomicU64,
    /// The deadline when flagged; otherwise the *sure horizon*: a silence
    /// shorter than this many nanoseconds is surely before the deadline
    /// (0 when nothing is known, in particular while not monitoring). The
    /// heartbeat path needs nothing else, and a cached deadline is the best
    /// horizon there is, so both share the field.
    deadline_ns: AtomicU64,
}

impl Default for FitCache {
    fn default() -> Self {
        FitCache {
            location: AtomicU64::new(f64::NAN.to_bits()),
            inv_scale: AtomicU64::new(0),
            deadline_ns: AtomicU64::new(0),
        }
    }
}

impl FitCache {
    #[inline]
    fn fit(&self) -> Option<Fit> {
        let location = f64::from_bits(self.location.load(Ordering::Acquire));
        if location.is_nan() {
            return None;
        }
        let inv_scale = f64::from_bits(self.inv_scale.load(Ordering::Relaxed) & !SIGN);
        Some(Fit {
            location,
            inv_scale,
        })
    }

    #[inline]
    fn store_fit(&self, fit: &Fit) {
        self.inv_scale
            .store(fit.inv_scale.to_bits(), Ordering::Relaxed);
        self.location
            .store(fit.location.to_bits(), Ordering::Release);
    }

    #[inline]
    fn deadline(&self) -> Option<u64> {
        (self.inv_scale.load(Ordering::Acquire) & SIGN != 0)
            .then(|| self.deadline_ns.load(Ordering::Relaxed))
    }

    /// Caches the deadline; the fit must be cached already (the deadline
    /// flag lives in its inverse scale).
    #[inline]
    fn store_deadline(&self, deadline_ns: u64) {
        self.deadline_ns.store(deadline_ns, Ordering::Relaxed);
        // A plain load and store, not an atomic read-modify-write: a racing
        // reader writes the same bits, and a racing `store_fit` (which can
        // only rewrite the same inverse scale) at worst clears the flag, so
        // the deadline is recomputed once more.
        let bits = self.inv_scale.load(Ordering::Relaxed);
        self.inv_scale.store(bits | SIGN, Ordering::Release);
    }

    /// Forgets the cached values; `&mut` access needs no atomic operation.
    #[inline]
    fn invalidate(&mut self) {
        self.invalidate_to(0);
    }

    /// Forgets the cached values and keeps `horizon` as the sure horizon.
    #[inline]
    fn invalidate_to(&mut self, horizon: u64) {
        *self.location.get_mut() = f64::NAN.to_bits();
        *self.inv_scale.get_mut() = 0;
        *self.deadline_ns.get_mut() = horizon;
    }

    /// A silence shorter than this is surely before the deadline: the
    /// deadline itself when cached, else the sure horizon (0 if unknown).
    #[inline]
    fn horizon(&mut self) -> u64 {
        *self.deadline_ns.get_mut()
    }
}

impl Clone for FitCache {
    fn clone(&self) -> Self {
        let copy = FitCache::default();
        if let Some(fit) = self.fit() {
            copy.store_fit(&fit);
            if let Some(deadline) = self.deadline() {
                copy.store_deadline(deadline);
            }
        }
        copy
    }
}

impl State {
    /// Bytes from the start of a state that a phi query of the normal,
    /// Akka or exponential model may read (the other models also read
    /// their history).
    pub(crate) const QUERY_BYTES: usize = std::mem::offset_of!(State, window) + Window::QUERY_BYTES;

    pub(crate) fn new(params: &Params) -> State {
        let capacity = params.config.max_sample_size();
        State {
            window: Window::with_capacity(capacity),
            last_ns: 0,
            history: History::for_config(&params.config),
            skipped_last: false,
            budget: 0,
            horizon_base: 0.0,
            cache: FitCache::default(),
        }
    }

    /// A state without a window allocation, to be replaced before use. It
    /// lets a container be allocated *before* the window that goes in it
    /// (see the monitor's per-peer records).
    pub(crate) fn placeholder() -> State {
        State {
            window: Window::unallocated(),
            last_ns: 0,
            history: None,
            skipped_last: false,
            budget: 0,
            horizon_base: 0.0,
            cache: FitCache::default(),
        }
    }

    /// Whether a first heartbeat has been recorded: exactly when the window
    /// holds samples (the first heartbeat seeds it, only `forget` and a new
    /// state empty it).
    #[inline]
    pub(crate) fn monitoring(&self) -> bool {
        !self.window.is_empty()
    }

    /// Records a heartbeat at `at`.
    ///
    /// The common case is one comparison: a later arrival within the sure
    /// horizon (see [`FitCache`]) is recorded at once, and the horizon of
    /// the new window computed for the next heartbeat. Everything else (the
    /// first heartbeat, duplicates, out-of-order arrivals, and arrivals at
    /// or past the horizon, which need the exact availability test) is in
    /// [`State::heartbeat_slow`], out of line.
    #[inline(always)]
    pub(crate) fn heartbeat(
        &mut self,
        params: &Params,
        at: Timestamp,
    ) -> Result<Arrival, HeartbeatError> {
        let at_ns = at.as_nanos();
        // The horizon is 0 while not monitoring, so this also tests that.
        if at_ns > self.last_ns && at_ns - self.last_ns < self.cache.horizon() {
            let elapsed = at_ns - self.last_ns;
            self.last_ns = at_ns;
            // The horizon is at most `HORIZON_MAX_NS`: no saturation. (For a
            // model with a history the horizon is only ever the exact cached
            // deadline, and `push` keeps the history in step.)
            self.record(params, micros_below_horizon(elapsed));
            self.skipped_last = false;
            let warning = elapsed >= params.warn_ns;
            return Ok(Arrival::new(ArrivalKind::Recorded, elapsed, warning));
        }
        self.heartbeat_slow(params, at)
    }

    /// [`State::heartbeat`] for every arrival the sure horizon does not settle.
    #[cold]
    #[inline(never)]
    fn heartbeat_slow(
        &mut self,
        params: &Params,
        at: Timestamp,
    ) -> Result<Arrival, HeartbeatError> {
        let at_ns = at.as_nanos();
        if !self.monitoring() {
            self.clear();
            for seed in params.seeds {
                self.push(seed);
            }
            self.last_ns = at_ns;
            self.skipped_last = false;
            let horizon = self.fresh_horizon(params);
            self.cache.invalidate_to(horizon);
            return Ok(Arrival::new(ArrivalKind::First, 0, false));
        }
        if at_ns <= self.last_ns {
            return if at_ns == self.last_ns {
                Ok(Arrival::new(ArrivalKind::Duplicate, 0, false))
            } else {
                Err(HeartbeatError::OutOfOrder {
                    last: Timestamp::from_nanos(self.last_ns),
                    at,
                })
            };
        }
        let elapsed = at_ns - self.last_ns;
        self.last_ns = at_ns;
        // Available at arrival, judged on the state before this heartbeat:
        // exactly `phi(at) < threshold`, because the exact deadline is
        // calibrated against phi.
        let available = params.quick.surely_available(elapsed, &self.window)
            || self.below_threshold(params, elapsed);
        if available || self.skipped_last {
            self.record(params, micros_saturating(elapsed));
            self.skipped_last = false;
            let warning = elapsed >= params.warn_ns;
            let kind = if available {
                ArrivalKind::Recorded
            } else {
                ArrivalKind::RecordedAfterSuspicion
            };
            Ok(Arrival::new(kind, elapsed, warning))
        } else {
            self.skipped_last = true;
            Ok(Arrival::new(ArrivalKind::AfterSuspicion, elapsed, false))
        }
    }

    /// Records one interval in the window and the model's history.
    #[inline]
    fn push(&mut self, micros: u32) {
        if let Some(history) = &mut self.history {
            history.before_push(&self.window, micros);
        }
        self.window.push(micros);
    }

    /// Records one interval, forgets the cached fit and deadline, and sets
    /// the sure horizon of the new window: from Σx and `horizon_base` while
    /// that is valid (no square root, and the window is known to be full),
    /// else recomputed (see [`State::fresh_horizon`]). Every push is made
    /// here, except the bootstrap seeds and a replay's, which reset
    /// `budget` themselves.
    #[inline(always)]
    fn record(&mut self, params: &Params, micros: u32) {
        let horizon = if self.budget > 1 {
            // Only a full window of a model without a history has a budget
            // (see `QuickBound::refresh`).
            self.budget -= 1;
            self.window.push_full(micros);
            params.quick.amortized(&self.window, self.horizon_base)
        } else {
            self.push(micros);
            self.fresh_horizon(params)
        };
        self.cache.invalidate_to(horizon);
    }

    /// The sure horizon of the current window computed afresh, with a new
    /// `horizon_base` and budget where the model and window have one.
    #[inline]
    fn fresh_horizon(&mut self, params: &Params) -> u64 {
        if params.quick.budget_len == 0 {
            return params.quick.horizon(&self.window);
        }
        let (horizon, budget, base) = params.quick.refresh(&self.window);
        self.budget = budget;
        self.horizon_base = base;
        horizon
    }

    /// Empties the window and the model's history.
    fn clear(&mut self) {
        self.skipped_last = false;
        self.budget = 0;
        self.window.clear();
        if let Some(history) = &mut self.history {
            history.clear();
        }
    }

    #[inline]
    pub(crate) fn fit(&self, params: &Params) -> Fit {
        match self.cache.fit() {
            Some(fit) => fit,
            None => {
                let fit = params
                    .model
                    .fit(&self.window, self.history.as_deref(), &params.fit);
                self.cache.store_fit(&fit);
                fit
            }
        }
    }

    /// Whether phi after a silence of `elapsed_ns` is below the configured
    /// threshold: `elapsed_ns` before the deadline, which the empirical
    /// model answers more cheaply with one phi evaluation than by finding
    /// the deadline.
    #[inline]
    fn below_threshold(&self, params: &Params, elapsed_ns: u64) -> bool {
        match params.model {
            Model::Empirical => self.phi_after(params, elapsed_ns) < params.config.threshold(),
            _ => elapsed_ns < self.deadline_ns(params),
        }
    }

    /// Silence at which phi reaches the configured threshold.
    #[inline]
    fn deadline_ns(&self, params: &Params) -> u64 {
        match self.cache.deadline() {
            Some(d) => d,
            None => {
                let d = self.elapsed_at(params, &self.fit(params), params.y_threshold);
                self.cache.store_deadline(d);
                d
            }
        }
    }

    #[inline]
    pub(crate) fn phi(&self, params: &Params, now: Timestamp) -> f64 {
        let now_ns = now.as_nanos();
        if !self.monitoring() || now_ns < self.last_ns {
            return 0.0;
        }
        self.phi_after(params, now_ns - self.last_ns)
    }

    /// Phi after a silence of `elapsed_ns` since the last heartbeat.
    #[inline]
    fn phi_after(&self, params: &Params, elapsed_ns: u64) -> f64 {
        params.model.phi(
            &self.fit(params),
            self.history.as_deref(),
            &params.fit,
            elapsed_ns,
        )
    }

    #[inline]
    pub(crate) fn is_available(&self, params: &Params, now: Timestamp) -> bool {
        let now_ns = now.as_nanos();
        if !self.monitoring() || now_ns < self.last_ns {
            return true;
        }
        now_ns - self.last_ns < self.deadline_ns(params)
    }

    #[inline]
    pub(crate) fn deadline(&self, params: &Params) -> Option<Timestamp> {
        self.monitoring().then(|| {
            Timestamp::from_nanos(self.last_ns).saturating_add_nanos(self.deadline_ns(params))
        })
    }

    pub(crate) fn deadline_at(&self, params: &Params, y_threshold: f64) -> Option<Timestamp> {
        self.monitoring().then(|| {
            Timestamp::from_nanos(self.last_ns).saturating_add_nanos(self.elapsed_at(
                params,
                &self.fit(params),
                y_threshold,
            ))
        })
    }

    /// The shortest silence at which the model's standardised threshold
    /// `y_threshold` is reached, given this state's `fit`.
    #[inline]
    pub(crate) fn elapsed_at(&self, params: &Params, fit: &Fit, y_threshold: f64) -> u64 {
        params
            .model
            .elapsed_at(fit, self.history.as_deref(), &params.fit, y_threshold)
    }

    /// Reads a word from each cache line of the state a phi query reads
    /// (a record may straddle two), so that a caller can start the memory
    /// loads of many states before using any. The value means nothing.
    #[inline]
    pub(crate) fn touch(&self) -> u64 {
        // The first and the last of those fields (see the layout above).
        self.last_ns ^ self.window.len() as u64
    }

    /// [`State::touch`] for the window slot the next heartbeat writes.
    #[inline]
    pub(crate) fn touch_window(&self) -> u64 {
        u64::from(self.window.next_evicted().unwrap_or(0))
    }

    pub(crate) fn last_heartbeat(&self) -> Option<Timestamp> {
        self.monitoring()
            .then(|| Timestamp::from_nanos(self.last_ns))
    }

    /// Whether the peer is certainly still available at `now_ns` under the
    /// threshold `quick` was prepared for: `true` guarantees
    /// `now_ns < deadline_at(y)`; `false` means "maybe not, ask exactly".
    /// Costs a few multiplications, no division, square root or fit.
    #[inline]
    pub(crate) fn surely_available(&self, quick: &QuickBound, now_ns: u64) -> bool {
        if !self.monitoring() || now_ns < self.last_ns {
            return true;
        }
        quick.surely_available(now_ns - self.last_ns, &self.window)
    }

    /// Back to "not monitoring", keeping the window's allocation (the next
    /// heartbeat seeds it again).
    pub(crate) fn forget(&mut self) {
        self.clear();
        self.cache.invalidate();
    }

    /// The window, for snapshots.
    pub(crate) fn window(&self) -> &Window {
        &self.window
    }

    /// Whether the last arrival's interval was left out of the window (so
    /// the next one is learnt whatever its length), for snapshots and
    /// replays.
    pub(crate) fn skipped_last(&self) -> bool {
        self.skipped_last
    }

    /// The model's estimates that the window does not determine (Bertier's),
    /// for snapshots.
    pub(crate) fn estimates(&self) -> Option<[f64; 2]> {
        self.history.as_ref().and_then(|h| h.estimates())
    }

    /// Makes this state the one saved in a snapshot: the samples (oldest
    /// first, at most the window's capacity) and the last arrival. The
    /// running sums are recomputed from the samples, so every statistic,
    /// phi and deadline is exactly that of the state that was saved.
    #[cfg(feature = "serde")]
    pub(crate) fn restore(
        &mut self,
        samples: &[u32],
        estimates: Option<[f64; 2]>,
        skipped_last: bool,
        last: Timestamp,
    ) {
        self.clear();
        self.skipped_last = skipped_last;
        for &x in samples {
            self.push(x);
        }
        if let (Some(history), Some(estimates)) = (&mut self.history, estimates) {
            history.set_estimates(estimates);
        }
        self.last_ns = last.as_nanos();
        self.cache.invalidate();
    }

    pub(crate) fn stats(&self) -> Stats {
        let micros = |x: f64| Duration::from_nanos((x * 1e3).round() as u64);
        Stats {
            samples: self.window.len(),
            mean: micros(self.window.mean_micros()),
            std_deviation: micros(self.window.std_dev_micros()),
            last_heartbeat: self.last_heartbeat(),
        }
    }
}

/// Replay support: the recording decision made outside the state.
impl State {
    /// Feeds one arrival at `at_ns` like [`State::heartbeat`], except that
    /// the caller decides whether the interval is learnt. A sweep over many
    /// thresholds shares one state while their decisions agree, and knows
    /// each threshold's deadline already. Returns `false` (and changes
    /// nothing) for an arrival earlier than the last one.
    pub(crate) fn replay(&mut self, params: &Params, at_ns: u64, record: bool) -> bool {
        if !self.monitoring() {
            return self.heartbeat(params, Timestamp::from_nanos(at_ns)).is_ok();
        }
        if at_ns < self.last_ns {
            return false;
        }
        let elapsed = at_ns - self.last_ns;
        self.last_ns = at_ns;
        if elapsed > 0 {
            if record {
                self.push(micros_saturating(elapsed));
                self.budget = 0;
                self.cache.invalidate();
            }
            self.skipped_last = !record;
        }
        true
    }
}

/// An `f32` not above `x`, within 2^-21 of it relative (plus about 10^-30), for
/// finite `x` of magnitude below 10^30.
///
/// Without a branch on the rounding (which goes either way half the time):
/// `x` is first lowered by 2^-22 of its magnitude and 10^-30, more than the
/// half unit in the last place (at most 2^-24 of the magnitude, or 2^-150
/// among subnormals) by which rounding to nearest can raise it.
fn f32_at_most(x: f64) -> f32 {
    (x - x.abs() * (1.0 / (1u64 << 22) as f64) - 1e-30) as f32
}

/// Nanoseconds to whole microseconds, rounded to nearest, saturating at the
/// window's largest storable interval.
#[inline]
fn micros_saturating(nanos: u64) -> u32 {
    micros_below_horizon(nanos.min(HORIZON_MAX_NS))
}

/// The largest sure horizon: the longest interval that rounds to a storable
/// number of microseconds (71.6 minutes). Below it, intervals need no
/// saturation.
const HORIZON_MAX_NS: u64 = MAX_INTERVAL_MICROS as u64 * 1_000 + 499;

/// [`micros_saturating`] for `nanos <= HORIZON_MAX_NS` (larger values give
/// meaningless results): one multiplication instead of a division. With
/// `M = ⌈2^64 / 1000⌉ = 2^64/1000 + 0.384`, `(x·M) >> 64` is `⌊x / 1000⌋`
/// for every `x < 2^42`: the excess `0.384·x / 2^64` is below 2^-23, less
/// than the distance (at least 1/1000) from `x / 1000` up to the next integer.
#[inline]
fn micros_below_horizon(nanos: u64) -> u32 {
    const M: u128 = (1u128 << 64) / 1_000 + 1;
    ((u128::from(nanos + 500) * M) >> 64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::rng::Rng;

    fn ms(t: u64) -> Timestamp {
        Timestamp::from_millis(t)
    }

    /// The configuration of Akka's `PhiAccrualFailureDetectorSpec`
    /// (`createFailureDetector` defaults): threshold 8, 1000 samples,
    /// min σ 10 ms, no acceptable pause, first estimate 1 s.
    fn akka_spec(threshold: f64, pause: Duration) -> Detector {
        Detector::new(
            Config::builder()
                .model(Model::Akka)
                .threshold(threshold)
                .min_std_deviation(Duration::from_millis(10))
                .acceptable_pause(pause)
                .build()
                .unwrap(),
        )
    }

    fn feed(d: &mut Detector, times_ms: &[u64]) {
        for &t in times_ms {
            d.heartbeat(ms(t)).unwrap();
        }
    }

    #[test]
    fn before_any_heartbeat_phi_is_zero_and_the_peer_is_available() {
        let d = Detector::default();
        assert_eq!(d.phi(ms(1_000_000)), 0.0);
        assert!(d.is_available(ms(1_000_000)));
        assert!(!d.is_monitoring());
        assert_eq!(d.suspicion_deadline(), None);
        assert_eq!(d.last_heartbeat(), None);
    }

    #[test]
    fn first_heartbeat_seeds_the_window_from_the_estimate() {
        let mut d = Detector::default();
        assert_eq!(d.heartbeat(ms(5)).unwrap().kind(), ArrivalKind::First);
        assert!(d.is_monitoring());
        let s = d.stats();
        // Seeds 750 ms and 1250 ms: mean 1000 ms, population σ 250 ms.
        assert_eq!(s.samples, 2);
        assert_eq!(s.mean, Duration::from_millis(1000));
        assert_eq!(s.std_deviation, Duration::from_millis(250));
        assert_eq!(s.last_heartbeat, Some(ms(5)));
    }

    #[test]
    fn akka_phi_based_on_the_guess_after_one_heartbeat() {
        // Akka spec "return phi based on guess when only one heartbeat":
        // phi 1 s after the heartbeat is 0.3 ± 0.2, after 2 s 4.5 ± 0.3,
        // after 3 s above 15.
        let mut d = akka_spec(8.0, Duration::ZERO);
        d.heartbeat(ms(0)).unwrap();
        assert!((d.phi(ms(1000)) - 0.3).abs() < 0.2);
        assert!((d.phi(ms(2000)) - 4.5).abs() < 0.3);
        assert!(d.phi(ms(3000)) > 15.0);
    }

    #[test]
    fn akka_realistic_phi_values() {
        // Akka spec "return realistic phi values": with mean 1000 ms and
        // σ 100 ms, phi at 0/500/1000/1200/1400/1600/1700 ms is
        // 0.0/0.1/0.3/1.6/4.7/10.8/15.3 (± 0.1). A window of alternating
        // 900/1100 ms intervals has exactly that mean and σ.
        let mut d = Detector::new(
            Config::builder()
                .model(Model::Akka)
                .threshold(100.0)
                .max_sample_size(2)
                .min_std_deviation(Duration::from_millis(1))
                .acceptable_pause(Duration::ZERO)
                .build()
                .unwrap(),
        );
        feed(&mut d, &[0, 900, 2000]);
        let s = d.stats();
        assert_eq!(
            (s.mean, s.std_deviation),
            (Duration::from_millis(1000), Duration::from_millis(100))
        );
        for (elapsed, expected) in [
            (0, 0.0),
            (500, 0.1),
            (1000, 0.3),
            (1200, 1.6),
            (1400, 4.7),
            (1600, 10.8),
            (1700, 15.3),
        ] {
            let phi = d.phi(ms(2000 + elapsed));
            assert!((phi - expected).abs() < 0.1, "at +{elapsed} ms: {phi}");
        }
    }

    #[test]
    fn akka_default_scenario_deadlines() {
        // Steady 1 s heartbeats, σ floored at 100 ms, pause 3 s, threshold 8:
        // phi reaches 8 at y with 0.070566·y³ + 1.5976·y = 8·ln 10 (18.4207),
        // y = 5.2257 (hand calculation), so at 4000 + 522.57 = 4522.6 ms.
        let mut d = Detector::new(Config::builder().model(Model::Akka).build().unwrap());
        d.heartbeat(ms(0)).unwrap();
        // Only the bootstrap (mean 1 s, σ 250 ms): 4000 + 5.2257·250 = 5306.4 ms.
        let boot = d.suspicion_deadline().unwrap().as_millis_f64();
        assert!((boot - 5306.4).abs() < 0.1, "{boot}");
        for s in 1..=2000 {
            d.heartbeat(ms(s * 1000)).unwrap();
        }
        let last = 2_000_000.0;
        let steady = d.suspicion_deadline().unwrap().as_millis_f64() - last;
        assert!((steady - 4522.6).abs() < 0.1, "{steady}");
    }

    #[test]
    fn akka_remote_watch_defaults_deadline() {
        // Remote-watch defaults: pause 10 s, threshold 10, steady 1 s.
        // y solves 0.070566·y³ + 1.5976·y = 10·ln 10 (23.026): y = 5.7995, so
        // the deadline is 11000 + 580 = 11580 ms after the last heartbeat.
        let mut d = Detector::new(
            Config::builder()
                .model(Model::Akka)
                .threshold(10.0)
                .acceptable_pause(Duration::from_secs(10))
                .build()
                .unwrap(),
        );
        for s in 0..=1000 {
            d.heartbeat(ms(s * 1000)).unwrap();
        }
        let after = d.suspicion_deadline().unwrap().as_millis_f64() - 1_000_000.0;
        assert!((after - 11_580.0).abs() < 1.0, "{after}");
    }

    #[test]
    fn normal_model_default_scenario_deadline() {
        // Normal model, steady 1 s heartbeats, σ floor 100 ms, pause 3 s,
        // threshold 8: Q(z) = 1e-8 at z = 5.612001 (standard normal table),
        // so the deadline is 4000 + 561.2 ms after the last heartbeat.
        let mut d = Detector::default();
        for s in 0..=1000 {
            d.heartbeat(ms(s * 1000)).unwrap();
        }
        let after = d.suspicion_deadline().unwrap().as_millis_f64() - 1_000_000.0;
        assert!((after - 4561.2).abs() < 0.1, "{after}");
    }

    #[test]
    fn akka_accepts_missing_heartbeats_within_the_pause() {
        // Akka spec "accept some configured missing heartbeats": heartbeats
        // at 0, 1, 2, 3 s, then a 4 s gap, then 1 s again, pause 3 s.
        let mut d = akka_spec(8.0, Duration::from_secs(3));
        feed(&mut d, &[0, 1000, 2000, 3000]);
        assert!(d.is_available(ms(7000)));
        d.heartbeat(ms(7000)).unwrap();
        feed(&mut d, &[8000, 9000]);
        assert!(d.is_available(ms(9000)));
    }

    #[test]
    fn akka_fails_after_the_configured_missing_heartbeats() {
        // After Akka's spec "fail after configured acceptable missing
        // heartbeats": 1 s heartbeats, then 500 ms ones, pause 3 s. Window
        // [750, 1250, 1000 ×5, 500 ×2]: mean 888.9 ms, σ 238.95 ms, so
        // phi reaches 8 at 888.9 + 3000 + 5.2257·238.95 = 5137.6 ms of
        // silence (hand calculation).
        let mut d = akka_spec(8.0, Duration::from_secs(3));
        feed(&mut d, &[0, 1000, 2000, 3000, 4000, 5000, 5500, 6000]);
        assert!(d.is_available(ms(6000)));
        assert!(d.is_available(ms(6000 + 5137)));
        assert!(!d.is_available(ms(6000 + 5138)));
    }

    #[test]
    fn akka_marks_dead_when_heartbeats_stop() {
        // Akka spec "mark node as dead if heartbeat are missed", threshold 3:
        // heartbeats at 0, 1000, 1100, 1200 ms, then 7 s of silence.
        let mut d = akka_spec(3.0, Duration::ZERO);
        feed(&mut d, &[0, 1000, 1100, 1200]);
        assert!(d.is_available(ms(1200)));
        assert!(!d.is_available(ms(8200)));
    }

    #[test]
    fn akka_outliers_keep_their_precision() {
        // Akka spec "handle outliers without losing precision": phi(10, 0, 1)
        // ≈ 38 (± 1) and phi(−25, 0, 1) = 0. Here: y = 10 and y = −25.
        assert!((Model::Akka.phi_from_y(10.0) - 38.0).abs() < 1.0);
        assert_eq!(Model::Akka.phi_from_y(-25.0), 0.0);
    }

    #[test]
    fn akka_cdf_is_close_to_the_normal_cdf() {
        // Akka spec "use good enough cumulative distribution function":
        // 1 − 10^−phi(y) is the normal CDF within 0.001. Φ values from a
        // standard normal table.
        for (y, cdf) in [
            (0.0, 0.5),
            (0.6, 0.7257),
            (1.5, 0.9332),
            (2.0, 0.97725),
            (2.5, 0.99379),
            (3.5, 0.99977),
            (4.0, 0.99997),
        ] {
            let approx = 1.0 - 10f64.powf(-Model::Akka.phi_from_y(y));
            assert!((approx - cdf).abs() < 0.001, "y {y}: {approx} vs {cdf}");
        }
    }

    #[test]
    fn cassandra_arrival_window_numbers() {
        // Cassandra ArrivalWindowTest: window of 4, heartbeats at 111, 222,
        // 333, 444, 555 ms; raw phi (silence/mean) at 666 ms is 1.0 and at
        // 3000 ms is 22.03. Cassandra's reported phi multiplies by
        // PHI_FACTOR = 1/ln 10: 0.4343 and 9.566.
        let mut d = Detector::new(
            Config::builder()
                .model(Model::Exponential)
                .max_sample_size(4)
                .acceptable_pause(Duration::ZERO)
                .build()
                .unwrap(),
        );
        feed(&mut d, &[111, 222, 333, 444, 555]);
        let raw = |phi: f64| phi * std::f64::consts::LN_10;
        assert!((raw(d.phi(ms(666))) - 1.0).abs() < 0.01);
        assert!((raw(d.phi(ms(3000))) - 22.03).abs() < 0.01);
        // 1/ln 10 = log10(e) = 0.43429 (the older Cassandra test's 0.4342).
        assert!((d.phi(ms(666)) - std::f64::consts::LOG10_E).abs() < 1e-4);
        assert!((d.phi(ms(3000)) - 9.566).abs() < 1e-3);
    }

    #[test]
    fn exponential_pause_shifts_the_time_axis() {
        let mut d = Detector::new(
            Config::builder()
                .model(Model::Exponential)
                .acceptable_pause(Duration::from_millis(500))
                .first_heartbeat_estimate(Duration::from_millis(100))
                .min_std_deviation(Duration::from_millis(1))
                .build()
                .unwrap(),
        );
        d.heartbeat(ms(0)).unwrap();
        assert_eq!(d.phi(ms(500)), 0.0);
        // Mean 100 ms: phi = (600 − 500) / (100 · ln 10).
        let expected = 1.0 / std::f64::consts::LN_10;
        assert!((d.phi(ms(600)) - expected).abs() < 1e-12);
    }

    #[test]
    fn rejected_heartbeat_leaves_state_unchanged() {
        let mut d = Detector::default();
        feed(&mut d, &[1000, 2000, 3000]);
        let before = d.clone();
        let err = d.heartbeat(ms(2500)).unwrap_err();
        assert_eq!(
            err,
            HeartbeatError::OutOfOrder {
                last: ms(3000),
                at: ms(2500)
            }
        );
        assert_eq!(d, before);
        assert!(err.to_string().contains("earlier"));
    }

    #[test]
    fn duplicate_heartbeat_is_ignored() {
        let mut d = Detector::default();
        feed(&mut d, &[1000, 2000]);
        let before = d.clone();
        let dup = d.heartbeat(ms(2000)).unwrap();
        assert_eq!((dup.kind(), dup.interval()), (ArrivalKind::Duplicate, None));
        assert_eq!(d, before);
    }

    #[test]
    fn constant_intervals_do_not_collapse_the_variance() {
        // Five thousand heartbeats exactly 100 ms apart: σ = 0, floored.
        let mut d = Detector::new(Config::for_interval(Duration::from_millis(100)).unwrap());
        for i in 0..5000 {
            d.heartbeat(ms(i * 100)).unwrap();
        }
        assert_eq!(d.stats().std_deviation, Duration::ZERO);
        let last = 499_900;
        let mut previous = 0.0;
        for extra in [0, 50, 100, 200, 400, 450, 500, 1000, 10_000] {
            let phi = d.phi(ms(last + extra));
            assert!(phi.is_finite() && phi >= previous, "+{extra}: {phi}");
            previous = phi;
        }
        assert!(d.is_available(ms(last + 400)));
        assert!(!d.is_available(ms(last + 1000)));
    }

    #[test]
    fn query_before_the_last_heartbeat_gives_zero() {
        let mut d = Detector::default();
        feed(&mut d, &[1000, 2000]);
        assert_eq!(d.phi(ms(1500)), 0.0);
        assert!(d.is_available(ms(1500)));
    }

    #[test]
    fn interval_after_a_suspicion_is_not_recorded() {
        let mut d = Detector::new(Config::for_interval(Duration::from_millis(100)).unwrap());
        for i in 0..100 {
            d.heartbeat(ms(i * 100)).unwrap();
        }
        let before = d.stats();
        let arrival = d.heartbeat(ms(9_900 + 60_000)).unwrap();
        assert_eq!(arrival.kind(), ArrivalKind::AfterSuspicion);
        assert_eq!(arrival.interval(), Some(Duration::from_secs(60)));
        assert!(arrival.is_recovery());
        let after = d.stats();
        assert_eq!((after.samples, after.mean), (before.samples, before.mean));
        assert_eq!(after.last_heartbeat, Some(ms(69_900)));
        // The next regular heartbeat is learnt again.
        let next = d.heartbeat(ms(70_000)).unwrap();
        assert!(next.is_recorded());
        assert_eq!(next.interval(), Some(Duration::from_millis(100)));
    }

    #[test]
    fn warning_flags_intervals_near_the_pause() {
        // Pause 3 s, fraction 2/3: intervals of 2 s or more are flagged.
        let mut d = Detector::default();
        d.heartbeat(ms(0)).unwrap();
        assert!(!d.heartbeat(ms(1000)).unwrap().is_warning());
        assert!(!d.heartbeat(ms(2999)).unwrap().is_warning());
        assert!(d.heartbeat(ms(4999)).unwrap().is_warning());
    }

    #[test]
    fn a_single_heartbeat_is_eventually_suspected() {
        for model in Model::ALL {
            let mut d = Detector::new(Config::builder().model(model).build().unwrap());
            d.heartbeat(ms(0)).unwrap();
            let deadline = d.suspicion_deadline().unwrap();
            assert!(deadline < ms(60_000), "{model}: {deadline}");
            assert!(!d.is_available(deadline));
            assert!(d.phi(deadline) >= 8.0);
        }
    }

    #[test]
    fn phi_is_finite_for_extreme_silences() {
        for model in Model::ALL {
            let mut d = Detector::new(Config::builder().model(model).build().unwrap());
            feed(&mut d, &[0, 1000, 2000]);
            let mut previous = 0.0;
            for t in [3000, 10_000, 100_000, 10_000_000, u64::MAX / 1_000_000] {
                let phi = d.phi(ms(t));
                assert!(phi.is_finite() && phi >= previous, "{model} at {t}: {phi}");
                previous = phi;
            }
            assert!(d.phi(Timestamp::MAX).is_finite());
        }
    }

    #[test]
    fn huge_timestamps_and_intervals_do_not_overflow() {
        let mut d = Detector::default();
        d.heartbeat(Timestamp::ZERO).unwrap();
        // A silence of centuries: not recorded (the peer was long suspected).
        let arrival = d.heartbeat(Timestamp::MAX).unwrap();
        assert!(arrival.is_recovery());
        assert_eq!(d.suspicion_deadline(), Some(Timestamp::MAX));
        assert_eq!(d.phi(Timestamp::MAX), d.phi(Timestamp::MAX));
        // With an enormous threshold, a two-hour interval is recorded and
        // saturates at the window's 71-minute maximum.
        let mut d = Detector::new(Config::builder().threshold(1e12).build().unwrap());
        d.heartbeat(ms(0)).unwrap();
        d.heartbeat(ms(7_200_000)).unwrap();
        let s = d.stats();
        let max = Duration::from_micros(u64::from(u32::MAX));
        assert_eq!(s.samples, 3);
        let expected = (Duration::from_millis(750) + Duration::from_millis(1250) + max) / 3;
        assert!(s.mean.abs_diff(expected) <= Duration::from_micros(1));
    }

    #[test]
    fn deadline_and_phi_agree_to_the_nanosecond() {
        let mut d = Detector::default();
        feed(&mut d, &[0, 1010, 1990, 3005, 4000]);
        for phi in [0.5, 3.0, 8.0, 16.0] {
            let th = d.threshold(phi).unwrap();
            let t = d.deadline_for(&th).unwrap();
            assert!(d.phi(t) >= phi);
            assert!(d.phi(Timestamp::from_nanos(t.as_nanos() - 1)) < phi);
        }
        let t = d.suspicion_deadline().unwrap();
        assert!(!d.is_available(t));
        assert!(d.is_available(Timestamp::from_nanos(t.as_nanos() - 1)));
    }

    #[test]
    fn a_threshold_prepared_for_another_model_still_works() {
        let mut d = Detector::new(Config::builder().model(Model::Exponential).build().unwrap());
        d.heartbeat(ms(0)).unwrap();
        let foreign = Threshold::new(Model::Normal, 8.0).unwrap();
        assert_eq!(d.deadline_for(&foreign), d.suspicion_deadline());
        assert!(Threshold::new(Model::Normal, 0.0).is_err());
        assert!(Threshold::new(Model::Normal, f64::NAN).is_err());
    }

    #[test]
    fn window_size_bounds_the_memory_of_old_intervals() {
        // Akka spec "use maxSampleSize heartbeats": with a window of 3, phi
        // after three 100 ms intervals equals phi after three 500 ms
        // intervals, scaled, once the older samples are gone.
        let mut d = Detector::new(
            Config::builder()
                .max_sample_size(3)
                .acceptable_pause(Duration::ZERO)
                .min_std_deviation(Duration::from_millis(100))
                .first_heartbeat_estimate(Duration::from_millis(100))
                .build()
                .unwrap(),
        );
        feed(&mut d, &[0, 100, 200, 300]);
        // Window [100, 100, 100]: σ floored at 100 ms, y = (150 − 100)/100.
        let phi1 = d.phi(ms(450));
        feed(&mut d, &[800, 1300, 1800]);
        assert_eq!(d.stats().mean, Duration::from_millis(500));
        // Window [500, 500, 500]: y = (550 − 500)/100, the same 0.5.
        let phi2 = d.phi(ms(2350));
        assert!((phi1 - phi2).abs() < 1e-12, "{phi1} vs {phi2}");
    }

    #[test]
    fn reset_forgets_everything() {
        let mut d = Detector::default();
        feed(&mut d, &[0, 1000]);
        d.reset();
        assert_eq!(d, Detector::default());
        assert_eq!(d.heartbeat(ms(5)).unwrap().kind(), ArrivalKind::First);
    }

    #[test]
    fn instants_and_timestamps_mix() {
        let mut d = Detector::default();
        let now = std::time::Instant::now();
        d.heartbeat(now).unwrap();
        assert_eq!(d.last_heartbeat(), Some(Timestamp::from(now)));
        assert!(d.is_available(now + Duration::from_secs(1)));
        assert!(!d.is_available(now + Duration::from_secs(60)));
    }

    #[test]
    fn detector_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Detector>();
    }

    #[test]
    fn micros_conversion_rounds_and_saturates() {
        assert_eq!(micros_saturating(1_499), 1);
        assert_eq!(micros_saturating(1_500), 2);
        assert_eq!(micros_saturating(u64::MAX), u32::MAX);
        // The last interval that rounds to a storable value, and the first
        // that does not.
        assert_eq!(micros_saturating(HORIZON_MAX_NS), u32::MAX);
        assert_eq!(micros_saturating(HORIZON_MAX_NS - 999), u32::MAX);
        assert_eq!(micros_saturating(HORIZON_MAX_NS - 1_000), u32::MAX - 1);
        assert_eq!(micros_saturating(HORIZON_MAX_NS - 1_999), u32::MAX - 1);
        assert_eq!(micros_saturating(HORIZON_MAX_NS - 2_000), u32::MAX - 2);
        assert_eq!(micros_saturating(HORIZON_MAX_NS + 1), u32::MAX);
    }

    /// The multiply-shift rounding equals the division everywhere below the
    /// horizon cap: every rounding boundary near the top and bottom of the
    /// range, and a sweep of pseudo-random values in between.
    #[test]
    fn micros_below_horizon_matches_the_division() {
        let reference = |x: u64| u32::try_from((x + 500) / 1_000).unwrap();
        let mut values: Vec<u64> = (0..5_000).collect();
        for k in [
            1u64,
            2,
            3,
            1 << 20,
            1 << 32,
            1 << 41,
            HORIZON_MAX_NS / 1_000,
        ] {
            let base = (k * 1_000).min(HORIZON_MAX_NS - 2_000);
            values.extend((0..2_000).map(|d| base + d));
        }
        values.extend(HORIZON_MAX_NS - 3_000..=HORIZON_MAX_NS);
        let mut rng = Rng::stream(0x2545_F491_4F6C_DD1D, 0);
        for _ in 0..1_000_000 {
            values.push(rng.next_u64() % (HORIZON_MAX_NS + 1));
        }
        for v in values {
            assert_eq!(micros_below_horizon(v), reference(v), "{v} ns");
        }
    }

    /// The sure horizon never reaches the exact deadline, and stays close to
    /// what its construction promises (so that the heartbeat path is the
    /// common one), for every model, window sizes 1 to 1000, regular and
    /// irregular intervals (outliers leaving the window included), and
    /// thresholds down to ones whose standardised value is negative.
    ///
    /// While the window fills, and always for windows under 64 samples, the
    /// horizon is the exact deadline less the margins: within 10 ns. Once a
    /// larger window is full, the horizon is
    /// the bound of [`QuickBound::refresh`], recomputed here in floating
    /// point from the samples themselves: the exact mean, plus the pause,
    /// plus `y*·max(σ_R, min σ)` with σ_R² = SSD(R)/n over the samples R
    /// that were not among the `K` oldest at the refresh (normal, Akka), or
    /// the pause plus `y*·mean` (exponential).
    #[test]
    fn the_horizon_is_below_the_deadline_and_close_to_it() {
        let mut rng = Rng::stream(0x9E37_79B9_7F4A_7C15, 0);
        let mut next = move |m: u64| rng.next_u64() % m;
        let mut amortized_checks = 0u64;
        for model in Model::ALL {
            for window in [1, 2, 3, 8, 10, 64, 1000] {
                for threshold in [0.01, 0.3, 1.0, 8.0, 40.0] {
                    for (pause, min_std) in [(0, 1), (3_000_000_000, 100_000_000), (0, 1_000)] {
                        let config = Config::builder()
                            .model(model)
                            .max_sample_size(window)
                            .threshold(threshold)
                            .acceptable_pause(Duration::from_nanos(pause))
                            .min_std_deviation(Duration::from_nanos(min_std))
                            .first_heartbeat_estimate(Duration::from_millis(100))
                            .build()
                            .unwrap();
                        let params = Params::new(config);
                        let y = params.y_threshold;
                        let budget_len = params.quick.budget_len;
                        let mut state = State::new(&params);
                        let mut t = 1_000_000u64;
                        // The samples that stay in every window until the
                        // next refresh (R), in µs.
                        let mut retained: Vec<f64> = Vec::new();
                        for i in 0..1_500u64 {
                            // Regular, jittery, sub-microsecond and long gaps.
                            t += match i % 7 {
                                0 => 100_000_000,
                                1 => 90_000_000 + next(20_000_000),
                                2 => next(2_000),
                                3 => next(400_000_000),
                                _ => 100_000_000 + next(1_000),
                            };
                            let arrival = state.heartbeat(&params, Timestamp::from_nanos(t));
                            let horizon = state.cache.horizon();
                            let fit = state.fit(&params);
                            let exact = state.elapsed_at(&params, &fit, params.y_threshold);
                            assert!(
                                horizon <= exact,
                                "{model} w{window} phi {threshold}: {horizon} > {exact}"
                            );
                            // Models with a history have no bound from the
                            // sums (horizon 0): only the cached deadline.
                            // After an arrival that was not learnt the
                            // horizon is the exact deadline its test cached.
                            if state.history.is_some()
                                || y < 0.0
                                || exact >= HORIZON_MAX_NS
                                || !arrival.unwrap().is_recorded()
                            {
                                continue;
                            }
                            let samples: Vec<f64> = state.window.iter().map(f64::from).collect();
                            let refreshed = state.budget == 0;
                            if state.budget == budget_len && model != Model::Exponential {
                                retained = samples[budget_len as usize..].to_vec();
                            }
                            let reference = if refreshed {
                                exact as f64
                            } else {
                                let n = samples.len() as f64;
                                let mean_ns = samples.iter().sum::<f64>() / n * 1e3;
                                let spread = if model == Model::Exponential {
                                    y * mean_ns
                                } else {
                                    let m = retained.len() as f64;
                                    let mean_r = retained.iter().sum::<f64>() / m.max(1.0);
                                    let ssd: f64 =
                                        retained.iter().map(|x| (x - mean_r).powi(2)).sum();
                                    let sigma_ns = (ssd / n).sqrt() * 1e3;
                                    mean_ns + y * sigma_ns.max(min_std as f64)
                                };
                                amortized_checks += 1;
                                pause as f64 + spread
                            };
                            // The margins (10 ns), and the base's `f32`
                            // rounding down: 2^-21 of it at most.
                            let slack = reference - horizon as f64;
                            assert!(
                                slack <= 10.0 + 4.8e-7 * reference,
                                "{model} w{window} phi {threshold} #{i}: slack {slack} of {reference} \
                                 (budget {})",
                                state.budget
                            );
                        }
                    }
                }
            }
        }
        // The amortised horizon was checked, not only the refreshed one.
        assert!(amortized_checks > 10_000, "{amortized_checks}");
    }

    /// `f32_at_most` never rounds up, and loses at most 2^-21 relative
    /// (plus about 10^-30): over both signs, zero, subnormal and large values,
    /// and a sweep of pseudo-random ones.
    #[test]
    fn f32_at_most_rounds_down() {
        let mut values = vec![0.0, 1e-40, -1e-40, 1e-30, 4.5, -4.5, 1e12, -3e9, 4.4e15];
        let mut rng = Rng::stream(0x2545_F491_4F6C_DD1D, 1);
        for _ in 0..100_000 {
            let x = rng.next_u64();
            // Magnitudes from 2^-40 to 2^60, both signs.
            let v = (x >> 11) as f64 / (1u64 << 53) as f64 * 2f64.powi((x % 100) as i32 - 40);
            values.push(if x & 1 == 0 { v } else { -v });
        }
        for v in values {
            let f = f64::from(f32_at_most(v));
            assert!(f <= v, "{v}: {f}");
            assert!(v - f <= v.abs() * 2f64.powi(-21) + 1.0001e-30, "{v}: {f}");
        }
    }

    /// The amortised horizon stays sure when the spread collapses: a window
    /// whose only spread comes from outliers about to be evicted. Each
    /// eviction cuts σ sharply, and the horizon must follow before the
    /// next arrival is judged.
    #[test]
    fn the_horizon_follows_a_collapsing_spread() {
        for model in [Model::Normal, Model::Akka] {
            let config = Config::builder()
                .model(model)
                .max_sample_size(16)
                .acceptable_pause(Duration::ZERO)
                .min_std_deviation(Duration::from_nanos(1))
                .first_heartbeat_estimate(Duration::from_millis(100))
                .build()
                .unwrap();
            let params = Params::new(config);
            let mut state = State::new(&params);
            let mut t = 0u64;
            let mut deadlines = Vec::new();
            // Outliers first (1 ms and 1 s), then a perfectly regular 100 ms.
            let gaps = (0..8u64)
                .map(|i| if i % 2 == 0 { 1_000_000 } else { 1_000_000_000 })
                .chain(std::iter::repeat_n(100_000_000, 40));
            for (i, gap) in gaps.enumerate() {
                t += gap;
                state.heartbeat(&params, Timestamp::from_nanos(t)).unwrap();
                let horizon = state.cache.horizon();
                let exact = state.deadline_ns(&params);
                assert!(horizon <= exact, "{model} #{i}: {horizon} > {exact}");
                deadlines.push(exact);
            }
            // The scenario does what it says: the deadline falls from over
            // three intervals to a hair above one (the 1 s gaps come after
            // a suspicion, so only every other one is learnt).
            assert!(deadlines[10] > 300_000_000, "{:?}", deadlines);
            assert!(*deadlines.last().unwrap() < 100_001_000, "{:?}", deadlines);
        }
    }

    /// Arrivals one nanosecond either side of the horizon take different
    /// paths (one comparison, or the exact test) and must both follow the
    /// exact rule.
    #[test]
    fn arrivals_at_the_horizon_follow_the_exact_rule() {
        for model in Model::ALL {
            for window in [1, 2, 1000] {
                let config = Config::builder()
                    .model(model)
                    .max_sample_size(window)
                    .acceptable_pause(Duration::ZERO)
                    .min_std_deviation(Duration::from_millis(1))
                    .first_heartbeat_estimate(Duration::from_millis(100))
                    .build()
                    .unwrap();
                let params = Params::new(config);
                let mut state = State::new(&params);
                let mut t = 0;
                for i in 0..50u64 {
                    t += 100_000_000 + (i % 5) * 3_000_000;
                    state.heartbeat(&params, Timestamp::from_nanos(t)).unwrap();
                }
                let horizon = state.cache.horizon();
                let deadline = state.deadline_ns(&params);
                assert!(horizon <= deadline, "{model} w{window}");
                // Models with a history have no sure horizon: the fast path
                // then runs on the exact deadline a query cached, and must
                // keep the history in step (checked against `state` below).
                let horizon = if state.history.is_some() {
                    // 0, or the exact deadline the last arrival's own
                    // exact test cached.
                    assert!(horizon == 0 || horizon == deadline, "{model} w{window}");
                    deadline
                } else {
                    assert!(horizon > 0, "{model} w{window}");
                    horizon
                };
                for elapsed in [
                    horizon - 1,
                    horizon,
                    horizon + 1,
                    deadline - 1,
                    deadline,
                    deadline + 1,
                ] {
                    let mut s = state.clone();
                    // A clone has no horizon; give it the original's.
                    s.cache.invalidate_to(horizon);
                    let at = Timestamp::from_nanos(t + elapsed);
                    let available = state.is_available(&params, at);
                    let arrival = s.heartbeat(&params, at).unwrap();
                    assert_eq!(
                        arrival.is_recorded(),
                        available || state.skipped_last,
                        "{model} w{window} +{elapsed}"
                    );
                    assert_eq!(available, elapsed < deadline);
                    // The same arrival on the exact path leaves the same
                    // state, history included.
                    let mut r = state.clone();
                    r.cache.invalidate_to(0);
                    r.heartbeat(&params, at).unwrap();
                    assert!(r == s, "{model} w{window} +{elapsed}");
                    let later = Timestamp::from_nanos(t + elapsed + 60_000_000);
                    assert_eq!(
                        r.phi(&params, later).to_bits(),
                        s.phi(&params, later).to_bits(),
                        "{model} w{window} +{elapsed}"
                    );
                }
            }
        }
    }

    /// Intervals at the 71.6-minute storage limit: the horizon is capped
    /// there, the heartbeat path stores the largest value, and longer
    /// intervals saturate on the exact path.
    #[test]
    fn intervals_at_the_storage_limit() {
        let config = Config::builder().threshold(1e12).build().unwrap();
        let params = Params::new(config);
        let mut state = State::new(&params);
        state.heartbeat(&params, Timestamp::ZERO).unwrap();
        assert_eq!(state.cache.horizon(), HORIZON_MAX_NS);
        let mut t = 0;
        for (elapsed, stored) in [
            (HORIZON_MAX_NS - 1, u32::MAX),
            (HORIZON_MAX_NS - 1_000, u32::MAX - 1),
            (HORIZON_MAX_NS, u32::MAX),
            (HORIZON_MAX_NS + 1, u32::MAX),
            (7_200_000_000_000, u32::MAX),
        ] {
            t += elapsed;
            let arrival = state.heartbeat(&params, Timestamp::from_nanos(t)).unwrap();
            assert!(arrival.is_recorded(), "{elapsed}");
            assert_eq!(state.window.iter().last(), Some(stored), "{elapsed}");
        }
        let samples: Vec<u32> = state.window.iter().collect();
        let sum: u64 = samples.iter().map(|&x| u64::from(x)).sum();
        assert_eq!(state.window.sum_micros(), sum);
    }

    /// The largest window: the horizon of a window that is far from full
    /// (the unit is divided, not precomputed) still decides like the exact
    /// rule.
    #[test]
    fn largest_window_decides_like_the_exact_rule() {
        let config = Config::builder()
            .max_sample_size(MAX_SAMPLE_SIZE)
            .acceptable_pause(Duration::ZERO)
            .min_std_deviation(Duration::from_millis(1))
            .build()
            .unwrap();
        let params = Params::new(config);
        let mut state = State::new(&params);
        let mut t = 0;
        state.heartbeat(&params, Timestamp::from_nanos(t)).unwrap();
        for i in 0..2_000u64 {
            // Mostly about 1 s, with a long silence now and then.
            let gap = if i % 97 == 96 {
                20_000
            } else {
                1_000 + i * 7_919 % 200
            };
            t += gap * 1_000_000;
            // The exact deadline, without caching it (it would become the
            // horizon and hide the heartbeat path).
            let deadline = state.fit(&params).elapsed_at(params.y_threshold);
            assert!(state.cache.horizon() <= deadline);
            let arrival = state.heartbeat(&params, Timestamp::from_nanos(t)).unwrap();
            assert_eq!(arrival.is_recorded(), gap * 1_000_000 < deadline, "{i}");
        }
        assert_eq!(state.window.capacity(), MAX_SAMPLE_SIZE);
        assert!(state.window.len() > 1_900);
    }
}
