//! The papers' detectors, written from the papers (as summarised in
//! `papers/*.md`), not from the engine: every statistic is recomputed from
//! the window at every arrival, in `f64` milliseconds, O(window) per
//! arrival. `tests/fidelity.rs` replays the real traces through them and
//! through the engine in paper mode and compares the outcomes.
//!
//! Each detector turns a trace of received heartbeats into its *freshness
//! points*: after arrival `k`, the time `τ_k` at which it starts to suspect
//! the sender if nothing newer arrives (Chen et al.'s τ; for phi, the time at
//! which phi reaches the threshold). [`qos`] scores them the way Chen et al.
//! define a mistake: the live sender is wrongly suspected from `τ_k` until
//! the next heartbeat arrives, if that is later.

use statrs::function::erf::erfc;
use std::f64::consts::SQRT_2;

/// One received heartbeat: the sender's sequence number and the local
/// arrival time in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Heartbeat {
    pub seq: u64,
    pub at_ms: f64,
}

/// What a replay scores: Chen et al.'s mistakes and the detection time.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Replay {
    /// Scored arrivals: every arrival but the last.
    pub samples: u64,
    /// Sum over the scored arrivals of `τ_k − A_k` (at least 0), the
    /// detection time had the sender crashed right after heartbeat `k`.
    pub detection_ms: f64,
    /// Arrivals after which the next heartbeat came later than `τ_k`.
    pub mistakes: u64,
    /// Sum of `A_{k+1} − max(τ_k, A_k)` over the mistakes.
    pub mistake_ms: f64,
}

/// Scores freshness points `taus[k]` (one per arrival) against the arrivals
/// that followed them.
pub fn qos(trace: &[Heartbeat], taus: &[f64]) -> Replay {
    assert_eq!(trace.len(), taus.len());
    let mut r = Replay::default();
    for k in 0..trace.len().saturating_sub(1) {
        let (a, next) = (trace[k].at_ms, trace[k + 1].at_ms);
        // A freshness point that has already passed when the heartbeat
        // that set it arrives (Chen's expected arrival after a sender
        // stall, say) means suspicion from that arrival on: the time before
        // it belongs to the previous interval.
        let tau = taus[k].max(a);
        r.samples += 1;
        r.detection_ms += tau - a;
        if next > tau {
            r.mistakes += 1;
            r.mistake_ms += next - tau;
        }
    }
    r
}

/// Hayashibara et al.'s phi with the normal model: the mean and standard
/// deviation of the last `window` inter-arrival times, and
/// `phi(t) = −log10 Q((t − T_last − mean) / σ)`, `Q` the standard normal
/// upper tail.
#[derive(Clone, Copy, Debug)]
pub struct Phi {
    /// How many of the latest inter-arrival times the statistics use.
    pub window: usize,
    /// The mean before any interval has been observed (the paper is silent;
    /// the engine's growing bootstrap uses the configured first interval).
    pub first_interval_ms: f64,
    /// A floor on σ (the paper has none; a σ of zero, as with a single
    /// interval, would make phi a step function).
    pub min_std_ms: f64,
}

impl Phi {
    /// The time after each arrival at which phi reaches `threshold`.
    pub fn freshness_points(&self, trace: &[Heartbeat], threshold: f64) -> Vec<f64> {
        let y = normal_quantile_for_phi(threshold);
        (0..trace.len())
            .map(|k| {
                let first = (k + 1).saturating_sub(self.window + 1);
                let intervals: Vec<f64> = trace[first..=k]
                    .windows(2)
                    .map(|w| w[1].at_ms - w[0].at_ms)
                    .collect();
                let (mean, std) = if intervals.is_empty() {
                    (self.first_interval_ms, 0.0)
                } else {
                    mean_and_population_std(&intervals)
                };
                trace[k].at_ms + mean + std.max(self.min_std_ms) * y
            })
            .collect()
    }
}

