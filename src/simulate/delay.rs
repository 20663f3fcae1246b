//! One-way network delay: a fixed propagation delay plus a queueing excess
//! that is log-normal, autocorrelated from one heartbeat to the next, and
//! occasionally hit by a heavy-tailed spike; optionally switched between
//! regimes of higher delay.
//!
//! The excess of heartbeat `i` is `median · e^(sigma · x_i)` where `x` is a
//! first-order autoregressive process with standard normal marginals,
//! `x_i = ρ x_{i−1} + √(1 − ρ²) z_i`. Real delays are autocorrelated (a slow
//! period lasts seconds), and a window-based estimator fed independent
//! samples would see an unrealistically calm network. With probability
//! `spike_probability` a Pareto spike is added, then the excess is capped.
//!
//! During a [regime](Regimes) the base delay and the excess are multiplied
//! by factors drawn for that regime, as when a route changes or a link
//! congests for minutes.

use super::episodes::{EpisodeLaw, Episodes};
use super::rng::{Chance, Rng};

/// The one-way delay law.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Delay {
    /// The smallest delay (propagation and transmission), in ms. From 0 to
    /// one day.
    pub base_ms: f64,
    /// Median of the queueing excess above the base, in ms. From 0 to one day.
    pub median_excess_ms: f64,
    /// Standard deviation of the log of the excess. From 0 to 5.
    pub excess_sigma: f64,
    /// Correlation of the log-excess between consecutive heartbeats. From 0
    /// (independent) to 1 (constant); the log-excess forgets its past over
    /// about `1 / (1 − correlation)` heartbeats.
    pub correlation: f64,
    /// Probability that a heartbeat's excess gets a heavy-tailed spike.
    /// From 0 to 1.
    pub spike_probability: f64,
    /// Smallest spike, in ms (Pareto scale). From 0 to one day.
    pub spike_min_ms: f64,
    /// Pareto shape of the spikes: P(spike > x) = (spike_min_ms / x)^alpha.
    /// Smaller is heavier. From 0.5 to 100.
    pub spike_alpha: f64,
    /// Largest excess, spikes included, in ms. From 0 to one day.
    pub max_excess_ms: f64,
}

/// Regimes of degraded delay: route changes, congestion episodes.
///
/// Each regime lasts a uniform duration in `[min_ms, max_ms]` and multiplies
/// the base delay by a factor uniform in `[base_factor_min, base_factor_max]`
/// and the excess by one uniform in `[excess_factor_min, excess_factor_max]`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Regimes {
    /// Regimes starting per hour outside regimes. Above 0, at most 3600.
    pub per_hour: f64,
    /// Shortest regime, in ms. From 0 to one day.
    pub min_ms: f64,
    /// Longest regime, in ms. From `min_ms` to one day.
    pub max_ms: f64,
    /// Smallest factor on the base delay. From 0 to 100.
    pub base_factor_min: f64,
    /// Largest factor on the base delay. From `base_factor_min` to 100.
    pub base_factor_max: f64,
    /// Smallest factor on the excess. From 0 to 100.
    pub excess_factor_min: f64,
    /// Largest factor on the excess. From `excess_factor_min` to 100.
    pub excess_factor_max: f64,
}

/// The factors of a regime: on the base delay, and on the excess.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Factors {
    base: f64,
    excess: f64,
}

impl Default for Factors {
    fn default() -> Self {
        Factors {
            base: 1.0,
            excess: 1.0,
        }
    }
}

impl EpisodeLaw for Regimes {
    type Payload = Factors;

    fn per_hour(&self) -> f64 {
        self.per_hour
    }

    fn draw(&self, rng: &mut Rng) -> (f64, Factors) {
        let ms = rng.uniform_between(self.min_ms, self.max_ms);
        let factors = Factors {
            base: rng.uniform_between(self.base_factor_min, self.base_factor_max),
            excess: rng.uniform_between(self.excess_factor_min, self.excess_factor_max),
        };
        (ms * 1e6, factors)
    }
}

/// The delays of one node's heartbeats, in send order.
pub(crate) struct DelayProcess {
    base_ns: f64,
    median_ns: f64,
    sigma: f64,
    correlation: f64,
    /// √(1 − ρ²): keeps the log-excess's marginal standard normal.
    innovation: f64,
    spike: Chance,
    spike_min_ns: f64,
    spike_alpha: f64,
    max_excess_ns: f64,
    /// The autoregressive state, standard normal.
    x: f64,
    rng: Rng,
    regimes: Episodes<Regimes>,
}

