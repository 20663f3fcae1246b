//! Suspicion models: how a window of intervals and a silence become phi.
//!
//! Every model shipped here is a *location–scale* model. From the window and
//! the configuration it derives a `Fit`: a location `L` and a scale `S` in
//! nanoseconds. A silence of `e` nanoseconds is standardised as
//! `y = (e − L) / S`, and the model maps `y` to phi with a monotone function.
//! Keeping the two steps apart has two payoffs:
//!
//! * the threshold can be converted once into a standardised value `y*`
//!   (the model's quantile), so the suspicion deadline `L + y*·S` costs a
//!   multiply and an add instead of a search;
//! * a new estimator needs only its own file with a fit and a phi function
//!   (and its inverse), plus one variant in [`Model`].
//!
//! | model | location `L` | scale `S` | phi(y) |
//! |---|---|---|---|
//! | [`Model::Normal`] | mean + pause | max(σ, min σ) | −log10 Q(y), exact (see `normal`) |
//! | [`Model::Akka`] | mean + pause | max(σ, min σ) | Akka's logistic approximation |
//! | [`Model::Exponential`] | pause | max(mean, min σ) | max(y, 0) / ln 10 |
//! | [`Model::Chen`] | expected arrival + pause | 1 ms | max(y, 0) |
//! | [`Model::TwoWindow`] | later of two expected arrivals + pause | 1 ms | max(y, 0) |
//! | [`Model::Bertier`] | expected arrival + β·delay + pause | max(φ·var, min σ) | max(y, 0) |
//! | [`Model::Deadline`] | interval + pause = `T` | `T` | 1 + y (= silence / `T`, computed as that quotient) |
//!
//! [`Model::Empirical`] is the exception: its phi is read off the sorted
//! window, and only its tail beyond the longest recorded interval is
//! location–scale (see `empirical`). Models that need more than the
//! window's running sums keep it in a `History` beside the window.

pub(crate) mod akka;
pub(crate) mod bertier;
pub(crate) mod chen;
pub(crate) mod deadline;
pub(crate) mod empirical;
pub(crate) mod expected_arrival;
pub(crate) mod exponential;
pub(crate) mod fastmath;
pub(crate) mod history;
#[cfg(test)]
mod monotone_checks;
pub(crate) mod normal;
pub(crate) mod normal_tail;
pub(crate) mod params;
pub(crate) mod sorted_window;
pub(crate) mod two_window;

use crate::window::Window;
use history::History;
use std::fmt;
use std::str::FromStr;

