//! 2W-FD (Tomsic, Sens, Garcia, Arantes, Sopena 2015): Chen's expected
//! arrival over two windows, the later of the two, plus a margin.
//!
//! A long window (the detector's `max_sample_size`) gives a steady estimate;
//! a short one (`short_window` arrivals, 1 by default) reacts at once when
//! the link suddenly slows down. Taking the later expected arrival keeps the
//! detector conservative right after such a change, when the long window
//! alone would still expect the old, faster rhythm. Both use the sending
//! period estimated from the long window; with a short window of one
//! arrival (the default) the short estimate is simply the last arrival
//! plus that period. The level and threshold are those
//! of [`super::chen`]: milliseconds past the expected arrival, so the
//! threshold is the margin α.

use super::chen::LEVEL_UNIT_NS;
use super::expected_arrival::Lag;
use super::{Fit, FitParams};

/// Location = later of the two expected arrivals + pause, scale = 1 ms.
pub(crate) fn fit(long: &Lag, short: &Lag, params: &FitParams) -> Fit {
    let eta = long.period_micros();
    let expected = long.expected_micros(eta).max(short.expected_micros(eta));
    Fit::new(expected * 1e3 + params.pause_ns, LEVEL_UNIT_NS)
}
