//! Chen, Toueg and Aguilera's detector (2002): expected arrival plus a
//! constant safety margin.
//!
//! The next heartbeat is expected at Chen's `EA` (see [`super::expected_arrival`]);
//! the peer is suspected once the silence passes `EA + α`. As a suspicion
//! level this model reports how far the silence has run past the expected
//! arrival (and the acceptable pause), in milliseconds:
//!
//! ```text
//! level = max(silence − (EA − A_last) − pause, 0) / 1 ms
//! ```
//!
//! so a threshold *is* Chen's margin α, in milliseconds. The level is not a
//! probability: it grows linearly with the silence and says nothing about
//! jitter, which is what the phi models add.

use super::expected_arrival::Lag;
use super::{Fit, FitParams};

/// One millisecond, the unit of the suspicion level, in nanoseconds.
pub(crate) const LEVEL_UNIT_NS: f64 = 1e6;

/// Location = expected arrival + pause, scale = 1 ms.
pub(crate) fn fit(lag: &Lag, params: &FitParams) -> Fit {
    Fit::new(
        lag.expected_after_last() * 1e3 + params.pause_ns,
        LEVEL_UNIT_NS,
    )
}

/// The level of the margin models: the standardised silence, never negative.
#[inline]
pub(crate) fn level_from_y(y: f64) -> f64 {
    // `y > 0.0` is false for NaN, which therefore maps to 0.
    if y > 0.0 {
        y
    } else {
        0.0
    }
}
