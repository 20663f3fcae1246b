//! The exponential model used by Apache Cassandra.
//!
//! For exponentially distributed inter-arrivals with mean μ, the probability
//! that the next heartbeat is later than `t` is `exp(−t/μ)`, so
//! phi = −log10 exp(−t/μ) = t / (μ · ln 10). Cassandra computes `t/μ` and
//! multiplies by `PHI_FACTOR = 1/ln 10` so that thresholds keep the meaning
//! of the normal model's. Here the acceptable pause shifts the time axis
//! (`t = silence − pause`, no suspicion before the pause has passed) and the
//! minimum standard deviation floors μ, the exponential's standard deviation.

use super::{Fit, FitParams};
use crate::window::Window;
use std::f64::consts::LN_10;

/// Location = acceptable pause, scale = max(mean, min σ), in nanoseconds.
#[inline]
pub(crate) fn fit(window: &Window, params: &FitParams) -> Fit {
    let mean_ns = window.mean_micros() * 1e3;
    Fit::new(params.pause_ns, mean_ns.max(params.min_std_ns))
}

#[inline]
pub(crate) fn phi_from_y(y: f64) -> f64 {
    // `y > 0.0` is false for NaN, which therefore maps to 0 like a negative y.
    if y > 0.0 {
        y / LN_10
    } else {
        0.0
    }
}

pub(crate) fn y_from_phi(phi: f64) -> f64 {
    phi * LN_10
}