/// Mean and population standard deviation (Σ(x − mean)²/n: the notes say
/// the paper keeps a running sum and sum of squares, which gives this one).
pub fn mean_and_population_std(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// `phi` for a standardised silence `y`: `−log10 Q(y)`.
pub fn phi_of(y: f64) -> f64 {
    -(0.5 * erfc(y / SQRT_2)).log10()
}

/// The standardised silence at which phi reaches `threshold`, by bisection
/// on [`phi_of`] (increasing in `y`).
pub fn normal_quantile_for_phi(threshold: f64) -> f64 {
    let (mut lo, mut hi) = (-40.0_f64, 40.0_f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if phi_of(mid) < threshold {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Chen et al.'s expected arrival of heartbeat `next_seq`, from the window
/// of received heartbeats `window` (oldest first) and the sending period
/// `eta_ms`: `EA = (1/n) Σ (A_i − η·s_i) + η·next_seq`.
///
/// Computed relative to the window's latest heartbeat `(A_l, s_l)`, the same
/// sum with every term shifted by `A_l − η·s_l`, so that the terms stay
/// small whatever the sequence numbers and clock values.
pub fn expected_arrival(window: &[Heartbeat], eta_ms: f64, next_seq: u64) -> f64 {
    let latest = window[window.len() - 1];
    let steps = |seq: u64| seq as f64 - latest.seq as f64;
    let n = window.len() as f64;
    let offset = window
        .iter()
        .map(|h| (h.at_ms - latest.at_ms) - eta_ms * steps(h.seq))
        .sum::<f64>()
        / n;
    latest.at_ms + offset + eta_ms * steps(next_seq)
}

/// The last `n` heartbeats received up to and including arrival `k`.
fn last(trace: &[Heartbeat], k: usize, n: usize) -> &[Heartbeat] {
    &trace[(k + 1).saturating_sub(n)..=k]
}

/// Chen et al.'s NFD-E: `τ_{l+1} = EA_{l+1} + α`, `l` the latest sequence
/// number received, EA over the last `window` heartbeats received.
#[derive(Clone, Copy, Debug)]
pub struct Chen {
    pub window: usize,
    pub eta_ms: f64,
}

impl Chen {
    pub fn freshness_points(&self, trace: &[Heartbeat], alpha_ms: f64) -> Vec<f64> {
        (0..trace.len())
            .map(|k| {
                let next = trace[k].seq + 1;
                expected_arrival(last(trace, k, self.window), self.eta_ms, next) + alpha_ms
            })
            .collect()
    }
}

/// Tomsic et al.'s 2W-FD: Chen's expected arrival over a short and a long
/// window, the later of the two, plus α.
#[derive(Clone, Copy, Debug)]
pub struct TwoWindow {
    pub short: usize,
    pub long: usize,
    pub eta_ms: f64,
}

impl TwoWindow {
    pub fn freshness_points(&self, trace: &[Heartbeat], alpha_ms: f64) -> Vec<f64> {
        (0..trace.len())
            .map(|k| {
                let next = trace[k].seq + 1;
                let short = expected_arrival(last(trace, k, self.short), self.eta_ms, next);
                let long = expected_arrival(last(trace, k, self.long), self.eta_ms, next);
                short.max(long) + alpha_ms
            })
            .collect()
    }
}

/// Bertier et al.'s detector: Chen's expected arrival plus Jacobson's
/// margin. After heartbeat `k` (from the second on, the first having no
/// prediction):
///
/// ```text
/// error = A_k − EA_k − delay        EA_k predicted from the window before A_k
/// delay ← delay + γ·error
/// var   ← var + γ·(|error| − var)
/// α     = β·delay + φ·var
/// τ     = EA_{k+1} + α
/// ```
///
/// `delay` and `var` start at zero, and the error is learnt from the second
/// heartbeat on (its prediction is one period after the first). α can be
/// negative (a sender whose heartbeats keep coming early): the paper then
/// expects the next one before EA.
///
/// The paper has no threshold. To draw the detector as a curve the engine
/// scales the variation term only, `τ = EA + β·delay + scale·φ·var`, which
/// is the paper's τ at scale 1; [`Bertier::freshness_points`] does the same.
#[derive(Clone, Copy, Debug)]
pub struct Bertier {
    pub window: usize,
    pub eta_ms: f64,
    pub beta: f64,
    pub phi: f64,
    pub gamma: f64,
    /// A floor on the variation term `φ·var` when it scales the silence
    /// (the paper has none; `var` is zero until the first error is learnt,
    /// and the engine's σ floor keeps its scale positive then, as
    /// [`Phi::min_std_ms`] does for phi).
    pub min_variation_ms: f64,
}

impl Bertier {
    /// The published detector (β 1, φ 4, γ 0.1).
    pub fn paper(window: usize, eta_ms: f64) -> Bertier {
        Bertier {
            window,
            eta_ms,
            beta: 1.0,
            phi: 4.0,
            gamma: 0.1,
            min_variation_ms: 0.0,
        }
    }

    /// `(β·delay, φ·var)` after each arrival, which do not depend on the
    /// scale.
    pub fn terms(&self, trace: &[Heartbeat]) -> Vec<(f64, f64)> {
        let (mut delay, mut var) = (0.0_f64, 0.0_f64);
        (0..trace.len())
            .map(|k| {
                if k >= 1 {
                    let predicted = expected_arrival(
                        last(trace, k - 1, self.window),
                        self.eta_ms,
                        trace[k].seq,
                    );
                    let error = trace[k].at_ms - predicted - delay;
                    delay += self.gamma * error;
                    var += self.gamma * (error.abs() - var);
                }
                (self.beta * delay, self.phi * var)
            })
            .collect()
    }

    /// The margins `α = β·delay + φ·var` after each arrival.
    pub fn margins(&self, trace: &[Heartbeat]) -> Vec<f64> {
        self.terms(trace).iter().map(|(d, v)| d + v).collect()
    }

    pub fn freshness_points(&self, trace: &[Heartbeat], scale: f64) -> Vec<f64> {
        let terms = self.terms(trace);
        (0..trace.len())
            .map(|k| {
                let next = trace[k].seq + 1;
                let (delay, variation) = terms[k];
                expected_arrival(last(trace, k, self.window), self.eta_ms, next)
                    + delay
                    + scale * variation.max(self.min_variation_ms)
            })
            .collect()
    }
}
