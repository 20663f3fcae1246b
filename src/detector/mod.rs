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
//!   bootstrap estimate below the real interval is enough). The second late
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
//! the others skip the square root.

// One concept per file: `arrival` holds what a heartbeat returns, `params`
// the constants derived from a configuration once, `state` the per-peer
// rules (one heartbeat, one query), `learning` the rule for which intervals
// the window learns, `horizon` the sure horizon that settles most heartbeats
// with one comparison (and the microsecond rounding), and `cache` the fit
// and deadline kept between heartbeats. The proofs behind the fast paths
// are in the module docs of `horizon` and `cache`.
mod arrival;
mod cache;
mod horizon;
mod learning;
mod params;
mod state;
#[cfg(test)]
mod tests;

pub use arrival::{Arrival, ArrivalKind, HeartbeatError};
pub(crate) use horizon::QuickBound;
pub(crate) use params::Params;
#[cfg(feature = "serde")]
pub(crate) use state::Saved;
pub(crate) use state::State;

use crate::config::{Config, ConfigError};
use crate::model::Model;
use crate::time::Timestamp;
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

    /// Records a heartbeat that arrived at `at` carrying the sender's
    /// sequence number `seq` (consecutive heartbeats numbered consecutively,
    /// as the UDP example sends them).
    ///
    /// Chen's, 2W-FD's and Bertier's models then count the interval since
    /// the last heartbeat as `seq − last` sending periods, exactly as
    /// their papers do, instead of reconstructing the count from the
    /// interval's length: a lost heartbeat (a gap in the numbers) moves no
    /// estimate. The other models read only the arrival times. A heartbeat
    /// without a number ([`heartbeat`](Self::heartbeat)) breaks the count:
    /// the next numbered one is not checked against older numbers and its
    /// interval is reconstructed. A numbered heartbeat at the very instant
    /// of the last numbered one is a new heartbeat (a coarse clock, a burst
    /// after the sender stalled), with an interval of 0, not a duplicate.
    ///
    /// The first numbered heartbeat allocates once, what the numbers need:
    /// for Chen, 2W-FD and Bertier the sending periods of each interval in
    /// the window (4 bytes per sample), for the other models a few bytes
    /// for the last number. Later heartbeats allocate nothing.
    ///
    /// Numbers are not saved in a monitor's snapshot, and the first
    /// numbered heartbeat after a restore is counted as after a plain one.
    ///
    /// # Errors
    ///
    /// [`HeartbeatError::StaleSequence`] if `seq` is not above the last
    /// number accepted (a repeated or reordered message), and
    /// [`HeartbeatError::OutOfOrder`] if `at` is earlier than the previous
    /// heartbeat. Either way the detector is left exactly as it was: a
    /// stale heartbeat is never learnt.
    ///
    /// ```
    /// use accrual::{Config, Detector, HeartbeatError, Model, Timestamp};
    /// use std::time::Duration;
    ///
    /// let config = Config::builder().model(Model::Chen).build()?;
    /// let mut d = Detector::new(config);
    /// d.heartbeat_seq(Timestamp::from_millis(0), 1)?;
    /// d.heartbeat_seq(Timestamp::from_millis(2_000), 3)?; // number 2 was lost
    /// let err = d.heartbeat_seq(Timestamp::from_millis(2_100), 2).unwrap_err();
    /// assert_eq!(err, HeartbeatError::StaleSequence { last: 3, seq: 2 });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn heartbeat_seq(
        &mut self,
        at: impl Into<Timestamp>,
        seq: u64,
    ) -> Result<Arrival, HeartbeatError> {
        self.state.heartbeat_seq(&self.params, at.into(), seq)
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
    /// further heartbeat arrives; `None` before the first heartbeat, or when
    /// phi stays below the threshold up to [`Timestamp::MAX`] included.
    ///
    /// Consistent with [`phi`](Self::phi) to the nanosecond: phi one
    /// nanosecond earlier is below the threshold, phi at the deadline and
    /// later is at or above it.
    #[inline]
    pub fn suspicion_deadline(&self) -> Option<Timestamp> {
        self.state.deadline(&self.params)
    }

    /// Like [`suspicion_deadline`](Self::suspicion_deadline), for another
    /// threshold (for instance an earlier "stop routing" level below the
    /// "declare dead" one); `None` likewise when the level is not reached
    /// within the clock's range.
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
