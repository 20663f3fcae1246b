//! The read side of a [`State`]: phi, availability and the suspicion
//! deadline, and the promise that ties them together at every instant,
//! including the end of the axis: `phi(t) >= threshold` exactly when
//! `t >= deadline`, and available exactly when `phi(t) < threshold`.
//! Queries take `&self` and fill the fit cache (the `cache` module) once
//! per change of the window.

use super::State;
use crate::detector::horizon::QuickBound;
use crate::detector::Params;
use crate::model::{Fit, Model};
use crate::time::Timestamp;

impl State {
    #[inline]
    pub(crate) fn fit(&self, params: &Params) -> Fit {
        match self.cache.fit() {
            Some(fit) => fit,
            None => {
                let (window, history) = self.sources(params);
                let fit = params.model.fit(window, history, &params.fit);
                self.cache.store_fit(&fit);
                fit
            }
        }
    }

    /// Whether phi after a silence of `elapsed_ns` is below the configured
    /// threshold: `elapsed_ns` before the deadline, which the empirical
    /// model answers more cheaply with one phi evaluation than by finding
    /// the deadline.
    #[inline]
    pub(super) fn below_threshold(&self, params: &Params, elapsed_ns: u64) -> bool {
        match params.model {
            Model::Empirical => self.phi_after(params, elapsed_ns) < params.config.threshold(),
            _ => self.before_deadline(params, elapsed_ns),
        }
    }

    /// Whether phi after a silence of `elapsed_ns` is below the configured
    /// threshold, from the cached deadline: `elapsed_ns < deadline`, except
    /// at the one silence the comparison cannot judge. The deadline is
    /// `u64::MAX` both when phi first reaches the threshold at the longest
    /// silence and when it never does (see [`State::reaches`]), so a
    /// silence of `u64::MAX` (a heartbeat at the origin, a query at
    /// [`Timestamp::MAX`]) asks phi itself; every other silence is settled
    /// by the comparison, and the extra test is a branch never taken.
    #[inline]
    fn before_deadline(&self, params: &Params, elapsed_ns: u64) -> bool {
        elapsed_ns < self.deadline_ns(params)
            || (elapsed_ns == u64::MAX
                && self.phi_after(params, u64::MAX) < params.config.threshold())
    }

    /// Silence at which phi reaches the configured threshold, `u64::MAX`
    /// if it never does.
    #[inline]
    pub(super) fn deadline_ns(&self, params: &Params) -> u64 {
        match self.cache.deadline() {
            Some(d) => d,
            None => {
                let d = self.elapsed_at(params, &self.fit(params), params.y_threshold);
                self.cache.store_deadline(d);
                d
            }
        }
    }

    #[inline]
    pub(crate) fn phi(&self, params: &Params, now: Timestamp) -> f64 {
        let now_ns = now.as_nanos();
        if !self.monitoring() || now_ns < self.last_ns {
            return 0.0;
        }
        self.phi_after(params, now_ns - self.last_ns)
    }

    /// Phi after a silence of `elapsed_ns` since the last heartbeat.
    #[inline]
    fn phi_after(&self, params: &Params, elapsed_ns: u64) -> f64 {
        params.model.phi(
            &self.fit(params),
            self.sources(params).1,
            &params.fit,
            elapsed_ns,
        )
    }

    #[inline]
    pub(crate) fn is_available(&self, params: &Params, now: Timestamp) -> bool {
        let now_ns = now.as_nanos();
        if !self.monitoring() || now_ns < self.last_ns {
            return true;
        }
        self.before_deadline(params, now_ns - self.last_ns)
    }

    /// The first instant at which phi reaches the configured threshold, or
    /// `None` when there is none on the axis: not monitoring, or phi stays
    /// below the threshold until [`Timestamp::MAX`] included. So
    /// `t >= deadline` exactly when `phi(t) >= threshold`, at every `t`,
    /// including the end of the axis (a deadline that saturated at
    /// `Timestamp::MAX` claimed a suspicion there that phi denied).
    #[inline]
    pub(crate) fn deadline(&self, params: &Params) -> Option<Timestamp> {
        if !self.monitoring() {
            return None;
        }
        self.on_axis(params, self.deadline_ns(params), params.y_threshold)
    }

    /// [`State::deadline`] for the standardised threshold `y_threshold`.
    pub(crate) fn deadline_at(&self, params: &Params, y_threshold: f64) -> Option<Timestamp> {
        if !self.monitoring() {
            return None;
        }
        let elapsed = self.elapsed_at(params, &self.fit(params), y_threshold);
        self.on_axis(params, elapsed, y_threshold)
    }

    /// The instant a silence of `elapsed_ns` (the first to reach
    /// `y_threshold`, or `u64::MAX` for none) ends, if it is a real
    /// crossing that ends on the axis.
    #[inline]
    fn on_axis(&self, params: &Params, elapsed_ns: u64, y_threshold: f64) -> Option<Timestamp> {
        let at = self.last_ns.checked_add(elapsed_ns)?;
        (elapsed_ns < u64::MAX || self.reaches(params, y_threshold, u64::MAX))
            .then_some(Timestamp::from_nanos(at))
    }

    /// Whether phi after a silence of `elapsed_ns` has reached the
    /// standardised threshold `y_threshold`: the test the model's
    /// `elapsed_at` searches with, so that `elapsed_at` is the least
    /// silence for which this holds, if any. The model's search returns
    /// `u64::MAX` also when none does; this tells the two apart.
    fn reaches(&self, params: &Params, y_threshold: f64, elapsed_ns: u64) -> bool {
        let fit = self.fit(params);
        match params.model {
            // Their `y_threshold` is the level itself, searched against phi.
            Model::Empirical | Model::Deadline => self.phi_after(params, elapsed_ns) >= y_threshold,
            _ => fit.standardise(elapsed_ns) >= y_threshold,
        }
    }

    /// The shortest silence at which the model's standardised threshold
    /// `y_threshold` is reached, given this state's `fit`.
    #[inline]
    pub(crate) fn elapsed_at(&self, params: &Params, fit: &Fit, y_threshold: f64) -> u64 {
        params
            .model
            .elapsed_at(fit, self.sources(params).1, &params.fit, y_threshold)
    }

    pub(crate) fn last_heartbeat(&self) -> Option<Timestamp> {
        self.monitoring()
            .then(|| Timestamp::from_nanos(self.last_ns))
    }

    /// Whether the peer is certainly still available at `now_ns` under the
    /// threshold `quick` was prepared for: `true` guarantees
    /// `now_ns < deadline_at(y)`; `false` means "maybe not, ask exactly".
    /// Costs a few multiplications, no division, square root or fit.
    #[inline]
    pub(crate) fn surely_available(&self, quick: &QuickBound, now_ns: u64) -> bool {
        if !self.monitoring() || now_ns < self.last_ns {
            return true;
        }
        quick.surely_available(now_ns - self.last_ns, &self.window)
    }
}
