//! What a model remembers beyond the window's running sums.
//!
//! The normal, Akka and exponential models need only the window's mean and
//! variance, the deadline model not even those. The others keep a little more, updated with every recorded
//! interval: Chen's lag sum, Bertier's error estimates, a sorted copy of the
//! window. A detector holds a [`History`] only for those models, boxed, so
//! the common case pays one pointer for it. A detector builds its history
//! from its configuration with `History::for_config`, which lives in
//! `config`: `config` may import this module, never the reverse.

use super::bertier::Bertier;
use super::expected_arrival::Lag;
use super::params::ModelParams;
use super::sorted_window::SortedWindow;
use super::Model;
use crate::window::Window;

/// Per-detector state of the models that need more than the window's sums.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum History {
    /// Chen's lag sum over the whole window.
    Chen(Lag),
    /// Lag sums over the whole window and over the short window.
    TwoWindow {
        /// Over the detector's window.
        long: Lag,
        /// Over the last `short_window` arrivals.
        short: Lag,
    },
    /// Chen's lag sum and Jacobson's error estimates.
    Bertier(Bertier),
    /// The window's samples, sorted.
    Empirical(SortedWindow),
}

impl History {
    /// The history `model` needs, if any, for a window of `capacity`
    /// intervals (with room allocated for `room` of them, growing with the
    /// window) from a peer expected to send every `period_us`
    /// microseconds (the period sequence numbers are reconstructed from;
    /// at least 1, and the period itself if `fixed_period`).
    pub(crate) fn new(
        model: Model,
        capacity: usize,
        room: usize,
        period_us: u64,
        fixed_period: bool,
        params: &ModelParams,
    ) -> Option<History> {
        let history = match model {
            Model::Normal | Model::Akka | Model::Exponential | Model::Deadline => return None,
            Model::Chen => History::Chen(Lag::new(capacity, period_us, fixed_period)),
            Model::TwoWindow => History::TwoWindow {
                long: Lag::new(capacity, period_us, fixed_period),
                // `short_window` arrivals span one interval fewer.
                short: Lag::new(
                    params.short_window.saturating_sub(1).min(capacity),
                    period_us,
                    fixed_period,
                ),
            },
            Model::Bertier => History::Bertier(Bertier::new(
                Lag::new(capacity, period_us, fixed_period),
                params.bertier,
            )),
            Model::Empirical => History::Empirical(SortedWindow::with_room(room.min(capacity))),
        };
        Some(history)
    }

    /// Accounts for `x` about to be pushed into `window`, `steps` sending
    /// periods long if the sender's sequence numbers said so.
    #[inline]
    pub(crate) fn before_push(&mut self, window: &Window, x: u32, steps: Option<u64>) {
        self.before_push_of(window, x, steps, true);
    }

    /// Keeps up with a bootstrap seed about to be pushed into `window`: as
    /// [`History::before_push`], but a seed is not a heartbeat, so Bertier's
    /// estimates learn no prediction error from it.
    pub(crate) fn before_seed(&mut self, window: &Window, x: u32) {
        self.before_push_of(window, x, None, false);
    }

    #[inline]
    fn before_push_of(&mut self, window: &Window, x: u32, steps: Option<u64>, heartbeat: bool) {
        match self {
            History::Chen(lag) => lag.before_push(window, x, steps),
            History::TwoWindow { long, short } => {
                long.before_push(window, x, steps);
                short.before_push(window, x, steps);
            }
            History::Bertier(b) => b.before_push(window, x, steps, heartbeat),
            History::Empirical(sorted) => {
                let slot = window.next_slot();
                if window.next_evicted().is_some() {
                    sorted.remove(slot);
                }
                sorted.insert(slot, x, window.capacity());
            }
        }
    }

    /// Whether the two histories agree on what their windows do not
    /// determine, for windows already known to be equal: the empirical
    /// model's sorted copy is the window's (and as large as its capacity,
    /// so not compared); the margin models' sending periods per interval
    /// and Bertier's estimates are not.
    pub(crate) fn same_beyond_window(&self, other: &History) -> bool {
        match (self, other) {
            (History::Empirical(_), History::Empirical(_)) => true,
            (a, b) => a == b,
        }
    }

    /// Forgets everything, as the window is cleared.
    pub(crate) fn clear(&mut self) {
        match self {
            History::Chen(lag) => lag.clear(),
            History::TwoWindow { long, short } => {
                long.clear();
                short.clear();
            }
            History::Bertier(b) => b.clear(),
            History::Empirical(sorted) => sorted.clear(),
        }
    }

    /// The sending periods of the window's intervals, oldest first, as the
    /// sender's sequence numbers gave them (the margin models', once a
    /// number has been given; `None` otherwise). The short window of
    /// 2W-FD holds the last of the same periods.
    #[cfg(feature = "serde")]
    pub(crate) fn given_steps(&self) -> Option<Vec<u32>> {
        match self {
            History::Chen(lag) | History::TwoWindow { long: lag, .. } => lag.given_steps(),
            History::Bertier(b) => b.lag.given_steps(),
            History::Empirical(_) => None,
        }
    }

    /// Bertier's error estimates (delay, variation), the only part of any
    /// history that the window's samples and the periods given do not
    /// determine.
    pub(crate) fn estimates(&self) -> Option<[f64; 2]> {
        match self {
            History::Bertier(b) => Some([b.delay, b.var]),
            _ => None,
        }
    }

    /// Sets Bertier's error estimates (for a restored snapshot).
    #[cfg(feature = "serde")]
    pub(crate) fn set_estimates(&mut self, estimates: [f64; 2]) {
        if let History::Bertier(b) = self {
            [b.delay, b.var] = estimates;
        }
    }
}
