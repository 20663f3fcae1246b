//! The sure horizon: a lower bound on the silence at which a peer becomes
//! suspected, cheap enough that almost every heartbeat is settled by one
//! integer comparison against it; and the rounding of intervals to the
//! window's whole microseconds.
//!
//! [`QuickBound`] holds the constants, derived once per configuration and
//! threshold. It answers "surely available?" in three ways, from the cheapest
//! per call to the cheapest per heartbeat:
//!
//! * [`QuickBound::surely_available`] tests one silence against the window
//!   without a division, square root or model evaluation (the exact path's
//!   first test, and the monitor's sweep);
//! * [`QuickBound::horizon`] computes the horizon itself from the window's
//!   sums, with one square root;
//! * [`QuickBound::refresh`] computes it together with a base that keeps it
//!   valid for the next `K` recorded intervals, and [`QuickBound::amortized`]
//!   turns that base into the horizon of each of them with one
//!   multiply-add.
//!
//! Only the normal, Akka and exponential models have a bound from the sums;
//! the deadline model's is a constant, `y*·T` less the same margins (its
//! deadline reads no window). For the others every heartbeat past the
//! cached exact deadline takes the exact test. The tests of `state` check every claim below against the
//! exact, phi-calibrated deadline.
//!
//! # The deadline, and why a bound on it is safe
//!
//! With `y*` the threshold in the model's standardised units, the silence at
//! which phi reaches the threshold is `pause + mean + y*·max(σ, min σ)`
//! (normal, Akka) or `pause + y*·max(mean, min σ)` (exponential). Every
//! bound here shrinks `y*` by a relative 1e-9 and subtracts 4 ns; a horizon
//! also subtracts half a nanosecond for its final rounding to nearest (see
//! `QuickBound::whole_ns`). The window's sums are exact integers
//! (microseconds), every term of the horizon is non-negative, so there is no
//! cancellation, and below the cap [`HORIZON_MAX_NS`] (under 2^42 ns) each
//! term's rounding is under a hundredth of a nanosecond. The margins are far
//! more than that and than the exact fit's own rounding, so a bound never
//! claims availability that the exact deadline would deny; only arrivals
//! within that sliver of the deadline, or past it, pay for the exact test.
//!
//! When `y* < 0` (thresholds whose phi is reached before the mean), the
//! spread term lowers the deadline and a lower bound on σ gives no bound on
//! it: there is then no shortcut (the cap is 0 and the variance test is off).
//!
//! # The test without a square root
//!
//! With `n` samples, Σx and the exact variance numerator
//! `D = n·Σx² − (Σx)²` (µs²), `n·σ` in nanoseconds is `10³·√D`. Multiplying
//! `elapsed < pause + mean + y*·max(σ, min σ)` through by `n` gives
//! `excess = n·(elapsed − pause) − 10³·Σx < n·y*·max(σ, min σ)`. The floor
//! alone settles a negative excess and most others; for a non-negative
//! excess both sides are non-negative, so squaring keeps the order and
//! `excess² < y*²·10⁶·D` needs no root.
//!
//! # The amortised horizon
//!
//! Once a window of `n ≥ 64` samples is full, [`QuickBound::refresh`]
//! gives a base that stays valid for the next `K = n/4` recorded intervals
//! (at most 4096). The bound rests on two facts.
//!
//! * While the window is full, the next `K` pushes evict its `K` oldest
//!   samples, so every window until then contains the other `m = n − K`
//!   samples, R.
//! * Adding samples to a set never lowers its sum of squared deviations
//!   (SSD): the SSD about any centre only grows with more terms, and the SSD
//!   about the mean is the least of those.
//!
//! So each of those windows has σ² = SSD/n ≥ SSD(R)/n, whatever arrives, and
//! `y*·max(√(SSD(R)/n), min σ)` is at most its spread term. The mean is
//! exact at each push (from Σx), so `Σx·10³/n + base`, with `base` the pause
//! less the margins plus that spread bound, stays a sure horizon. SSD(R) is
//! computed exactly in integers from the window's sums less those of the `K`
//! oldest samples (`m·SSD(R) = m·Σx² − (Σx)²` over R): O(K) work once per
//! `K` heartbeats. Below 64 samples a refresh would come every few
//! heartbeats and costs more than it saves (BENCHMARKS.md, "The
//! heartbeat"), so small windows compute the exact horizon at every push.
//!
//! For the exponential model the horizon is the pause plus
//! `y*·max(mean, min σ)`; the base drops the floor (`max(a, b) ≥ a`), so it
//! never needs renewing.
//!
//! The base is stored as an `f32` rounded down, so it stays a lower bound.
//! [`f32_at_most`] does so without a branch on the rounding (which goes
//! either way half the time): it first lowers `x` by 2^-22 of its magnitude
//! and by 10^-30, more than the half unit in the last place by which
//! rounding to nearest can raise it (at most 2^-24 of the magnitude, or
//! 2^-150 among subnormals; the `f64` arithmetic itself errs by 2^-53 of
//! the magnitude). The result is within 2^-21 of `x` relative, plus about
//! 10^-30.
//!
//! # Whole microseconds
//!
//! The window stores intervals in whole microseconds, rounded to nearest:
//! `⌊(x + 500) / 1000⌋` for `x` nanoseconds, saturating at the largest
//! storable interval ([`HORIZON_MAX_NS`]).

