//! Chen's expected arrival time, kept in O(1) per heartbeat.
//!
//! Chen, Toueg and Aguilera (2002) estimate the next arrival from the last
//! `n` arrivals `A_i`, their sequence numbers `I_i` and the sending period
//! `η`:
//!
//! ```text
//! EA_{k+1} = (1/n) · Σ_i (A_i − η·I_i) + (I_k + 1)·η
//! ```
//!
//! A detector fed timestamps only has no sequence numbers. It reconstructs
//! them from the configured first heartbeat estimate `P` (the interval the
//! peer is expected to send at): an interval `x` stands for
//! `s = max(1, ⌊x/P + 1/4⌋)` sending periods, so a lost heartbeat (an
//! interval of about `2P`) advances the sequence by two, as it would with
//! real sequence numbers, while a heartbeat delayed by up to three quarters
//! of a period still counts as one. (Rounding to the nearest whole period
//! counted a heartbeat delayed by more than half a period as two, and the
//! short interval after it as one more: three periods for two, which
//! pulled the estimate early for a whole window; on the WAN link model
//! of `papers/models-compared.md` the 1/4 rule cut Chen's mistakes at fast
//! settings to a third.) The period itself is then estimated from the data,
//! `η = Σx / Σs` over the window: the mean time per sending period. Relative
//! to the last arrival `A_k` the formula becomes
//!
//! ```text
//! EA_{k+1} − A_k = η · (1 + R_s/n) − R/n
//! ```
//!
//! where `R = Σ_i (A_k − A_i)` is the total lag of the window's arrivals
//! behind the last one, in time, and `R_s = Σ_i (I_k − I_i)` the same in
//! sending periods. Over the intervals `x_1` (oldest) to `x_m` (newest),
//! `n = m + 1`, they are `R = Σ_q q·x_q` and `R_s = Σ_q q·s_q`, which
//! [`Lag`] keeps exactly, in integers, with a few operations per heartbeat.
//!
//! With [`Period::Fixed`](crate::Period::Fixed) `η` is `P` itself, as in
//! Chen's paper, instead of `Σx / Σs`.
//!
//! When the heartbeats carry the sender's sequence numbers
//! (`Detector::heartbeat_seq`), `s` is the difference of the numbers
//! instead of the reconstruction, exactly as in the paper. The leaving
//! interval's `s` can then no longer be recomputed from its length, so the
//! span keeps the `s` of each of its intervals in a ring of `u32`, allocated
//! at the first sequence number given (4 more bytes per sample, for these
//! models only and only once numbers are given).
//!
//! With equal intervals the estimate is exactly one interval; a lost
//! heartbeat leaves it unchanged. If `P` is far too large every interval
//! counts as one period and `η` is the mean interval; if the peer slows
//! down for good to 1.75 `P` or more, its heartbeats look like losses and
//! keep arriving later than expected, as they would for Chen's detector
//! with a wrong `η`. `Config::for_interval` sets `P` to the interval.

use crate::window::{u128_to_f64, Window};
use std::collections::VecDeque;

/// Chen's sums over the last `span` intervals of a window, maintained
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
    /// `R_s = Σ q·s_q`, in sending periods.
    steps_lag: u128,
    /// `Σ s_q`, in sending periods.
    steps: u64,
    /// Number of intervals in the span, at most `span`.
    len: u32,
    /// Largest number of intervals the span covers.
    span: u32,
    /// The configured sending period `P`, in microseconds, at least 1.
    period_us: u64,
    /// Whether `η` is `P` ([`Period::Fixed`](crate::Period::Fixed)) rather
    /// than `Σx / Σs`.
    fixed_period: bool,
    /// The sending periods of each interval in the span, oldest first,
    /// once a sequence number has been given (`None` before: every `s`
    /// is then `steps_of` its interval and needs no storing).
    given: Option<VecDeque<u32>>,
}

impl Lag {
    /// Sums over the last `span` intervals (0 for a span of only the last
    /// arrival), counting sending periods of `period_us` microseconds.
    pub(crate) fn new(span: usize, period_us: u64, fixed_period: bool) -> Lag {
        Lag {
            span: u32::try_from(span).unwrap_or(u32::MAX),
            period_us: period_us.max(1),
            fixed_period,
            ..Lag::default()
        }
    }

    /// Sending periods an interval of `x` microseconds stands for:
    /// `max(1, ⌊x/P + 1/4⌋)`.
    #[inline]
    fn steps_of(&self, x: u64) -> u64 {
        ((x + self.period_us / 4) / self.period_us).max(1)
    }

