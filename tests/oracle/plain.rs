//! A plain phi accrual failure detector, written to be read rather than to be
//! fast: the algorithm of Akka's `PhiAccrualFailureDetector` with this
//! crate's rules (README, "Rules the detector follows"), under each setting
//! of `Learning`, `Period` and `Bootstrap`. It keeps the learnt
//! intervals in a bounded queue and recomputes every statistic from them, in
//! `f64`, at every query: O(window), no running sums, no cached fit, no
//! bound, no table. `tests/oracle.rs` compares the engine with it.

use accrual::{ArrivalKind, Bootstrap, Config, Learning, Model, Period};
use statrs::function::erf::erfc;
use std::collections::VecDeque;
use std::f64::consts::{LN_10, SQRT_2};
use std::time::Duration;

/// One peer's detector: the learnt intervals and the last arrival.
#[derive(Clone, Debug)]
pub struct Plain {
    config: Config,
    /// The learnt intervals, oldest first, at most `max_sample_size` of them.
    /// In whole microseconds (rounded to nearest, at most `u32::MAX`) because
    /// that is what the engine stores, 4 bytes a sample (`src/window.rs`):
    /// an oracle keeping nanoseconds would differ from it by design.
    intervals: VecDeque<u32>,
    /// The last accepted heartbeat, in nanoseconds; `None` before the first.
    last_ns: Option<u64>,
    /// The last heartbeat ended a suspicion and its interval was not learnt.
    skipped_last: bool,
}

