//! The normal model of Hayashibara et al. 2004, with an exact tail.
//!
//! phi(y) = −log10 Q(y), where Q is the upper tail of the standard normal
//! distribution. The tail itself is computed in log space by
//! [`super::normal_tail`], so phi is finite and accurate for every silence.

use super::{normal_tail, Fit, FitParams};
use crate::window::Window;

/// Location = mean + acceptable pause, scale = max(σ, min σ), in nanoseconds.
///
/// Shared with the Akka model, which differs only in its phi function.
///
/// The inverse scale is computed as n / max(√(n²σ²), n · min σ), with n²σ²
/// the window's exact variance numerator: one square root and one division.
/// A sweep of a live monitor computes a fit for every peer heard from since
/// the last sweep, and the divider is then its bottleneck.
#[inline]
pub(crate) fn fit(window: &Window, params: &FitParams) -> Fit {
    let mean_ns = window.mean_micros() * 1e3;
    // An empty window (not monitoring) gets min σ, like any window of
    // identical samples.
    let n = window.count().max(1.0);
    let n_std_ns = window.variance_numerator().sqrt() * 1e3;
    let inv_scale = n / n_std_ns.max(params.min_std_ns * n);
    Fit {
        location: mean_ns + params.pause_ns,
        inv_scale,
    }
}

#[inline]
pub(crate) fn phi_from_y(y: f64) -> f64 {
    normal_tail::phi_from_z(y)
}

pub(crate) fn y_from_phi(phi: f64) -> f64 {
    normal_tail::z_from_phi(phi)
}
