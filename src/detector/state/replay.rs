//! Replay support for the QoS sweep (`crate::qos::sweep`), and nothing else:
//! a heartbeat whose learning decision is made by the caller. Kept apart so
//! that it can be compiled only with the tooling.

use super::State;
use crate::detector::horizon::micros_saturating;
use crate::detector::Params;
use crate::time::Timestamp;

/// Used only by the QoS replay: the recording decision made outside the state.
impl State {
    /// Feeds one arrival at `at_ns` like [`State::heartbeat`], except that
    /// the caller decides whether the interval is learnt (by the rule of
    /// [`Params::learns`], per threshold). A sweep over many thresholds
    /// shares one state while their decisions agree, and knows each
    /// threshold's deadline already. `steps` are the sending periods since
    /// the last arrival when both were numbered (the caller checked that
    /// the number is not stale); with them an arrival at the last one's
    /// instant is a new one. Returns `false` (and changes nothing) for an
    /// arrival earlier than the last one.
    pub(crate) fn replay(
        &mut self,
        params: &Params,
        at_ns: u64,
        record: bool,
        steps: Option<u64>,
    ) -> bool {
        if !self.monitoring() {
            return self.heartbeat(params, Timestamp::from_nanos(at_ns)).is_ok();
        }
        if at_ns < self.last_ns {
            return false;
        }
        let elapsed = at_ns - self.last_ns;
        self.last_ns = at_ns;
        if elapsed > 0 || steps.is_some() {
            if record {
                self.push(micros_saturating(elapsed), steps);
                self.budget = 0;
                self.cache.invalidate();
            }
            self.skipped_last = !record;
        }
        true
    }
}
