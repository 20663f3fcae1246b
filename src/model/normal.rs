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
#[inline]
pub(crate) fn fit(window: &Window, params: &FitParams) -> Fit {
    let mean_ns = window.mean_micros() * 1e3;
    let std_ns = window.std_dev_micros() * 1e3;
    Fit::new(mean_ns + params.pause_ns, std_ns.max(params.min_std_ns))
}

#[inline]
pub(crate) fn phi_from_y(y: f64) -> f64 {
    normal_tail::phi_from_z(y)
}

pub(crate) fn y_from_phi(phi: f64) -> f64 {
    normal_tail::z_from_phi(phi)
}
