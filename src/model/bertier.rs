//! Bertier, Marin and Sens's detector (2002): Chen's expected arrival plus
//! a margin that adapts like TCP's retransmission timeout (Jacobson).
//!
//! After each recorded interval the error of the previous prediction feeds
//! two running estimates (all in microseconds):
//!
//! ```text
//! error = A_k − EA_k − delay
//! delay ← delay + γ·error
//! var   ← var + γ·(|error| − var)
//! α     = β·delay + φ·var
//! ```
//!
//! and the peer is suspected once the silence passes `EA + α`. The paper's
//! constants are β = 1, φ = 4, γ = 0.1 (the defaults). Bertier's detector
//! has no threshold of its own; here the suspicion level is the silence past
//! the delay-corrected expected arrival (and the acceptable pause) *in units
//! of the variation term*:
//!
//! ```text
//! level = max(silence − (EA − A_last) − β·delay − pause, 0) / max(φ·var, min σ)
//! ```
//!
//! so threshold 1 is the published detector (`EA + β·delay + φ·var`), and
//! other thresholds scale only the variation term (an extension that lets
//! `accrual tune` draw a curve instead of a single point). Scaling the
//! whole α would scale `delay` too, and where the heartbeats keep coming
//! earlier than Chen's EA (`delay < 0`, a window whose mean phase lags the
//! sender's) a larger threshold would then expect them *earlier*: the
//! mistakes would grow with the threshold. The floor `min σ` keeps the
//! scale positive on a link so regular that `var` shrinks to nothing; `α`
//! itself may be negative, as in the paper.
//!
//! The error is learnt from the second heartbeat on, as in the paper: under
//! the growing bootstrap the prediction before the first interval is the
//! one the detector answered with, one configured period per sending period
//! after the first heartbeat. Akka's bootstrap seeds are not heartbeats, and
//! no error is learnt from them: the first real interval is judged against
//! the seeds' expected arrival.

use super::expected_arrival::Lag;
use super::{Fit, FitParams};
use crate::window::Window;

/// The state Bertier's estimator keeps beside the window.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Bertier {
    /// Chen's expected arrival over the window.
    pub(crate) lag: Lag,
    /// Estimated delay (mean prediction error), microseconds.
    pub(crate) delay: f64,
    /// Estimated variation of the error, microseconds.
    pub(crate) var: f64,
    /// β, φ, γ (kept here, not in the shared parameters, so that only
    /// detectors of this model pay for them).
    constants: [f64; 3],
}

impl Bertier {
    pub(crate) fn new(lag: Lag, constants: [f64; 3]) -> Bertier {
        Bertier {
            lag,
            delay: 0.0,
            var: 0.0,
            constants,
        }
    }

    /// Learns from `x` about to be pushed into `window`: the error of the
    /// prediction made from the window as it is now. With the sender's
    /// sequence numbers (`steps` periods since the last arrival) the
    /// prediction is the paper's for the heartbeat that came, `s − 1`
    /// periods after the next one expected; without them, the next one.
    ///
    /// A bootstrap seed (`heartbeat` false) is not a heartbeat: the span
    /// takes it, the error estimates do not.
    pub(crate) fn before_push(
        &mut self,
        window: &Window,
        x: u32,
        steps: Option<u64>,
        heartbeat: bool,
    ) {
        if heartbeat {
            self.learn_error(window, x, steps);
        }
        self.lag.before_push(window, x, steps);
    }

    fn learn_error(&mut self, window: &Window, x: u32, steps: Option<u64>) {
        let gamma = self.constants[2];
        let predicted = if window.is_empty() {
            // The growing bootstrap's first interval: the detector expected
            // the heartbeat one configured period per sending period after
            // the first (the one-interval window of `Bootstrap::Growing`).
            steps.unwrap_or(1) as f64 * self.lag.configured_period_micros()
        } else {
            let skipped = steps.map_or(0.0, |s| s.saturating_sub(1) as f64);
            self.lag.expected_after_last() + skipped * self.lag.period_micros()
        };
        let error = f64::from(x) - predicted - self.delay;
        self.delay += gamma * error;
        self.var += gamma * (error.abs() - self.var);
    }

    pub(crate) fn clear(&mut self) {
        self.lag.clear();
        self.delay = 0.0;
        self.var = 0.0;
    }

    /// The delay correction `β·delay` and the variation term `φ·var`, in
    /// microseconds: the margin α is their sum.
    pub(crate) fn margin_terms_micros(&self) -> (f64, f64) {
        let [beta, phi, _] = self.constants;
        (beta * self.delay, phi * self.var)
    }
}

/// Location = expected arrival + β·delay + pause, scale = max(φ·var, min σ).
pub(crate) fn fit(state: &Bertier, params: &FitParams) -> Fit {
    let (delay_us, variation_us) = state.margin_terms_micros();
    // `max` ignores a NaN operand, and the floor is positive.
    Fit::new(
        (state.lag.expected_after_last() + delay_us) * 1e3 + params.pause_ns,
        (variation_us * 1e3).max(params.min_std_ns),
    )
}
