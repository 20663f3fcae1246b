//! [`State`]: what a detector knows of one peer (the window, the last
//! arrival, the model's history) and the rules that change it and read it:
//! one heartbeat, one query.
//!
//! A heartbeat is settled in the common case by one comparison against the
//! sure horizon kept in the [`FitCache`] (see the `horizon` module), and
//! otherwise by the exact availability test; which intervals are learnt is
//! the `learning` module's rule. Queries (`state/query.rs`: phi,
//! availability, deadlines) fill the cache once per change.
//! Configuration lives apart, in [`Params`], so that a monitor stores one
//! copy for all its peers.

use super::cache::FitCache;
use super::horizon::micros_saturating;
use super::{Arrival, ArrivalKind, HeartbeatError, Params, Stats};
use crate::config::Bootstrap;
use crate::model::history::History;
use crate::time::Timestamp;
use crate::window::Window;
use std::time::Duration;

mod query;
#[cfg(feature = "tools")]
mod replay;
/// The model's history in `extra`, for models that keep one (a function of
/// the field, so that the window can be borrowed beside it).
#[inline]
fn history_mut(extra: &mut Option<Box<Extra>>) -> Option<&mut History> {
    extra.as_deref_mut()?.history.as_mut()
}

#[cfg(test)]
mod tests;

/// The per-peer state of a detector. Configuration lives in [`Params`] so a
/// multi-peer monitor can share one copy across all peers.
///
/// Kept small because a monitor stores one per peer: 96 bytes (plus the
/// window's samples, allocated apart, and the [`Extra`] box of the models
/// that keep a history or of a peer that sends sequence numbers).
///
/// Laid out in declaration order (`repr(C)`) so that what a phi query reads
/// (the last arrival, the cached fit, the window's sample count and, to
/// compute a fit, its sums) is contiguous: the first
/// [`State::QUERY_BYTES`] = 64 bytes.
#[derive(Clone, Debug)]
#[repr(C)]
pub(crate) struct State {
    /// Arrival time of the last accepted heartbeat, in nanoseconds; only
    /// meaningful while monitoring.
    last_ns: u64,
    /// The model's fit and the deadline for the current window, filled by
    /// the first query after a change.
    cache: FitCache,
    window: Window,
    /// What the model keeps beyond the window's sums, and the last sequence
    /// number; `None` for the models that need nothing more (normal, Akka,
    /// exponential, deadline) until a sequence number is given.
    extra: Option<Box<Extra>>,
    /// The last arrival ended a suspicion and its interval was not learnt:
    /// the next late interval will be (see the `learning` module and
    /// [`ArrivalKind::RecordedAfterSuspicion`]).
    skipped_last: bool,
    /// A first heartbeat has been recorded. With the seeds bootstrap the
    /// window is then never empty; with the growing one it is empty until
    /// the second heartbeat. (In the padding before `budget`: free.) A
    /// non-empty window implies it, which `monitoring` uses so that a query
    /// reads this field, outside the bytes a query reads anyway, only while
    /// the window is empty.
    started: bool,
    /// Recorded intervals `horizon_base` stays valid for, counting the
    /// last one; 0 or 1 when it must be recomputed after the next (see
    /// [`QuickBound::refresh`]).
    budget: u16,
    /// The sure horizon less Σx's part, in nanoseconds, while `budget > 1`.
    horizon_base: f32,
}

/// Equality of what the detector knows; the cache is derived from it.
impl PartialEq for State {
    fn eq(&self, other: &Self) -> bool {
        self.window == other.window
            && self.last_seq() == other.last_seq()
            && self.monitoring() == other.monitoring()
            && (!self.monitoring() || self.last_ns == other.last_ns)
            && self.same_history(other)
            && self.skipped_last == other.skipped_last
    }
}

impl State {
    /// Bytes from the start of a state that a phi query of the normal,
    /// Akka or exponential model may read (the other models also read
    /// their history).
    pub(crate) const QUERY_BYTES: usize = std::mem::offset_of!(State, window) + Window::QUERY_BYTES;

