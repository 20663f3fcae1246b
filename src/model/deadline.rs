//! The fixed-timeout detector of Akka and Hazelcast: suspect a peer once its
//! silence reaches the heartbeat interval plus the acceptable pause.
//!
//! Akka's `DeadlineFailureDetector` (configured by `heartbeat-interval` and
//! `acceptable-heartbeat-pause`) holds a peer available while
//! `last heartbeat + heartbeat interval + acceptable pause > now`, strictly;
//! Hazelcast's `deadline` detector, its default, while
//! `last heartbeat + max.no.heartbeat.seconds > now`. Here the timeout is
//! `T = first_heartbeat_estimate + acceptable_pause`, and the suspicion level
//! is the silence in units of that timeout:
//!
//! ```text
//! level = silence / T
//! ```
//!
//! so threshold 1 is the published detector: suspected from a silence of
//! exactly `T` on, available one nanosecond before. As a location–scale
//! model the location and the scale are both `T`, the standardised silence
//! `y = (silence − T) / T` is the overrun in timeouts, and the level is
//! `1 + y`. It is computed as the quotient itself, rounded once, rather
//! than through a multiplication by `1/T` (whose rounding can put `T · (1/T)`
//! below 1): the level is then exactly 1 at `T`, exactly 0 at the last
//! heartbeat, and `k` at `k·T` for every whole `k` (below 2^52 ns, 52
//! days, where consecutive nanoseconds still give distinct quotients).
//!
//! Why this level rather than the two obvious others:
//!
//! * Hazelcast reports 0 before the deadline and 1 after. A step gives
//!   every threshold the same deadline (a monitor's escalating levels would
//!   all fire at once) and none at all to thresholds above the step.
//! * The margin models' "milliseconds past the deadline" (see `chen`)
//!   reaches a positive threshold only after the deadline, so no setting
//!   gives the published detector exactly.
//!
//! The quotient is monotone (a division by a positive constant, rounded to
//! nearest), finite (at most 2^64 / 1) and never NaN (`T ≥ 1 ns`), its
//! deadline is closed-form (`threshold · T`, settled to the nanosecond by the
//! same division), and it says how far a peer is from its timeout (0.5:
//! halfway) and past it (2: twice the timeout).
//!
//! The model learns nothing: the window, the bootstrap and the no-learning
//! rule still run (so statistics and snapshots are those of any model), but
//! the fit reads only the configuration.

use super::{first_reaching, Fit, FitParams};

/// Location = scale = the timeout `T`, heartbeat interval + pause.
#[inline]
pub(crate) fn fit(params: &FitParams) -> Fit {
    Fit::new(params.timeout_ns, params.timeout_ns)
}

/// The level after a silence of `elapsed_ns`: `elapsed_ns / T`, with `T` the
/// location of `fit` (from [`fit`]).
#[inline]
pub(crate) fn phi(fit: &Fit, elapsed_ns: u64) -> f64 {
    elapsed_ns as f64 / fit.location
}

/// The shortest silence at which [`phi`] reaches `level`, or `u64::MAX` if
/// no representable silence does.
#[inline]
pub(crate) fn elapsed_at(fit: &Fit, level: f64) -> u64 {
    // The closed form, then `first_reaching` settles the last nanosecond
    // against `phi` itself (two evaluations when the guess is right), so
    // deadline and level agree whatever the rounding. A float-to-integer
    // `as` saturates, so a guess past the clock's range is `u64::MAX`.
    let guess = (level * fit.location) as u64;
    first_reaching(|e| phi(fit, e), level, guess)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(timeout_ns: f64) -> FitParams {
        FitParams {
            pause_ns: 0.0,
            pause_nanos: 0,
            min_std_ns: 1.0,
            timeout_ns,
        }
    }

    #[test]
    fn the_level_is_the_silence_in_timeouts() {
        // Akka's cluster defaults as a deadline: 1 s interval + 3 s pause.
        let fit = fit(&params(4e9));
        assert_eq!(phi(&fit, 0), 0.0);
        assert_eq!(phi(&fit, 2_000_000_000), 0.5);
        assert_eq!(phi(&fit, 4_000_000_000), 1.0);
        assert!(phi(&fit, 3_999_999_999) < 1.0);
        assert_eq!(phi(&fit, 12_000_000_000), 3.0);
        assert!(phi(&fit, u64::MAX).is_finite());
    }

    #[test]
    fn deadlines_are_whole_timeouts_to_the_nanosecond() {
        // 49 ns: 49 · (1/49) rounds below 1, the quotient does not.
        for timeout in [1.0, 49.0, 49e6, 4e9, 60e9, 123_456_789.0] {
            let fit = fit(&params(timeout));
            for k in [1u64, 2, 3, 7, 10] {
                assert_eq!(
                    elapsed_at(&fit, k as f64),
                    k * timeout as u64,
                    "{timeout} × {k}"
                );
            }
            // A fractional threshold: the first nanosecond at or past it.
            let e = elapsed_at(&fit, 0.3);
            assert!(phi(&fit, e) >= 0.3 && (e == 0 || phi(&fit, e - 1) < 0.3));
        }
        assert_eq!(elapsed_at(&fit(&params(4e9)), 1e300), u64::MAX);
    }
}