/// The distribution a detector assumes for heartbeat inter-arrival times.
///
/// All models share the window, the bootstrap, the acceptable pause and the
/// learning rule (see [`Learning`](crate::Learning) and
/// [`Bootstrap`](crate::Bootstrap)); they differ in how a silence is turned
/// into phi.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum Model {
    /// Normal inter-arrivals, as in Hayashibara et al. 2004:
    /// phi = −log10 Q(z) with z = (silence − mean − pause) / max(σ, min σ)
    /// and Q the upper tail of the standard normal distribution.
    ///
    /// Computed exactly in log space, so phi stays finite, accurate and
    /// increasing for any silence, where the JVM detectors and the other Rust
    /// crates return infinity a few intervals after the last heartbeat.
    #[default]
    Normal,
    /// The logistic approximation of the normal distribution used by Akka,
    /// Pekko and Hazelcast:
    /// y = (silence − mean − pause) / max(σ, min σ),
    /// e = exp(−y·(1.5976 + 0.070566·y²)), phi = −log10(e / (1 + e)).
    ///
    /// It gives the JVM's numbers wherever the JVM's are finite. Where the
    /// JVM's `exp` underflows (y above about 21.6) and it reports infinity,
    /// this model keeps computing `−log10(e / (1 + e))` in log space, which
    /// is `y·(1.5976 + 0.070566·y²) / ln 10` to within rounding: finite and
    /// still increasing.
    Akka,
    /// Exponential inter-arrivals, the model of Apache Cassandra:
    /// phi = max(silence − pause, 0) / (max(mean, min σ) · ln 10).
    ///
    /// With a zero pause this is Cassandra's `PHI_FACTOR · silence / mean`.
    /// The acceptable pause shifts the time axis exactly as it does for the
    /// normal models (the first `pause` of a silence raises no suspicion),
    /// and the minimum standard deviation floors the mean, which is the
    /// standard deviation of an exponential distribution.
    Exponential,
    /// Chen, Toueg and Aguilera's detector (2002): suspect once the silence
    /// passes the expected arrival (Chen's estimate over the window) plus a
    /// constant margin α.
    ///
    /// Chen's estimate needs sequence numbers; they are reconstructed by
    /// counting each interval as a whole number of sending periods of
    /// [`first_heartbeat_estimate`](crate::ConfigBuilder::first_heartbeat_estimate)
    /// (which [`Config::for_interval`](crate::Config::for_interval) sets to
    /// the interval), so a lost heartbeat does not shift the estimate, or
    /// read from the sender's numbers given to
    /// [`Detector::heartbeat_seq`](crate::Detector::heartbeat_seq), as in
    /// the paper. The period is estimated from the window, or fixed with
    /// [`Period::Fixed`](crate::Period::Fixed). The same holds for
    /// [`Model::TwoWindow`] and [`Model::Bertier`].
    ///
    /// Its suspicion level is not a probability but the time by which the
    /// silence has passed the expected arrival and the acceptable pause, in
    /// milliseconds; the threshold is therefore α in milliseconds.
    Chen,
    /// 2W-FD (Tomsic, Sens et al. 2015): Chen's expected arrival computed
    /// over two windows (the detector's, and the last
    /// [`short_window`](crate::ConfigBuilder::short_window) arrivals), the
    /// later of the two, plus a constant margin. Level and threshold as for
    /// [`Model::Chen`] (milliseconds). Named `2w-fd`.
    #[cfg_attr(feature = "serde", serde(rename = "2w-fd"))]
    TwoWindow,
    /// Bertier, Marin and Sens's detector (2002): Chen's expected arrival plus
    /// a margin α that adapts to the prediction error like TCP's timeout
    /// (constants β, φ, γ set with [`bertier`](crate::ConfigBuilder::bertier)).
    ///
    /// Its level is the silence past the expected arrival, the delay
    /// correction `β·delay` and the pause, in units of the variation term
    /// `φ·var`: threshold 1 is the published detector, `EA + α`, and other
    /// thresholds scale the variation term only.
    Bertier,
    /// The empirical accrual detector of Satzger et al. (2007): phi from the
    /// fraction of recorded intervals at least as long as the silence, with
    /// an exponential tail beyond the longest one so that phi keeps growing.
    ///
    /// Heartbeats and queries cost O(log window) instead of O(1), and the
    /// detector keeps 16 more bytes per sample.
    Empirical,
    /// A fixed timeout, as Akka's `DeadlineFailureDetector` and Hazelcast's
    /// default `deadline` detector: the peer is suspected once its silence
    /// reaches `T` = [`first_heartbeat_estimate`](crate::ConfigBuilder::first_heartbeat_estimate)
    /// (the heartbeat interval) + [`acceptable_pause`](crate::ConfigBuilder::acceptable_pause).
    /// Nothing is learnt from the window.
    ///
    /// Its level is the silence in units of that timeout, `silence / T`, so
    /// **threshold 1 is Akka's and Hazelcast's detector**, to the
    /// nanosecond; 2 waits two timeouts, 0.5 half of one. (The default
    /// threshold, 8, would wait eight: use
    /// [`Config::deadline`](crate::Config::deadline), which sets 1.) A step
    /// from 0 to 1, as Hazelcast reports it, would give every threshold of
    /// a monitor the same deadline; the quotient keeps them apart and stays
    /// finite and monotone (see the `deadline` module).
    Deadline,
}

impl Model {
    /// Every model, in a stable order (useful to sweep them all).
    pub const ALL: [Model; 8] = [
        Model::Normal,
        Model::Akka,
        Model::Exponential,
        Model::Chen,
        Model::TwoWindow,
        Model::Bertier,
        Model::Empirical,
        Model::Deadline,
    ];