    pub(crate) fn new(params: &Params) -> State {
        State::with_room(params, params.config.max_sample_size())
    }

    /// A new state whose window (and history) has room for `room` samples
    /// and grows as heartbeats need more (see `Window::with_room`).
    fn with_room(params: &Params, room: usize) -> State {
        let capacity = params.config.max_sample_size();
        State {
            window: Window::with_room(capacity, room),
            last_ns: 0,
            extra: History::for_config_with_room(&params.config, room).map(|history| {
                Box::new(Extra {
                    history: Some(history),
                    last_seq: None,
                })
            }),
            skipped_last: false,
            started: false,
            budget: 0,
            horizon_base: 0.0,
            cache: FitCache::default(),
        }
    }

    /// A state without a window allocation, to be replaced before use. It
    /// lets a container be allocated *before* the window that goes in it
    /// (see the monitor's per-peer records).
    pub(crate) fn placeholder() -> State {
        State {
            window: Window::unallocated(),
            last_ns: 0,
            extra: None,
            skipped_last: false,
            started: false,
            budget: 0,
            horizon_base: 0.0,
            cache: FitCache::default(),
        }
    }

    /// Whether a first heartbeat has been recorded (only `forget` and a
    /// new state undo it). The window's count comes first: it sits in the
    /// bytes every query reads, and samples are only ever recorded once
    /// started, so `started` is read only for an empty window.
    #[inline]
    pub(crate) fn monitoring(&self) -> bool {
        !self.window.is_empty() || self.started
    }

    /// The model's history, if it keeps one.
    #[inline]
    fn history(&self) -> Option<&History> {
        self.extra.as_deref().and_then(|e| e.history.as_ref())
    }

    /// Whether the model's history beside the window is the same, for
    /// equal windows: with sequence numbers, equal windows can hold
    /// intervals of different sending periods (Chen's lag), and Bertier's
    /// estimates depend on intervals already evicted.
    pub(crate) fn same_history(&self, other: &State) -> bool {
        match (self.history(), other.history()) {
            (Some(a), Some(b)) => a.same_beyond_window(b),
            (a, b) => a.is_none() && b.is_none(),
        }
    }

    /// The last sequence number accepted, if the last heartbeat had one.
    #[inline]
    pub(crate) fn last_seq(&self) -> Option<u64> {
        self.extra.as_deref().and_then(|e| e.last_seq)
    }

    /// `Err` if `seq` is not after the last sequence number accepted.
    #[inline]
    pub(crate) fn check_seq(&self, seq: u64) -> Result<(), HeartbeatError> {
        match self.last_seq() {
            Some(last) if seq <= last => Err(HeartbeatError::StaleSequence { last, seq }),
            _ => Ok(()),
        }
    }

    /// Whether a heartbeat numbered `seq` (if any) at the instant of the
    /// last one is a new heartbeat rather than a duplicate: when both are
    /// numbered (and `seq` is not stale, which the caller checked).
    #[inline]
    pub(crate) fn numbered_after(&self, seq: Option<u64>) -> bool {
        seq.is_some() && self.last_seq().is_some()
    }

    /// [`State::heartbeat`] or [`State::heartbeat_seq`], as `seq` says.
    #[inline(always)]
    pub(crate) fn arrive_numbered(
        &mut self,
        params: &Params,
        at: Timestamp,
        seq: Option<u64>,
    ) -> Result<Arrival, HeartbeatError> {
        match seq {
            None => self.heartbeat(params, at),
            Some(seq) => self.heartbeat_seq(params, at, seq),
        }
    }

    /// Records a heartbeat at `at` that carries the sender's sequence
    /// number `seq`: the stale or repeated number is refused before
    /// anything changes; otherwise as [`State::heartbeat`], with the
    /// interval counted as `seq − last` sending periods when the last
    /// heartbeat had a number too.
    pub(crate) fn heartbeat_seq(
        &mut self,
        params: &Params,
        at: Timestamp,
        seq: u64,
    ) -> Result<Arrival, HeartbeatError> {
        self.check_seq(seq)?;
        let steps = self.last_seq().map(|last| seq - last);
        let arrival = self.arrive(params, at, steps)?;
        if arrival.kind() != ArrivalKind::Duplicate {
            self.set_last_seq(Some(seq));
        }
        Ok(arrival)
    }