    /// Accounts for `x` about to be pushed into `window` (which must not yet
    /// hold it), `steps` sending periods long if the sequence numbers said
    /// so (`None`: reconstructed from `x`). O(1).
    #[inline]
    pub(crate) fn before_push(&mut self, window: &Window, x: u32, steps: Option<u64>) {
        if self.span == 0 {
            return;
        }
        if steps.is_some() && self.given.is_none() {
            self.start_given(window);
        }
        let x = u64::from(x);
        // At most 2^32 periods per interval: the sums keep their bounds.
        let s = steps.map_or_else(|| self.steps_of(x), |s| s.clamp(1, u64::from(u32::MAX)));
        if let Some(given) = &mut self.given {
            given.push_back(s as u32);
        }
        if self.len < self.span {
            // One more arrival: every earlier one lags `x` further behind.
            let arrivals = u128::from(self.len + 1);
            self.lag += arrivals * u128::from(x);
            self.steps_lag += arrivals * u128::from(s);
            self.sum += x;
            self.steps += s;
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
            let len = u128::from(self.len);
            self.lag = self.lag + len * u128::from(x) - u128::from(self.sum);
            self.steps_lag = self.steps_lag + len * u128::from(s) - u128::from(self.steps);
            let leaving_steps = match &mut self.given {
                Some(given) => given.pop_front().map_or(0, u64::from),
                None => self.steps_of(leaving),
            };
            self.sum = self.sum + x - leaving;
            self.steps = self.steps + s - leaving_steps;
        }
    }

    /// Starts keeping the span's steps: those of the intervals already in
    /// it were reconstructed, and are reconstructed once more here.
    #[cold]
    fn start_given(&mut self, window: &Window) {
        let mut given = VecDeque::with_capacity((self.span as usize).min(window.capacity()) + 1);
        for k in (0..self.len as usize).rev() {
            let x = window.newest(k).map_or(0, u64::from);
            given.push_back(self.steps_of(x) as u32);
        }
        self.given = Some(given);
    }

    /// The sending periods of the span's intervals, oldest first, once a
    /// sequence number has given any (`None` before: they are then
    /// reconstructed from the intervals).
    #[cfg(feature = "serde")]
    pub(crate) fn given_steps(&self) -> Option<Vec<u32>> {
        self.given.as_ref().map(|g| g.iter().copied().collect())
    }

    /// Back to an empty span.
    pub(crate) fn clear(&mut self) {
        *self = Lag::new(self.span as usize, self.period_us, self.fixed_period);
    }

    /// The configured sending period `P`, in microseconds.
    #[inline]
    pub(crate) fn configured_period_micros(&self) -> f64 {
        self.period_us as f64
    }

    /// The sending period `η` in microseconds: `P` with a fixed period,
    /// else `Σx / Σs` over the span (0 for an empty span).
    #[inline]
    pub(crate) fn period_micros(&self) -> f64 {
        if self.fixed_period {
            self.period_us as f64
        } else if self.steps == 0 {
            0.0
        } else {
            self.sum as f64 / self.steps as f64
        }
    }

    /// `EA − A_k` in microseconds for the sending period `eta`:
    /// `η·(1 + R_s/n) − R/n` with `n` the arrivals in the span.
    ///
    /// In `f64`: the two terms are close (both about `η·n/2`), so the
    /// difference carries an absolute error near `η·n·2⁻⁵³`, below a
    /// nanosecond for any window up to 2^24 samples of intervals up to an
    /// hour, and the integer sums it starts from never drift.
    #[inline]
    pub(crate) fn expected_micros(&self, eta: f64) -> f64 {
        let n = f64::from(self.len) + 1.0;
        eta * (1.0 + u128_to_f64(self.steps_lag) / n) - u128_to_f64(self.lag) / n
    }