    /// The model's name as accepted by [`FromStr`]: `normal`, `akka`,
    /// `exponential`, `chen`, `2w-fd`, `bertier`, `empirical` or `deadline`.
    pub const fn name(self) -> &'static str {
        match self {
            Model::Normal => "normal",
            Model::Akka => "akka",
            Model::Exponential => "exponential",
            Model::Chen => "chen",
            Model::TwoWindow => "2w-fd",
            Model::Bertier => "bertier",
            Model::Empirical => "empirical",
            Model::Deadline => "deadline",
        }
    }

    /// Whether the threshold is a phi value (−log10 of a probability), as
    /// opposed to a margin: milliseconds for [`Model::Chen`] and
    /// [`Model::TwoWindow`], multiples of the variation term of
    /// [`Model::Bertier`]'s margin, multiples of the timeout for [`Model::Deadline`].
    pub const fn is_accrual(self) -> bool {
        matches!(
            self,
            Model::Normal | Model::Akka | Model::Exponential | Model::Empirical
        )
    }

    /// Location and scale for the current window. `history` is the one
    /// [`History::new`] made for this model and fed with the window's
    /// samples.
    #[inline]
    pub(crate) fn fit(self, window: &Window, history: Option<&History>, params: &FitParams) -> Fit {
        match (self, history) {
            (Model::Exponential, _) => exponential::fit(window, params),
            (Model::Deadline, _) => deadline::fit(params),
            (Model::Chen, Some(History::Chen(lag))) => chen::fit(lag, params),
            (Model::TwoWindow, Some(History::TwoWindow { long, short })) => {
                two_window::fit(long, short, params)
            }
            (Model::Bertier, Some(History::Bertier(b))) => bertier::fit(b, params),
            (Model::Empirical, Some(History::Empirical(sorted))) => {
                empirical::fit(window, sorted, params)
            }
            // Normal and Akka; a history that does not match its model is a
            // bug, answered with the normal fit rather than a panic.
            _ => normal::fit(window, params),
        }
    }

    /// Phi (or the margin models' level) after a silence of `elapsed_ns`,
    /// for the `fit` and `history` of one window: `phi_from_y` of the
    /// standardised silence, except for [`Model::Empirical`], whose phi is
    /// read off the sorted window, and [`Model::Deadline`], whose level is
    /// the exact quotient of the silence by the timeout.
    #[inline]
    pub(crate) fn phi(
        self,
        fit: &Fit,
        history: Option<&History>,
        params: &FitParams,
        elapsed_ns: u64,
    ) -> f64 {
        if let (Model::Empirical, Some(History::Empirical(sorted))) = (self, history) {
            return empirical::phi(sorted, fit, params, elapsed_ns);
        }
        if self == Model::Deadline {
            return deadline::phi(fit, elapsed_ns);
        }
        self.phi_from_y(fit.standardise(elapsed_ns))
    }

    /// The shortest silence at which [`Model::phi`] reaches the standardised
    /// threshold `y_threshold` (see [`Model::y_from_phi`]), or `u64::MAX`.
    #[inline]
    pub(crate) fn elapsed_at(
        self,
        fit: &Fit,
        history: Option<&History>,
        params: &FitParams,
        y_threshold: f64,
    ) -> u64 {
        match (self, history) {
            (Model::Empirical, Some(History::Empirical(sorted))) => {
                empirical::elapsed_at(sorted, fit, params, y_threshold)
            }
            (Model::Deadline, _) => deadline::elapsed_at(fit, y_threshold),
            _ => fit.elapsed_at(y_threshold),
        }
    }

    /// Phi (or the margin models' level) for a standardised silence `y`. For
    /// [`Model::Empirical`] this is only the tail's increment; its phi needs
    /// the sorted window (see `empirical::phi`). For [`Model::Deadline`] `y`
    /// is the level itself (its phi and deadline take the level, see
    /// `deadline`).
    #[inline]
    pub(crate) fn phi_from_y(self, y: f64) -> f64 {
        match self {
            Model::Normal => normal::phi_from_y(y),
            Model::Akka => akka::phi_from_y(y),
            Model::Exponential => exponential::phi_from_y(y),
            Model::Chen
            | Model::TwoWindow
            | Model::Bertier
            | Model::Empirical
            | Model::Deadline => chen::level_from_y(y),
        }
    }

    /// The smallest standardised silence whose phi reaches `phi`, calibrated
    /// against [`Model::phi_from_y`] so that deadlines and phi agree. For
    /// [`Model::Empirical`] this is the threshold itself (its deadline is
    /// found on the sorted window) and for [`Model::Deadline`] (whose
    /// deadline takes the level).
    pub(crate) fn y_from_phi(self, phi: f64) -> f64 {
        let guess = match self {
            Model::Normal => normal::y_from_phi(phi),
            Model::Akka => akka::y_from_phi(phi),
            Model::Exponential => exponential::y_from_phi(phi),
            Model::Chen
            | Model::TwoWindow
            | Model::Bertier
            | Model::Empirical
            | Model::Deadline => phi,
        };
        calibrate(|y| self.phi_from_y(y), phi, guess)
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Model {
    type Err = ParseModelError;

    /// Parses a model's [name](Model::name), ignoring ASCII case and
    /// surrounding whitespace.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Model::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParseModelError {
                name: s.to_string(),
            })
    }
}