impl DelayProcess {
    /// Delays of `delay`, with `regimes` starting before `end` ns.
    pub(crate) fn new(
        delay: &Delay,
        regimes: Option<Regimes>,
        end: u64,
        mut rng: Rng,
        regime_rng: Rng,
    ) -> DelayProcess {
        let correlation = delay.correlation;
        // Start in the stationary law, so the first heartbeats are typical.
        let x = rng.normal();
        DelayProcess {
            base_ns: delay.base_ms * 1e6,
            median_ns: delay.median_excess_ms * 1e6,
            sigma: delay.excess_sigma,
            correlation,
            innovation: (1.0 - correlation * correlation).sqrt(),
            spike: Chance::new(delay.spike_probability),
            spike_min_ns: delay.spike_min_ms * 1e6,
            spike_alpha: delay.spike_alpha,
            max_excess_ns: delay.max_excess_ms * 1e6,
            x,
            rng,
            regimes: Episodes::new(regimes, regime_rng, end),
        }
    }

    /// The delay of the next heartbeat, sent at `send` ns (non-decreasing
    /// from call to call), in ns.
    #[inline]
    pub(crate) fn next(&mut self, send: u64) -> u64 {
        self.x = self.correlation * self.x + self.innovation * self.rng.normal();
        let mut excess = if self.median_ns > 0.0 {
            self.median_ns * (self.sigma * self.x).exp()
        } else {
            0.0
        };
        if self.spike.is_possible() && self.rng.happens(self.spike) {
            excess += self.rng.pareto(self.spike_min_ns, self.spike_alpha);
        }
        let excess = excess.min(self.max_excess_ns);
        let delay = match self.regimes.at(send) {
            None => self.base_ns + excess,
            Some((_, f)) => self.base_ns * f.base + excess * f.excess,
        };
        // `as` saturates and maps NaN to 0: no panic for any parameters.
        delay.round() as u64
    }

    /// Every regime that started before the end, as `(start, end)` ns.
    pub(crate) fn finish(self) -> Vec<(u64, u64)> {
        self.regimes.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELAY: Delay = Delay {
        base_ms: 10.0,
        median_excess_ms: 2.0,
        excess_sigma: 0.5,
        correlation: 0.9,
        spike_probability: 0.0,
        spike_min_ms: 1.0,
        spike_alpha: 2.0,
        max_excess_ms: 1000.0,
    };

    fn delays_ms(delay: &Delay, regimes: Option<Regimes>, n: u64) -> Vec<f64> {
        let mut p = DelayProcess::new(
            delay,
            regimes,
            n * 1_000_000,
            Rng::stream(3, 0),
            Rng::stream(3, 1),
        );
        (0..n).map(|i| p.next(i * 1_000_000) as f64 / 1e6).collect()
    }

    #[test]
    fn excess_is_log_normal_with_the_given_correlation() {
        let n = 100_000;
        let d = delays_ms(&DELAY, None, n);
        let logs: Vec<f64> = d.iter().map(|x| (x - 10.0).ln()).collect();
        let mean = logs.iter().sum::<f64>() / n as f64;
        let var = logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / n as f64;
        let lag1 = logs
            .windows(2)
            .map(|w| (w[0] - mean) * (w[1] - mean))
            .sum::<f64>()
            / (n - 1) as f64
            / var;
        // AR(1) with ρ = 0.9: the sample mean of n correlated draws has a
        // variance σ²(1 + ρ)/((1 − ρ) n), here (0.25 × 19 / 10⁵), sd 0.0069.
        assert!((mean - 2f64.ln()).abs() < 5.0 * 0.0069, "{mean}");
        assert!((var - 0.25).abs() < 0.02, "{var}");
        assert!((lag1 - 0.9).abs() < 0.01, "{lag1}");
        assert!(d.iter().all(|x| (10.0..=1010.0).contains(x)));
    }

    #[test]
    fn spikes_are_heavy_tailed_and_capped() {
        let delay = Delay {
            spike_probability: 0.01,
            spike_min_ms: 20.0,
            spike_alpha: 1.8,
            max_excess_ms: 448.0,
            ..DELAY
        };
        let n = 200_000;
        let d = delays_ms(&delay, None, n);
        // Base 10 + an excess that is rarely above 2 · e^(0.5 · 4.5) = 19 ms:
        // delays above 30 ms are spikes, 1 % of heartbeats.
        let spikes = d.iter().filter(|&&x| x > 30.0).count() as f64;
        let expected = 0.01 * n as f64;
        assert!(
            (spikes - expected).abs() < 5.0 * expected.sqrt(),
            "{spikes}"
        );
        let top = d.iter().copied().fold(0.0, f64::max);
        assert!(top <= 458.0 + 1e-6 && top > 200.0, "{top}");
    }

    #[test]
    fn regimes_scale_the_delay() {
        let regimes = Regimes {
            per_hour: 3600.0,
            min_ms: 10_000.0,
            max_ms: 10_000.0,
            base_factor_min: 3.0,
            base_factor_max: 3.0,
            excess_factor_min: 1.0,
            excess_factor_max: 1.0,
        };
        let d = delays_ms(&DELAY, Some(regimes), 100_000);
        // Inside a regime the base is 30 ms, outside 10 ms.
        let high = d.iter().filter(|&&x| x >= 30.0).count();
        assert!(high > 10_000, "{high}");
        assert!(d.iter().any(|&x| x < 30.0));
    }
}
