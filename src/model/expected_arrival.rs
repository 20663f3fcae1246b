//! Chen's expected arrival time, kept in O(1) per heartbeat.
//!
//! Chen, Toueg and Aguilera (2002) estimate the next arrival from the last
//! `n` arrivals `A_i` and the sending period `η`:
//!
//! ```text
//! EA_{k+1} = (1/n) · Σ_{i=k−n+1..k} (A_i − η·i) + (k+1)·η
//! ```
//!
//! A detector fed timestamps only has no sequence numbers, so `i` counts
//! arrivals and `η` is estimated as the mean recorded interval (a lost
//! heartbeat then shows as a long interval, which raises η a little instead
//! of shifting every later index). Relative to the last arrival `A_k` the
//! formula becomes
//!
//! ```text
//! EA_{k+1} − A_k = η·(n+1)/2 − R/n,    R = Σ_i (A_k − A_i)
//! ```
//!
//! and `R`, the total lag of the window's arrivals behind the last one, is
//! `Σ_q q·x_q` over the intervals `x_1` (oldest) to `x_m` (newest), `n = m+1`.
//! [`Lag`] keeps `R` exactly, in integer microseconds, with two operations
//! per heartbeat; with equal intervals `x` the estimate is exactly `x`.

use crate::window::{u128_to_f64, Window};

/// The lag sum `R` of the last `span` intervals of a window, maintained
/// alongside it (see the module documentation).
///
/// `span` may be smaller than the window (2W-FD's short window); the
/// interval leaving the span is then read from the window's ring.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Lag {
    /// `R = Σ q·x_q` over the intervals in the span, in microseconds.
    /// Below 2^24·2^24·2^32 = 2^80: a `u128` holds it exactly.
    lag: u128,
    /// `Σ x_q` over the intervals in the span, in microseconds.
    sum: u64,
    /// Number of intervals in the span, at most `span`.
    len: u32,
    /// Largest number of intervals the span covers.
    span: u32,
}

impl Lag {
    /// A lag sum over the last `span` intervals (0 for a span of only the
    /// last arrival).
    pub(crate) fn new(span: usize) -> Lag {
        Lag {
            span: u32::try_from(span).unwrap_or(u32::MAX),
            ..Lag::default()
        }
    }

    /// Accounts for `x` about to be pushed into `window` (which must not yet
    /// hold it). O(1).
    #[inline]
    pub(crate) fn before_push(&mut self, window: &Window, x: u32) {
        if self.span == 0 {
            return;
        }
        let x = u64::from(x);
        if self.len < self.span {
            // One more arrival: every earlier one lags `x` further behind.
            self.lag += u128::from(self.len + 1) * u128::from(x);
            self.sum += x;
            self.len += 1;
        } else {
            // The oldest arrival of the span leaves; it lagged `sum + x`
            // behind the new one, and takes the span's oldest interval with it.
            let leaving = if self.span as usize >= window.capacity() {
                window.next_evicted()
            } else {
                window.newest(self.span as usize - 1)
            }
            .map_or(0, u64::from);
            self.lag = self.lag + u128::from(self.len) * u128::from(x) - u128::from(self.sum);
            self.sum = self.sum + x - leaving;
        }
    }

    /// Back to an empty span.
    pub(crate) fn clear(&mut self) {
        *self = Lag::new(self.span as usize);
    }

    /// `EA − A_k` in microseconds for a sending period estimated from
    /// `window` (its mean interval): `η·(k+2)/2 − R/(k+1)` with `k` the
    /// intervals in the span.
    ///
    /// In `f64`: the two terms are close (both about `η·k/2`), so the
    /// difference carries an absolute error near `η·k·2⁻⁵³`, below a
    /// nanosecond for any window up to 2^24 samples of intervals up to an
    /// hour, and the integer sums it starts from never drift.
    #[inline]
    pub(crate) fn expected_micros(&self, window: &Window) -> f64 {
        let m = window.len();
        if m == 0 {
            return 0.0;
        }
        let eta = window.sum_micros() as f64 / m as f64;
        let k = f64::from(self.len);
        eta * (k + 2.0) * 0.5 - u128_to_f64(self.lag) / (k + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chen's formula evaluated literally from arrival times, for comparison.
    fn literal(intervals: &[u32], span: usize) -> f64 {
        let mut arrivals = vec![0.0f64];
        for &x in intervals {
            arrivals.push(arrivals.last().unwrap() + f64::from(x));
        }
        let eta = intervals.iter().map(|&x| f64::from(x)).sum::<f64>() / intervals.len() as f64;
        let n = (span + 1).min(arrivals.len());
        let k = arrivals.len() - 1;
        let window = &arrivals[arrivals.len() - n..];
        let first = k + 1 - n;
        let mean: f64 = window
            .iter()
            .enumerate()
            .map(|(j, a)| a - eta * (first + j) as f64)
            .sum::<f64>()
            / n as f64;
        mean + (k + 1) as f64 * eta - arrivals[k]
    }

    fn fed(capacity: usize, span: usize, xs: &[u32]) -> (Window, Lag) {
        let mut w = Window::with_capacity(capacity);
        let mut lag = Lag::new(span);
        for &x in xs {
            lag.before_push(&w, x);
            w.push(x);
        }
        (w, lag)
    }

    #[test]
    fn equal_intervals_expect_one_interval() {
        let (w, lag) = fed(10, 10, &[100; 25]);
        assert_eq!(lag.expected_micros(&w), 100.0);
        let (w, lag) = fed(10, 3, &[100; 25]);
        assert_eq!(lag.expected_micros(&w), 100.0);
    }

    #[test]
    fn hand_calculated_example() {
        // Arrivals 0, 100, 300, 400 (intervals 100, 200, 100): η = 400/3,
        // A_i − η·i = 0, −100/3, 100/3, 0 with mean 0, so EA = 4η = 1600/3
        // and EA − A_k = 1600/3 − 400 = 400/3.
        let (w, lag) = fed(3, 3, &[100, 200, 100]);
        assert!((lag.expected_micros(&w) - 400.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn matches_the_literal_formula_while_sliding() {
        let xs: Vec<u32> = (0..200u32).map(|i| 900 + (i * 7919) % 250).collect();
        for capacity in [1, 2, 5, 16] {
            for span in [0, 1, 3, capacity] {
                if span > capacity {
                    continue;
                }
                for len in 1..xs.len() {
                    let (w, lag) = fed(capacity, span, &xs[..len]);
                    let start = len.saturating_sub(capacity);
                    let want = literal(&xs[start..len], span);
                    let got = lag.expected_micros(&w);
                    assert!(
                        (got - want).abs() < 1e-6,
                        "capacity {capacity} span {span} len {len}: {got} vs {want}"
                    );
                }
            }
        }
    }
}