    /// Sets the last sequence number, boxing the extra part if the model
    /// kept none.
    fn set_last_seq(&mut self, seq: Option<u64>) {
        self.extra
            .get_or_insert_with(|| {
                Box::new(Extra {
                    history: None,
                    last_seq: None,
                })
            })
            .last_seq = seq;
    }

    /// Records a heartbeat at `at`.
    ///
    /// The common case is one comparison: a later arrival within the sure
    /// horizon (see [`FitCache`]) is recorded at once, and the horizon of
    /// the new window computed for the next heartbeat. Everything else (the
    /// first heartbeat, duplicates, out-of-order arrivals, and arrivals at
    /// or past the horizon, which need the exact availability test) is in
    /// [`State::heartbeat_slow`], out of line.
    #[inline(always)]
    pub(crate) fn heartbeat(
        &mut self,
        params: &Params,
        at: Timestamp,
    ) -> Result<Arrival, HeartbeatError> {
        self.arrive(params, at, None)
    }

    /// [`State::heartbeat`], with the interval `steps` sending periods long
    /// if the sequence numbers said so. Whatever is accepted clears the
    /// last sequence number ([`State::heartbeat_seq`] then sets it): an
    /// arrival without a number breaks the count.
    #[inline(always)]
    fn arrive(
        &mut self,
        params: &Params,
        at: Timestamp,
        steps: Option<u64>,
    ) -> Result<Arrival, HeartbeatError> {
        let at_ns = at.as_nanos();
        // The horizon is 0 while not monitoring, so this also tests that.
        if at_ns > self.last_ns && at_ns - self.last_ns < self.cache.horizon() {
            let elapsed = at_ns - self.last_ns;
            self.last_ns = at_ns;
            self.forget_seq();
            // Surely available, so learnt whatever the last arrival did
            // (`learning` asserts that the rule learns every such interval).
            // Saturating: once a query has cached the exact deadline, the
            // horizon can pass the longest storable interval. (For a model
            // with a history the horizon is only ever the exact cached
            // deadline, and `push` keeps the history in step.)
            self.record(params, micros_saturating(elapsed), steps);
            self.skipped_last = false;
            let warning = elapsed >= params.warn_ns;
            return Ok(Arrival::new(ArrivalKind::Recorded, elapsed, warning));
        }
        self.heartbeat_slow(params, at, steps)
    }

    /// Clears the last sequence number, if any was kept.
    #[inline(always)]
    fn forget_seq(&mut self) {
        if let Some(extra) = &mut self.extra {
            extra.last_seq = None;
        }
    }