use crate::model::{FitParams, Model};
use crate::window::{Window, MAX_INTERVAL_MICROS, MAX_SAMPLE_SIZE};

#[cfg(test)]
mod tests;

/// Cheap tests for "surely available" under one threshold, and the sure
/// horizon, for the heartbeat path and the monitor's sweep. Never claims
/// availability that the exact deadline would deny (see the module doc).
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
    /// The deadline model's horizon, `y*·T` less the margins, in ns (0
    /// for the other models): no window moves it.
    fixed_ns: f64,
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
    pub(super) budget_len: u16,
}

impl QuickBound {
    pub(super) fn new(
        model: Model,
        fit: &FitParams,
        y_threshold: f64,
        capacity: usize,
    ) -> QuickBound {
        let full_len = capacity.clamp(1, MAX_SAMPLE_SIZE) as u32;
        let unit_full = 1e3 / f64::from(full_len);
        const SHRINK: f64 = 1.0 - 1e-9;
        let usable = y_threshold >= 0.0 && y_threshold.is_finite();
        let y_shrunk = if usable { y_threshold * SHRINK } else { 0.0 };
        let budget_len = match model {
            // A quarter of the window. Below 64 samples a refresh comes too
            // often to pay for itself (BENCHMARKS.md, "The heartbeat").
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
            fixed_ns: match model {
                Model::Deadline => y_shrunk * fit.timeout_ns - (4.0 + 0.5),
                _ => 0.0,
            },
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
    /// exact deadline (why: the module doc). Capped at [`HORIZON_MAX_NS`].
    ///
    /// It costs a square root (and a division while the window fills), no
    /// search and no model evaluation.
    #[inline]
    pub(super) fn horizon(&self, window: &Window) -> u64 {
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
            Model::Deadline => self.fixed_ns,
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
    pub(super) fn amortized(&self, window: &Window, base: f32) -> u64 {
        // Σx < 2^56, so the signed conversion is exact.
        let sum = window.sum_micros() as i64 as f64;
        self.whole_ns(sum * self.amortized_unit + f64::from(base))
    }

    /// The sure horizon of `window`, and a `base` for
    /// [`QuickBound::amortized`] with the number of recorded intervals it
    /// stays valid for (counting this one; 0 or 1: call again after the
    /// next one). Only for models with a budget (`budget_len > 0`). While
    /// the window fills, and always for windows under 64 samples, the
    /// horizon is [`QuickBound::horizon`]'s and there is no base.
    ///
    /// The base is the pause less the margins plus a lower bound on the
    /// spread term of the next `K` windows, from the samples R they all
    /// share: why it holds is in the module doc ("The amortised horizon").
    #[cold]
    #[inline(never)]
    pub(super) fn refresh(&self, window: &Window) -> (u64, u16, f32) {
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

    /// Whether a silence of `elapsed_ns` after the last arrival of `window`
    /// is surely before the deadline: the test without a square root of the
    /// module doc. `false` means "maybe not, ask exactly".
    #[inline]
    pub(super) fn surely_available(&self, elapsed_ns: u64, window: &Window) -> bool {
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
                // excess = n·(elapsed − pause) − 10³·Σx < n·y*·max(σ, min σ):
                // the floor, or the variance squared (see the module doc).
                let excess = beyond_pause - 1e3 * sum;
                excess < self.min_scaled * n
                    || (excess * excess < self.var_factor * window.variance_numerator()
                        && self.usable)
            }
            // elapsed < pause + y*·max(mean, min σ), times n.
            Model::Exponential => {
                beyond_pause < self.exp_factor * sum || beyond_pause < self.min_scaled * n
            }
            // `elapsed` carries the 4 ns margin already.
            Model::Deadline => elapsed < self.fixed_ns,
            // No cheap bound: the exact (cached) deadline decides.
            _ => false,
        }
    }
}

/// An `f32` not above `x`, within 2^-21 of it relative (plus about 10^-30), for
/// finite `x` of magnitude below 10^30: lowered by more than rounding to
/// nearest can raise it (the argument is in the module doc).
fn f32_at_most(x: f64) -> f32 {
    (x - x.abs() * (1.0 / (1u64 << 22) as f64) - 1e-30) as f32
}

/// Nanoseconds to whole microseconds, rounded to nearest, saturating at the
/// window's largest storable interval.
#[inline]
pub(super) fn micros_saturating(nanos: u64) -> u32 {
    // Below the cap the quotient is at most `u32::MAX`.
    ((nanos.min(HORIZON_MAX_NS) + 500) / 1_000) as u32
}

/// The largest sure horizon: the longest interval that rounds to a storable
/// number of microseconds (71.6 minutes). Below it, intervals need no
/// saturation.
pub(super) const HORIZON_MAX_NS: u64 = MAX_INTERVAL_MICROS as u64 * 1_000 + 499;
