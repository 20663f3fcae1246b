//! Which inter-arrival intervals a detector's window learns: one pure
//! function, [`learns`], used by the detector's heartbeat and by the QoS
//! replay (`crate::qos`), so that the two cannot drift apart. The rule is
//! chosen by [`Learning`] in the configuration.
//!
//! # The rules
//!
//! [`Learning::All`] learns every interval, as the papers do.
//!
//! [`Learning::SkipSuspected`] (the default): an interval that ends a
//! suspicion is not learnt, but never two in a row:
//!
//! * If the peer was available when the heartbeat arrived (judged on the
//!   window before this heartbeat: `phi(arrival) < threshold`), the interval
//!   is learnt.
//! * If it was not, the interval is left out of the window (the arrival
//!   time still advances), unless the previous interval was left out too.
//!
//! # Where it comes from
//!
//! The first half is Akka's `PhiAccrualFailureDetector`, which keeps "the
//! first heartbeat after failure" out of the history "since a long pause
//! will skew the stats": one long outage would otherwise inflate the mean
//! and the spread and blind the detector for as many heartbeats as the
//! window holds. The papers (Hayashibara et al. 2004; Chen, Toueg and
//! Aguilera 2002) learn every interval; Cassandra's `ArrivalWindow` instead
//! drops the intervals above a fixed maximum (`cassandra.fd_max_interval_ms`).
//!
//! The second half, never two in a row, is this crate's. Akka's rule alone
//! can freeze a window: a peer that is alive on a slower rhythm than the
//! window knows (a bootstrap estimate below the real interval, or a tight
//! margin after the peer slowed down) is late at every heartbeat, so every
//! interval is skipped, the window never learns the new rhythm, and a live
//! peer is suspected forever. An outage ends with one late heartbeat; a
//! slower rhythm is late every time. Learning the second late interval in a
//! row keeps the outage out and still learns at least every other interval
//! of the slower rhythm, so the window catches up. The price: of a second
//! outage that follows the first without a single timely heartbeat in
//! between, one interval is learnt.
//!
//! # What the callers rely on
//!
//! Both callers go through [`Params::learns`](super::Params::learns), and
//! every rule keeps two properties they rely on:
//!
//! * An arrival at which the peer was available is learnt. The heartbeat's
//!   fast path records every arrival within the sure horizon (surely
//!   available) without asking; the constant assertion below checks it.
//!   (Cassandra's maximum would break this, and would need the interval as
//!   an input and a test on the fast path; that is why it is not offered.)
//! * Learning does not decrease with availability: if an interval is learnt
//!   by a detector that had suspected the peer, it is learnt by one that had
//!   not. The QoS sweep shares one state among thresholds and relies on the
//!   thresholds that do not learn an interval being the lowest ones.

use crate::config::Learning;

/// Whether the interval that an arrival ends is added to the window under
/// `rule`, given whether the peer was available at the arrival (judged on
/// the window before it) and whether the previous interval was left out.
#[inline]
pub(crate) const fn learns(rule: Learning, available_at_arrival: bool, skipped_last: bool) -> bool {
    match rule {
        Learning::SkipSuspected => available_at_arrival || skipped_last,
        Learning::All => true,
    }
}

// The heartbeat's fast path records every arrival within the sure horizon
// without asking the rule: an available arrival must always be learnt.
// And learning never decreases with availability (the QoS sweep's prefix).
const _: () = {
    let rules = [Learning::SkipSuspected, Learning::All];
    let mut i = 0;
    while i < rules.len() {
        let r = rules[i];
        assert!(learns(r, true, false) && learns(r, true, true));
        assert!(!learns(r, false, false) || learns(r, true, false));
        assert!(!learns(r, false, true) || learns(r, true, true));
        i += 1;
    }
};

#[cfg(test)]
mod tests {
    use super::learns;
    use crate::config::Learning;

    #[test]
    fn an_interval_that_ends_a_suspicion_is_not_learnt_never_two_in_a_row() {
        let rule = Learning::SkipSuspected;
        // Available at the arrival: learnt, whatever came before.
        assert!(learns(rule, true, false));
        assert!(learns(rule, true, true));
        // Suspected at the arrival: left out, unless the last one was too.
        assert!(!learns(rule, false, false));
        assert!(learns(rule, false, true));
    }

    #[test]
    fn the_papers_rule_learns_every_interval() {
        for available in [false, true] {
            for skipped_last in [false, true] {
                assert!(learns(Learning::All, available, skipped_last));
            }
        }
    }
}