impl Plain {
    pub fn new(config: Config) -> Plain {
        Plain {
            config,
            intervals: VecDeque::new(),
            last_ns: None,
            skipped_last: false,
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn last_ns(&self) -> Option<u64> {
        self.last_ns
    }

    /// A heartbeat at `at_ns`; `available` is `phi(at_ns) < threshold` judged
    /// before it (a parameter so that the tests can settle the arrivals that
    /// fall within rounding of the threshold). `Err` is an out-of-order
    /// heartbeat, which changes nothing.
    pub fn heartbeat(&mut self, at_ns: u64, available: bool) -> Result<ArrivalKind, ()> {
        let Some(last) = self.last_ns else {
            // Akka's bootstrap: two intervals around the estimate, so that a
            // peer that sends one heartbeat and dies is still suspected. The
            // growing bootstrap learns nothing yet (see `effective`).
            if self.config.bootstrap() == Bootstrap::Seeds {
                let estimate = micros(self.config.first_heartbeat_estimate());
                self.learn(estimate - estimate / 4);
                self.learn(estimate.saturating_add(estimate / 4));
            }
            self.last_ns = Some(at_ns);
            return Ok(ArrivalKind::First);
        };
        if at_ns <= last {
            return if at_ns == last {
                Ok(ArrivalKind::Duplicate)
            } else {
                Err(())
            };
        }
        self.last_ns = Some(at_ns);
        // Not learnt: an interval that ends a suspicion, unless the one before
        // was not learnt either (a peer late every time is alive, only slower);
        // with `Learning::All`, every interval is learnt.
        let all = self.config.learning() == Learning::All;
        let kind = match (available, self.skipped_last || all) {
            (true, _) => ArrivalKind::Recorded,
            (false, true) => ArrivalKind::RecordedAfterSuspicion,
            (false, false) => ArrivalKind::AfterSuspicion,
        };
        self.skipped_last = kind == ArrivalKind::AfterSuspicion;
        if !self.skipped_last {
            self.learn(micros(Duration::from_nanos(at_ns - last)));
        }
        Ok(kind)
    }

    fn learn(&mut self, micros: u32) {
        self.intervals.push_back(micros);
        if self.intervals.len() > self.config.max_sample_size() {
            self.intervals.pop_front();
        }
    }

    /// The intervals the model reads: the learnt ones or, before the growing
    /// bootstrap's first, one interval equal to the estimate.
    fn effective(&self) -> VecDeque<u32> {
        if self.intervals.is_empty() {
            VecDeque::from([micros(self.config.first_heartbeat_estimate())])
        } else {
            self.intervals.clone()
        }
    }

    /// Samples, mean and population standard deviation of the learnt
    /// intervals, in nanoseconds (all 0 for none).
    pub fn stats(&self) -> (usize, f64, f64) {
        if self.intervals.is_empty() {
            return (0, 0.0, 0.0);
        }
        stats_of(&self.intervals)
    }

    /// Phi (Chen: the level, in ms; deadline: in timeouts) after `silence_ns` without a heartbeat.
    pub fn phi_after(&self, silence_ns: f64) -> f64 {
        let pause = nanos(self.config.acceptable_pause());
        let min_std = nanos(self.config.min_std_deviation());
        let (_, mean, std) = stats_of(&self.effective());
        let y = (silence_ns - mean - pause) / std.max(min_std);
        match self.config.model() {
            Model::Normal => normal_phi(y),
            Model::Akka => akka_phi(y),
            // Cassandra: −log10 e^(−t/mean), with the pause shifting t and
            // min σ flooring the mean (the exponential's σ).
            Model::Exponential => (silence_ns - pause).max(0.0) / (mean.max(min_std) * LN_10),
            Model::Chen => (silence_ns - self.chen_expected_ns() - pause).max(0.0) / 1e6,
            // Akka's DeadlineFailureDetector: the silence in timeouts of
            // heartbeat interval (the first estimate) + pause.
            Model::Deadline => {
                silence_ns.max(0.0) / (nanos(self.config.first_heartbeat_estimate()) + pause)
            }
            other => unimplemented!("no plain version of {other}"),
        }
    }

    /// Chen, Toueg and Aguilera's expected arrival EA = mean_i(A_i − η·I_i) +
    /// (I_last + 1)·η, less the last arrival, in ns, from the arrivals the
    /// window's intervals imply (A_0 = 0) and sequence numbers counting each
    /// interval x as max(1, ⌊x/P + 1/4⌋) periods P = the first estimate
    /// (`src/model/expected_arrival.rs`); η = A_last / I_last, or P with
    /// `Period::Fixed`.
    fn chen_expected_ns(&self) -> f64 {
        let period = (self.config.first_heartbeat_estimate().as_micros() as u64).max(1);
        let mut arrivals = vec![(0u64, 0u64)];
        for &x in &self.effective() {
            let (a, i) = arrivals[arrivals.len() - 1];
            let steps = ((u64::from(x) + period / 4) / period).max(1);
            arrivals.push((a + u64::from(x), i + steps));
        }
        let (last, last_index) = arrivals[arrivals.len() - 1];
        let eta = match self.config.period() {
            Period::Fixed => period as f64,
            _ => last as f64 / last_index as f64,
        };
        let offsets = arrivals.iter().map(|&(a, i)| a as f64 - eta * i as f64);
        let expected = offsets.sum::<f64>() / arrivals.len() as f64 + (last_index + 1) as f64 * eta;
        (expected - last as f64) * 1e3
    }
}

/// −log10 Q(z), Q(z) = erfc(z/√2)/2 the upper tail of the standard normal.
/// Relatively accurate (about 1e-13) for |z| ≤ 37; beyond, erfc's
/// e^(−z²/2) leaves the normal range of `f64` and this returns 0 or ∞.
fn normal_phi(z: f64) -> f64 {
    if z >= 0.0 {
        -(erfc(z / SQRT_2) / 2.0).log10()
    } else {
        // Q(z) = 1 − Q(−z) is close to 1: through ln_1p, so phi keeps its
        // relative accuracy as it goes to 0.
        -(-erfc(-z / SQRT_2) / 2.0).ln_1p() / LN_10
    }
}

/// Akka's logistic: phi = −log10(1 / (1 + e^u)) = log10(1 + e^u) with
/// u = y·(1.5976 + 0.070566·y²), written so that e^u never overflows.
fn akka_phi(y: f64) -> f64 {
    let u = y * (1.5976 + 0.070566 * y * y);
    if u > 0.0 {
        (u + (-u).exp().ln_1p()) / LN_10
    } else {
        u.exp().ln_1p() / LN_10
    }
}

fn nanos(d: Duration) -> f64 {
    d.as_nanos() as f64
}

/// Whole microseconds, rounded to nearest (halves up), saturating at the
/// largest the engine's window stores (71.6 minutes).
fn micros(d: Duration) -> u32 {
    let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    u32::try_from(nanos.saturating_add(500) / 1000).unwrap_or(u32::MAX)
}

/// Samples, mean and population standard deviation of `intervals`, in
/// nanoseconds.
fn stats_of(intervals: &VecDeque<u32>) -> (usize, f64, f64) {
    let n = intervals.len() as f64;
    let xs = || intervals.iter().map(|&x| f64::from(x));
    let mean = xs().sum::<f64>() / n;
    // The corrected two-pass formula (Chan, Golub and LeVeque 1983): the
    // second term cancels the rounding of `mean`, which would otherwise
    // dominate for long, nearly equal intervals.
    let (dev, dev_sq) = xs().fold((0.0, 0.0), |(s, q), x| {
        (s + (x - mean), q + (x - mean).powi(2))
    });
    let variance = ((dev_sq - dev * dev / n) / n).max(0.0);
    (intervals.len(), mean * 1e3, variance.sqrt() * 1e3)
}