    /// [`Lag::expected_micros`] with the period estimated over this span
    /// (the whole window, for Chen's and Bertier's detectors).
    #[inline]
    pub(crate) fn expected_after_last(&self) -> f64 {
        self.expected_micros(self.period_micros())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chen's formula evaluated literally from arrival times and
    /// reconstructed sequence numbers, for comparison.
    fn literal(intervals: &[u32], span: usize, period: u64) -> f64 {
        let steps = |x: u32| ((u64::from(x) + period / 4) / period).max(1);
        let mut arrivals = vec![(0.0f64, 0u64)];
        for &x in intervals {
            let (a, i) = *arrivals.last().unwrap();
            arrivals.push((a + f64::from(x), i + steps(x)));
        }
        let eta = intervals.iter().map(|&x| f64::from(x)).sum::<f64>()
            / intervals.iter().map(|&x| steps(x)).sum::<u64>() as f64;
        let n = (span + 1).min(arrivals.len());
        let (last, last_index) = *arrivals.last().unwrap();
        let window = &arrivals[arrivals.len() - n..];
        let mean: f64 = window.iter().map(|&(a, i)| a - eta * i as f64).sum::<f64>() / n as f64;
        mean + (last_index + 1) as f64 * eta - last
    }

    fn fed(capacity: usize, span: usize, period: u64, xs: &[u32]) -> (Window, Lag, Lag) {
        let mut w = Window::with_capacity(capacity);
        let mut long = Lag::new(capacity, period, false);
        let mut lag = Lag::new(span, period, false);
        for &x in xs {
            long.before_push(&w, x, None);
            lag.before_push(&w, x, None);
            w.push(x);
        }
        (w, long, lag)
    }

    #[test]
    fn equal_intervals_expect_one_interval() {
        let (_, long, short) = fed(10, 3, 100, &[100; 25]);
        assert_eq!(long.expected_after_last(), 100.0);
        assert_eq!(short.expected_micros(long.period_micros()), 100.0);
    }

    #[test]
    fn hand_calculated_examples() {
        // Arrivals 0, 100, 300, 400 (intervals 100, 200, 100). With period
        // 100 the 200 is two periods (a lost heartbeat): indices 0, 1, 3, 4,
        // η = 400/4 = 100, A_i − η·I_i = 0 throughout, EA = 5η = 500, i.e.
        // one period after the last arrival.
        let (_, long, _) = fed(3, 3, 100, &[100, 200, 100]);
        assert!((long.expected_after_last() - 100.0).abs() < 1e-9);
        // With a period so long that every interval is one step: indices
        // 0..3, η = 400/3, A_i − η·I_i = 0, −100/3, 100/3, 0 with mean 0,
        // EA = 4η = 1600/3, i.e. 400/3 after the last arrival.
        let (_, long, _) = fed(3, 3, 1_000, &[100, 200, 100]);
        assert!((long.expected_after_last() - 400.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn a_delayed_heartbeat_counts_one_period_a_lost_one_two() {
        let lag = Lag::new(4, 100, false);
        assert_eq!(lag.steps_of(174), 1); // delayed by 0.74 P
        assert_eq!(lag.steps_of(175), 2); // from 1.75 P: a lost heartbeat
        assert_eq!(lag.steps_of(200), 2);
        assert_eq!(lag.steps_of(274), 2);
        assert_eq!(lag.steps_of(275), 3);
        assert_eq!(lag.steps_of(30), 1); // never less than one
                                         // Delayed by 0.6 P, then the next on time: two periods for two
                                         // intervals. Over the 23 arrivals, A_i − η·I_i is 0 except 60 for
                                         // the delayed one, so EA is one period plus 60/23 after the last.
        let mut xs = vec![100u32; 20];
        xs.extend([160, 40]);
        let (_, long, _) = fed(1000, 1000, 100, &xs);
        assert!((long.expected_after_last() - (100.0 + 60.0 / 23.0)).abs() < 1e-9);
    }

    #[test]
    fn a_lost_heartbeat_does_not_move_the_estimate() {
        // 999 intervals of 100 and one of 200 (a lost heartbeat), newest,
        // in the middle, and about to leave: one period each time.
        let mut xs = vec![100u32; 999];
        xs.push(200);
        for extra in [0, 500, 999] {
            let mut ys = xs.clone();
            ys.extend(std::iter::repeat_n(100, extra));
            let (_, long, _) = fed(1000, 1000, 100, &ys);
            assert!((long.expected_after_last() - 100.0).abs() < 1e-6, "{extra}");
        }
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn matches_the_literal_formula_while_sliding() {
        let xs: Vec<u32> = (0..200u32)
            .map(|i| 900 + (i * 7919) % 250 + if i % 17 == 0 { 1000 } else { 0 })
            .collect();
        for period in [1, 1000, 5000] {
            for capacity in [1, 2, 5, 16] {
                for span in [0, 1, 3, capacity] {
                    if span > capacity {
                        continue;
                    }
                    for len in 1..xs.len() {
                        let (_, long, lag) = fed(capacity, span, period, &xs[..len]);
                        let start = len.saturating_sub(capacity);
                        let want = literal(&xs[start..len], span, period);
                        let got = lag.expected_micros(long.period_micros());
                        assert!(
                            (got - want).abs() < 1e-6,
                            "period {period} capacity {capacity} span {span} len {len}: {got} vs {want}"
                        );
                    }
                }
            }
        }
    }
}