/// A model name that is not one of [`Model::ALL`]'s names, from
/// [`Model`]'s [`FromStr`]. Its message lists the accepted names.
///
/// Converts into [`ConfigError::UnknownModel`](crate::ConfigError::UnknownModel)
/// with `?`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseModelError {
    name: String,
}

impl ParseModelError {
    /// The name given.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for ParseModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_unknown_model(f, &self.name)
    }
}

impl std::error::Error for ParseModelError {}

/// The message for an unknown model name, naming the accepted ones (shared
/// with `ConfigError::UnknownModel`).
pub(crate) fn write_unknown_model(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    write!(f, "unknown model {name:?}: expected one of ")?;
    for (i, m) in Model::ALL.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        write!(f, "{sep}{m}")?;
    }
    Ok(())
}

/// The configuration values a fit needs, in nanoseconds as `f64`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct FitParams {
    pub pause_ns: f64,
    /// The pause again, exact.
    pub pause_nanos: u64,
    pub min_std_ns: f64,
    /// The fixed timeout of [`Model::Deadline`]: first heartbeat estimate
    /// plus pause, at least 1 ns.
    pub timeout_ns: f64,
}

/// A model's location and scale for the current window, in nanoseconds.
///
/// Kept as the *inverse* scale, which is all a phi evaluation needs (a
/// multiplication); the scale itself, needed only to estimate deadlines, is
/// `1 / inv_scale`, so a fit read back from the cache and a fresh one are
/// the same value.
///
/// Invariant: `inv_scale > 0` and finite, `location` finite.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Fit {
    pub location: f64,
    pub inv_scale: f64,
}

impl Fit {
    pub(crate) fn new(location: f64, scale: f64) -> Fit {
        Fit {
            location,
            inv_scale: 1.0 / scale,
        }
    }

    /// The scale, `1 / inv_scale`.
    #[inline]
    pub(crate) fn scale(&self) -> f64 {
        1.0 / self.inv_scale
    }

    /// The standardised silence. Phi and deadlines both go through this one
    /// expression, which is what makes them agree to the nanosecond.
    #[inline]
    pub(crate) fn standardise(&self, elapsed_ns: u64) -> f64 {
        (elapsed_ns as f64 - self.location) * self.inv_scale
    }

    /// The smallest silence `e` (in whole nanoseconds) with
    /// `standardise(e) >= y_threshold`, or `u64::MAX` if none is representable.
    #[inline]
    pub(crate) fn elapsed_at(&self, y_threshold: f64) -> u64 {
        // Plain arithmetic, not `mul_add`: without a target FMA that is a
        // library call.
        let exact = y_threshold * self.scale() + self.location;
        if exact < F64_EXACT_INTEGERS {
            self.elapsed_at_small(y_threshold, exact)
        } else {
            self.elapsed_at_large(y_threshold, exact)
        }
    }

    /// [`Fit::elapsed_at`] when the answer is below 2^53 ns (104 days): every
    /// candidate is an exactly representable integer, so the search runs in
    /// `f64` without conversions, and `(e as u64) as f64 == e` makes each test
    /// identical to [`Fit::standardise`] of the integer.
    #[inline]
    fn elapsed_at_small(&self, y_threshold: f64, exact: f64) -> u64 {
        let standardise = |e: f64| (e - self.location) * self.inv_scale;
        // Truncation plus a step instead of `ceil`, which is a library call
        // on targets without SSE4.1.
        let mut e = if exact > 0.0 {
            let t = exact as i64 as f64;
            if t < exact {
                t + 1.0
            } else {
                t
            }
        } else {
            0.0
        };
        // The closed form is usually within a nanosecond or two of the
        // answer; the rounding of `standardise` decides the last step, so
        // walk there. Not always: when `elapsed − location` passes 2^53 (a
        // location far below zero, as Bertier's negative margin can give),
        // `standardise` is flat over several nanoseconds and the closed
        // form's cancellation can miss by more than the walk covers; then
        // the search settles it.
        let mut settled_below = false;
        for _ in 0..4 {
            if e > 0.0 && standardise(e - 1.0) >= y_threshold {
                e -= 1.0;
            } else {
                settled_below = true;
                break;
            }
        }
        let mut settled_above = false;
        for _ in 0..4 {
            if standardise(e) < y_threshold {
                e += 1.0;
            } else {
                settled_above = true;
                break;
            }
        }
        if !(settled_below && settled_above) {
            return self.elapsed_at_large(y_threshold, e);
        }
        // 0 ≤ e < 2^53: the signed conversion is exact and cheaper.
        e as i64 as u64
    }