    /// [`State::heartbeat`] for every arrival the sure horizon does not settle.
    #[cold]
    #[inline(never)]
    fn heartbeat_slow(
        &mut self,
        params: &Params,
        at: Timestamp,
        steps: Option<u64>,
    ) -> Result<Arrival, HeartbeatError> {
        let at_ns = at.as_nanos();
        if !self.monitoring() {
            self.clear();
            if params.config.bootstrap() == Bootstrap::Seeds {
                for seed in params.seeds() {
                    if let Some(history) = history_mut(&mut self.extra) {
                        history.before_seed(&self.window, seed);
                    }
                    self.window.push(seed);
                }
            }
            self.started = true;
            self.last_ns = at_ns;
            self.skipped_last = false;
            let horizon = self.fresh_horizon(params);
            self.cache.invalidate_to(horizon);
            return Ok(Arrival::new(ArrivalKind::First, 0, false));
        }
        // A heartbeat at the instant of the last one is a duplicate, unless
        // both carry numbers (this one's higher): then it is another
        // heartbeat (a coarse clock, a burst after a sender's stall), and
        // its interval of 0 is learnt like any other.
        if at_ns < self.last_ns || (at_ns == self.last_ns && steps.is_none()) {
            return if at_ns == self.last_ns {
                Ok(Arrival::new(ArrivalKind::Duplicate, 0, false))
            } else {
                Err(HeartbeatError::OutOfOrder {
                    last: Timestamp::from_nanos(self.last_ns),
                    at,
                })
            };
        }
        let elapsed = at_ns - self.last_ns;
        self.last_ns = at_ns;
        self.forget_seq();
        // Available at arrival, judged on the state before this heartbeat:
        // exactly `phi(at) < threshold`, because the exact deadline is
        // calibrated against phi.
        let available = params.quick.surely_available(elapsed, &self.window)
            || self.below_threshold(params, elapsed);
        if params.learns(available, self.skipped_last) {
            self.record(params, micros_saturating(elapsed), steps);
            self.skipped_last = false;
            let warning = elapsed >= params.warn_ns;
            let kind = if available {
                ArrivalKind::Recorded
            } else {
                ArrivalKind::RecordedAfterSuspicion
            };
            Ok(Arrival::new(kind, elapsed, warning))
        } else {
            self.skipped_last = true;
            Ok(Arrival::new(ArrivalKind::AfterSuspicion, elapsed, false))
        }
    }

    /// Records one interval in the window and the model's history,
    /// `steps` sending periods long if the sequence numbers said so.
    #[inline]
    pub(super) fn push(&mut self, micros: u32, steps: Option<u64>) {
        if let Some(history) = history_mut(&mut self.extra) {
            history.before_push(&self.window, micros, steps);
        }
        self.window.push(micros);
    }

    /// Records one interval, forgets the cached fit and deadline, and sets
    /// the sure horizon of the new window: from Σx and `horizon_base` while
    /// that is valid (no square root, and the window is known to be full),
    /// else recomputed (see [`State::fresh_horizon`]). Every push is made
    /// here, except the bootstrap seeds and a replay's, which reset
    /// `budget` themselves.
    #[inline(always)]
    fn record(&mut self, params: &Params, micros: u32, steps: Option<u64>) {
        let horizon = if self.budget > 1 {
            // Only a full window of a model without a history has a budget
            // (see `QuickBound::refresh`).
            self.budget -= 1;
            self.window.push_full(micros);
            params.quick.amortized(&self.window, self.horizon_base)
        } else {
            self.push(micros, steps);
            self.fresh_horizon(params)
        };
        self.cache.invalidate_to(horizon);
    }

    /// The sure horizon of the current window computed afresh, with a new
    /// `horizon_base` and budget where the model and window have one.
    #[inline]
    fn fresh_horizon(&mut self, params: &Params) -> u64 {
        if self.window.is_empty() {
            // The growing bootstrap before its first interval: the sums
            // bound nothing, the exact test decides.
            return 0;
        }
        if params.quick.budget_len == 0 {
            return params.quick.horizon(&self.window);
        }
        let (horizon, budget, base) = params.quick.refresh(&self.window);
        self.budget = budget;
        self.horizon_base = base;
        horizon
    }

    /// Empties the window and the model's history.
    fn clear(&mut self) {
        self.skipped_last = false;
        self.started = false;
        self.budget = 0;
        self.window.clear();
        if let Some(extra) = &mut self.extra {
            extra.last_seq = None;
            if let Some(history) = &mut extra.history {
                history.clear();
            }
        }
    }

