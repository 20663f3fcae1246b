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
//! the expected arrival (and the acceptable pause) *in units of α*:
//!
//! ```text
//! level = max(silence − (EA − A_last) − pause, 0) / max(α, min σ)
//! ```
//!
//! so threshold 1 is the published detector, and other thresholds scale its
//! margin (an extension that lets `accrual tune` draw a curve instead of a
//! single point). The floor `min σ` keeps the margin positive on a link so
//! regular that α shrinks to nothing.

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
    pub(crate) fn before_push(&mut self, window: &Window, x: u32, steps: Option<u64>) {
        if !window.is_empty() {
            let gamma = self.constants[2];
            let skipped = steps.map_or(0.0, |s| s.saturating_sub(1) as f64);
            let predicted = self.lag.expected_after_last() + skipped * self.lag.period_micros();
            let error = f64::from(x) - predicted - self.delay;
            self.delay += gamma * error;
            self.var += gamma * (error.abs() - self.var);
        }
        self.lag.before_push(window, x, steps);
    }

    pub(crate) fn clear(&mut self) {
        self.lag.clear();
        self.delay = 0.0;
        self.var = 0.0;
    }

    /// The margin α, in microseconds.
    pub(crate) fn margin_micros(&self) -> f64 {
        let [beta, phi, _] = self.constants;
        beta * self.delay + phi * self.var
    }
}

/// Location = expected arrival + pause, scale = max(α, min σ).
pub(crate) fn fit(state: &Bertier, params: &FitParams) -> Fit {
    let margin_ns = state.margin_micros() * 1e3;
    // `max` ignores a NaN operand, and the floor is positive.
    Fit::new(
        state.lag.expected_after_last() * 1e3 + params.pause_ns,
        margin_ns.max(params.min_std_ns),
    )
}
