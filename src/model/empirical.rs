//! The empirical accrual detector of Satzger, Pietzowski, Trumler and
//! Ungerer (2007): no fitted distribution, only the window itself.
//!
//! The probability that the next heartbeat is later than a silence `t`
//! (beyond the acceptable pause) is read off the recorded intervals. With
//! `n` of them, `c(t)` of which are at least `t` long:
//!
//! ```text
//! phi(t) = log10((n + 1) / (c(t) + 1))                     while c(t) > 0
//! phi(t) = log10(n + 1) + (t − x_max) / (s · ln 10)        beyond the longest, x_max
//! ```
//!
//! The `+ 1`s count one extra, unseen interval that is at least as long as
//! any silence reached so far and, beyond the longest recorded one, falls
//! off exponentially with the mean interval `s = max(mean, min σ)` as its
//! scale. This is the documented rule beyond the data: without it the
//! fraction drops to zero at `x_max` and phi jumps to infinity, so two silent
//! peers could not be told apart. Within the data phi is a step function
//! (flat between recorded lengths), and it never decreases.
//!
//! Satzger's suspicion level is the fraction of intervals *shorter* than the
//! silence, a probability compared with a threshold such as 0.99; phi
//! `−log10(1 − 0.99) = 2` is the same test on the log scale the other models
//! use.
//!
//! Cost: the window is mirrored in a [`SortedWindow`], so a heartbeat, a phi
//! query and a deadline each take O(log n) time, and the model keeps 16
//! more bytes per sample than the others.

use super::sorted_window::SortedWindow;
use super::{first_reaching, Fit, FitParams};
use crate::window::Window;
use std::f64::consts::LN_10;

/// Location = pause + the longest interval (where the tail starts),
/// scale = max(mean, min σ) · ln 10 (so the tail adds `standardise(t)`).
pub(crate) fn fit(window: &Window, sorted: &SortedWindow, params: &FitParams) -> Fit {
    let longest_ns = sorted.max().map_or(0.0, |v| f64::from(v) * 1e3);
    let mean_ns = window.mean_micros() * 1e3;
    Fit::new(
        params.pause_ns + longest_ns,
        mean_ns.max(params.min_std_ns) * LN_10,
    )
}

/// Phi after a silence of `elapsed_ns`; `fit` must come from [`fit`] on
/// the same window.
pub(crate) fn phi(sorted: &SortedWindow, fit: &Fit, params: &FitParams, elapsed_ns: u64) -> f64 {
    let n = sorted.len();
    let beyond = elapsed_ns.saturating_sub(params.pause_nanos);
    if n == 0 || beyond == 0 {
        return 0.0;
    }
    // Intervals are whole microseconds: x·1000 ≥ beyond ⇔ x ≥ ⌈beyond/1000⌉.
    let count =
        u32::try_from(beyond.div_ceil(1_000)).map_or(0, |least| sorted.count_at_least(least));
    let total = (n + 1) as f64;
    if count > 0 {
        (total / (count + 1) as f64).log10()
    } else {
        total.log10() + fit.standardise(elapsed_ns).max(0.0)
    }
}

/// The shortest silence at which phi reaches `threshold`, or `u64::MAX` if
/// no representable silence does.
pub(crate) fn elapsed_at(
    sorted: &SortedWindow,
    fit: &Fit,
    params: &FitParams,
    threshold: f64,
) -> u64 {
    let n = sorted.len();
    let total = (n + 1) as f64;
    let step = |count: usize| (total / (count + 1) as f64).log10();
    // A closed-form first guess; `first_reaching` then settles it against
    // `phi` itself, so the deadline and phi agree whatever the rounding.
    let guess = if n >= 2 && step(1) >= threshold {
        // The most intervals that may still be at least the silence long.
        let mut count = ((total * 10f64.powf(-threshold)).floor() as usize)
            .saturating_sub(1)
            .clamp(1, n - 1);
        while count > 1 && step(count) < threshold {
            count -= 1;
        }
        while count + 1 < n && step(count + 1) >= threshold {
            count += 1;
        }
        // Just past the (count+1)-th longest interval, only `count` remain.
        sorted.kth_largest(count + 1).map_or(0, |v| {
            params
                .pause_nanos
                .saturating_add(u64::from(v) * 1_000)
                .saturating_add(1)
        })
    } else {
        fit.elapsed_at(threshold - total.log10())
    };
    first_reaching(|e| phi(sorted, fit, params, e), threshold, guess)
}