    /// The window and history the model reads: this state's, or, before
    /// the growing bootstrap's first interval, the one-interval window of
    /// [`Params`] (see [`Bootstrap::Growing`]).
    #[inline]
    fn sources<'a>(&'a self, params: &'a Params) -> (&'a Window, Option<&'a History>) {
        match &params.lone {
            Some(lone) if self.window.is_empty() => (&lone.0, lone.1.as_ref()),
            _ => (&self.window, self.history()),
        }
    }

    /// Back to "not monitoring", keeping the window's allocation (the next
    /// heartbeat seeds it again).
    pub(crate) fn forget(&mut self) {
        self.clear();
        self.cache.invalidate();
    }

    /// The window, for snapshots.
    #[cfg(any(feature = "tools", feature = "serde"))]
    pub(crate) fn window(&self) -> &Window {
        &self.window
    }

    /// Whether the last arrival's interval was left out of the window (so
    /// the next one is learnt whatever its length), for snapshots and
    /// replays.
    #[cfg(any(feature = "tools", feature = "serde"))]
    pub(crate) fn skipped_last(&self) -> bool {
        self.skipped_last
    }

    /// The model's estimates that the window does not determine (Bertier's),
    /// for snapshots.
    #[cfg(any(feature = "tools", feature = "serde"))]
    pub(crate) fn estimates(&self) -> Option<[f64; 2]> {
        self.history().and_then(History::estimates)
    }

    /// The sending periods of the window's intervals as sequence numbers
    /// gave them, for snapshots (see [`History::given_steps`]).
    #[cfg(feature = "serde")]
    pub(crate) fn given_steps(&self) -> Option<Vec<u32>> {
        self.history().and_then(History::given_steps)
    }

    /// The state saved in a snapshot (see [`Saved`]). The running sums are
    /// recomputed from the samples, and the margin models' lag sums from
    /// the samples and their periods, so every statistic, phi and deadline
    /// is exactly that of the state that was saved. The window allocates
    /// room for these samples only and grows as heartbeats come, so what a
    /// restore allocates is bounded by what the snapshot holds.
    #[cfg(feature = "serde")]
    pub(crate) fn restored(params: &Params, saved: &Saved<'_>) -> State {
        let mut state = State::with_room(params, saved.samples.len());
        for (i, &x) in saved.samples.iter().enumerate() {
            let steps = saved.steps.and_then(|s| s.get(i)).map(|&s| u64::from(s));
            state.push(x, steps);
        }
        if let (Some(extra), Some(estimates)) = (state.extra.as_deref_mut(), saved.estimates) {
            if let Some(history) = &mut extra.history {
                history.set_estimates(estimates);
            }
        }
        if saved.last_seq.is_some() {
            state.set_last_seq(saved.last_seq);
        }
        state.skipped_last = saved.skipped_last;
        state.started = true;
        state.last_ns = saved.last.as_nanos();
        state.cache.invalidate();
        state
    }

    pub(crate) fn stats(&self) -> Stats {
        let micros = |x: f64| Duration::from_nanos((x * 1e3).round() as u64);
        Stats {
            samples: self.window.len(),
            mean: micros(self.window.mean_micros()),
            std_deviation: micros(self.window.std_dev_micros()),
            last_heartbeat: self.last_heartbeat(),
        }
    }
}

/// What a snapshot holds of one state, checked by the caller: the window's
/// samples (oldest first, at most its capacity), the sending period of
/// each if sequence numbers gave them (one per sample, margin models
/// only), Bertier's estimates, the skipped flag, the last sequence number
/// and the last arrival.
#[cfg(feature = "serde")]
pub(crate) struct Saved<'a> {
    pub samples: &'a [u32],
    pub steps: Option<&'a [u32]>,
    pub estimates: Option<[f64; 2]>,
    pub skipped_last: bool,
    pub last_seq: Option<u64>,
    pub last: Timestamp,
}

/// What a state keeps apart from its fixed-size part, boxed so that the
/// common case (a normal model, no sequence numbers) pays one pointer.
#[derive(Clone, Debug, PartialEq)]
struct Extra {
    /// What the model keeps beyond the window's sums (Chen's lag sums,
    /// Bertier's estimates, the sorted window); `None` for the others.
    history: Option<History>,
    /// The sender's sequence number of the last heartbeat, if it had one:
    /// a later heartbeat with a number not above it is refused, and one
    /// with a number above it spans `seq − last` sending periods.
    last_seq: Option<u64>,
}