    /// [`Fit::elapsed_at`] for answers from 2^53 ns on, or never, and for
    /// the rare smaller answer the closed form misses by more than a short
    /// walk.
    ///
    /// Above 2^53 neighbouring integers share an `f64`, so the closed form
    /// can be off by several of them (by thousands of nanoseconds at a few
    /// years) and a walk of single nanoseconds cannot repair it: the search
    /// of [`first_reaching`] settles the answer against `standardise`
    /// itself, whatever the distance.
    #[cold]
    fn elapsed_at_large(&self, y_threshold: f64, exact: f64) -> u64 {
        // A float-to-integer `as` saturates (NaN, excluded by the
        // invariants, gives 0), so a guess past the clock is `u64::MAX`.
        first_reaching(|e| self.standardise(e), y_threshold, exact as u64)
    }
}

/// The smallest `e` with `f(e) >= target`, for a non-decreasing `f`, or
/// `u64::MAX` if even `f(u64::MAX)` stays below. Starts at `guess` and
/// gallops outward, then bisects: at most about 130 evaluations, and two
/// when the guess is right.
pub(crate) fn first_reaching(f: impl Fn(u64) -> f64, target: f64, guess: u64) -> u64 {
    let (mut below, mut reached) = if f(guess) >= target {
        let mut hi = guess;
        let mut step = 1u64;
        loop {
            if hi == 0 {
                return 0;
            }
            let lo = hi.saturating_sub(step);
            if f(lo) < target {
                break (lo, hi);
            }
            hi = lo;
            step = step.saturating_mul(2);
        }
    } else {
        let mut lo = guess;
        let mut step = 1u64;
        loop {
            if lo == u64::MAX {
                return u64::MAX;
            }
            let hi = lo.saturating_add(step);
            if f(hi) >= target {
                break (lo, hi);
            }
            lo = hi;
            step = step.saturating_mul(2);
        }
    };
    // f(below) < target <= f(reached).
    while reached - below > 1 {
        let mid = below + (reached - below) / 2;
        if f(mid) >= target {
            reached = mid;
        } else {
            below = mid;
        }
    }
    reached
}

/// 2^53: below it every integer is an `f64`.
const F64_EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0;

/// Adjusts `guess` by whole ulps to the smallest `y` with `f(y) >= target`,
/// assuming `f` is non-decreasing. Bounded; a poor guess is first repaired by
/// bisection.
fn calibrate(f: impl Fn(f64) -> f64, target: f64, guess: f64) -> f64 {
    let mut y = if guess.is_finite() { guess } else { 0.0 };
    // Establish a bracket [lo, hi] with f(lo) < target <= f(hi) if the guess is
    // far off (it never is for the shipped models, but the search is cheap
    // and makes the result independent of the guess's quality).
    if !(f(y) >= target && f(y.next_down()) < target) {
        let (mut lo, mut hi) = (y, y);
        let mut step = 1.0f64.max(y.abs() * 1e-9);
        for _ in 0..2100 {
            if f(hi) >= target {
                break;
            }
            hi += step;
            step *= 2.0;
        }
        let mut step = 1.0f64.max(y.abs() * 1e-9);
        for _ in 0..2100 {
            if f(lo) < target {
                break;
            }
            lo -= step;
            step *= 2.0;
        }
        for _ in 0..2200 {
            let mid = lo + (hi - lo) / 2.0;
            if mid <= lo || mid >= hi {
                break;
            }
            if f(mid) >= target {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        y = hi;
    }
    for _ in 0..64 {
        if f(y.next_down()) >= target {
            y = y.next_down();
        } else {
            break;
        }
    }
    for _ in 0..64 {
        if f(y) < target {
            y = y.next_up();
        } else {
            break;
        }
    }
    y
}

#[cfg(test)]
mod tests;
