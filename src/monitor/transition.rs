//! The rules that move a peer between suspicion levels, as pure functions.
//!
//! A peer's *level* is the number of registered thresholds it has been
//! *announced* suspected at (the subscribers' view). Thresholds are sorted,
//! so their deadlines are too, and crossing level `j` implies crossing all
//! lower ones first. The rules:
//!
//! * **A due check** (a tick at `now` popping the peer's queue entry)
//!   announces, in increasing order, every level whose deadline is at or
//!   before `now`, then queues a check at the deadline of the next level, if
//!   any ([`on_due`]). A fully suspected peer has no check queued: only a
//!   heartbeat can change it.
//! * **A heartbeat** at `t` first settles the levels as a tick at `t` would
//!   have (levels whose deadline passed by `t` but that no tick announced
//!   yet are announced now, unless the pause guard holds them), then
//!   announces a recovery for every announced level, from the highest down,
//!   and the level drops to 0 ([`on_heartbeat`]). Each level's deadline is
//!   taken from the state *before* the heartbeat: the detector's own
//!   `Arrival::is_recovery` only knows the configured threshold, not the
//!   monitor's levels, so it cannot say which levels a heartbeat ends.
//! * **After a heartbeat** the queued check must still come no later than
//!   the new first-level deadline, which may have moved earlier
//!   ([`rearm_after_heartbeat`]).
//!
//! Only real heartbeats recover; checks only ever raise the level, and a
//! level is announced once per suspicion, so there is no flapping and no
//! duplicate event.
//!
//! These functions know nothing of records, maps, queues, locks or
//! channels (as memberlist keeps `remainingSuspicionTime` apart from its
//! timers): `shard.rs` reads a peer's record, calls them, and applies the
//! answer. A level's deadline is passed as a function of the level, so
//! that only the deadlines a rule looks at are computed (each costs a
//! model inversion); the deadlines are nanoseconds, `None` for a level
//! that phi does not reach before the end of the axis. A deadline at
//! `u64::MAX` itself is a real one, crossed by a tick at
//! [`Timestamp::MAX`](crate::Timestamp::MAX): the queue's [`NEVER`] ("no
//! check queued") is the same number, so such a check may be queued
//! twice, which is harmless (a second check of a settled peer announces
//! nothing).

use super::schedule::NEVER;
use std::ops::Range;

/// What a due check of a peer leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Due {
    /// The levels to announce suspected, in increasing order; the peer's
    /// level becomes `suspect.end`.
    pub(crate) suspect: Range<usize>,
    /// When to check the peer again: the deadline of its next level, or
    /// `None` once every level is announced.
    pub(crate) next_check: Option<u64>,
}

/// A check of a peer at level `announced` (of `levels`) is due at `now`.
///
/// `deadline(j)` is the deadline of level `j` for the peer's current state;
/// it is called for the levels crossed and for the first one not crossed.
/// A level without a deadline is never crossed and needs no check: only a
/// heartbeat, which changes the state, can give it one.
pub(crate) fn on_due(
    announced: usize,
    levels: usize,
    now: u64,
    deadline: impl Fn(usize) -> Option<u64>,
) -> Due {
    let mut level = announced;
    while level < levels {
        match deadline(level) {
            Some(next) if next <= now => level += 1,
            // Not crossed yet (heartbeats moved it later): check again then.
            next_check => {
                return Due {
                    suspect: announced..level,
                    next_check,
                }
            }
        }
    }
    Due {
        suspect: announced..level,
        next_check: None,
    }
}

/// What a heartbeat does to a peer's levels before it is applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Settle {
    /// The levels whose deadline passed before the heartbeat but that no
    /// check announced yet, to announce suspected first, in increasing order.
    pub(crate) suspect: Range<usize>,
    /// The levels to announce recovered, to be sent highest first; the
    /// peer's level then drops to 0.
    pub(crate) recover: Range<usize>,
}

/// A heartbeat at `t` reaches a peer at level `announced` (of `levels`).
///
/// `catch_up` says whether suspicions noticed only now may be announced
/// (the pause guard says no while it holds, see
/// `guard::heartbeat_may_catch_up`); `deadline(j)` is the deadline of level
/// `j` for the state before the heartbeat, called only when `catch_up`.
pub(crate) fn on_heartbeat(
    announced: usize,
    levels: usize,
    t: u64,
    catch_up: bool,
    deadline: impl Fn(usize) -> Option<u64>,
) -> Settle {
    let mut crossed = announced;
    if catch_up {
        while crossed < levels && deadline(crossed).is_some_and(|d| d <= t) {
            crossed += 1;
        }
    }
    Settle {
        suspect: announced..crossed,
        recover: 0..crossed,
    }
}

/// Whether a heartbeat at `t` may have levels to settle: the peer has
/// announced levels, or its queued check (at or before its next level's
/// deadline) is due by `t`. When neither holds, no deadline can have
/// passed by `t` and [`on_heartbeat`] would return nothing to send.
#[inline]
pub(crate) fn needs_settling(announced: usize, queued: u64, t: u64) -> bool {
    announced > 0 || t >= queued
}

/// The check to queue after a heartbeat at `t`, if one is needed, for a
/// peer whose queued check is at `queued` ([`NEVER`] for none).
///
/// The heartbeat dropped the level to 0 and moved the first level's
/// deadline, usually later (then the queued check is merely early, which
/// is fine: it is re-checked when it pops), but possibly *earlier*: a peer
/// first judged by a 1 s bootstrap estimate that then sends every 10 ms has
/// its deadline shrink from seconds to tens of milliseconds, and a check
/// left at the old time would suspect it late. So:
///
/// * no check queued (every level was announced): queue the new deadline;
/// * a check queued in the future: if `surely_available(queued)` (a cheap
///   bound, a few multiplications and no fit) proves the peer is still
///   below the first threshold then, the check is early enough (the common
///   case); otherwise compute `first_deadline()` exactly and queue it if it
///   is earlier (the old check goes stale);
/// * a check already due: the next tick pops it and re-checks.
///
/// A first level without a deadline needs no check.
#[inline]
pub(crate) fn rearm_after_heartbeat(
    queued: u64,
    t: u64,
    surely_available: impl FnOnce(u64) -> bool,
    first_deadline: impl FnOnce() -> Option<u64>,
) -> Option<u64> {
    let check = queued == NEVER || (queued > t && !surely_available(queued));
    if !check {
        return None;
    }
    let first = first_deadline()?;
    // `queued == NEVER` may be a check at the last instant rather than
    // none: queuing a real deadline there again is harmless.
    (queued == NEVER || first < queued).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// Three levels with deadlines at 100, 200 and 300 ns.
    fn three(j: usize) -> Option<u64> {
        Some([100, 200, 300][j])
    }

    #[test]
    fn a_due_check_announces_every_passed_level_then_queues_the_next() {
        // 250 is past 100 and 200, before 300.
        assert_eq!(
            on_due(0, 3, 250, three),
            Due {
                suspect: 0..2,
                next_check: Some(300)
            }
        );
        // From level 1 on, level 0 is not announced again.
        assert_eq!(
            on_due(1, 3, 250, three),
            Due {
                suspect: 1..2,
                next_check: Some(300)
            }
        );
    }

    #[test]
    fn a_deadline_is_crossed_at_its_own_time() {
        // "At or before now": at exactly 200, level 1 is crossed.
        assert_eq!(on_due(0, 3, 200, three).suspect, 0..2);
        assert_eq!(on_due(0, 3, 199, three).suspect, 0..1);
    }

    #[test]
    fn an_early_check_only_requeues() {
        // The check was queued early (a heartbeat moved the deadline to 100
        // from something earlier): nothing to announce at 50.
        assert_eq!(
            on_due(0, 3, 50, three),
            Due {
                suspect: 0..0,
                next_check: Some(100)
            }
        );
    }

    #[test]
    fn a_fully_suspected_peer_is_not_checked_again() {
        assert_eq!(
            on_due(0, 3, 1_000, three),
            Due {
                suspect: 0..3,
                next_check: None
            }
        );
        assert_eq!(
            on_due(3, 3, 1_000, three),
            Due {
                suspect: 3..3,
                next_check: None
            }
        );
    }

    #[test]
    fn a_level_with_no_deadline_is_never_crossed_nor_checked() {
        // Level 1's phi stays below its threshold to the end of the axis: no
        // check is queued, and even a tick at the last instant leaves it
        // (reading "no deadline" as the last instant would suspect a peer
        // whose phi is far below the threshold).
        let beyond = |j| [Some(100), None][j];
        assert_eq!(
            on_due(0, 2, 150, beyond),
            Due {
                suspect: 0..1,
                next_check: None
            }
        );
        assert_eq!(on_due(1, 2, NEVER, beyond).suspect, 1..1);
        assert_eq!(on_heartbeat(1, 2, NEVER, true, beyond).suspect, 1..1);
    }

    #[test]
    fn a_deadline_at_the_last_instant_is_crossed_there() {
        let last = |j| [Some(100), Some(NEVER)][j];
        assert_eq!(
            on_due(0, 2, 150, last),
            Due {
                suspect: 0..1,
                next_check: Some(NEVER)
            }
        );
        assert_eq!(on_due(1, 2, NEVER - 1, last).suspect, 1..1);
        assert_eq!(on_due(1, 2, NEVER, last).suspect, 1..2);
        assert_eq!(on_heartbeat(1, 2, NEVER, true, last).suspect, 1..2);
    }

    #[test]
    fn a_due_check_computes_only_the_deadlines_it_needs() {
        let asked = Cell::new(0);
        let counted = |j| {
            asked.set(asked.get() + 1);
            three(j)
        };
        // Levels 1 and 2 (from level 1): the crossed one and the next.
        on_due(1, 3, 250, counted);
        assert_eq!(asked.get(), 2);
    }

    #[test]
    fn a_heartbeat_recovers_every_announced_level() {
        // Level 2 announced, heartbeat at 250 (level 2's deadline at 300
        // not passed): no suspicion, recoveries of levels 1 and 0.
        assert_eq!(
            on_heartbeat(2, 3, 250, true, three),
            Settle {
                suspect: 2..2,
                recover: 0..2
            }
        );
    }

    #[test]
    fn a_heartbeat_first_announces_what_no_tick_announced() {
        // Nothing announced, heartbeat at 250: levels 0 and 1 passed (100,
        // 200), so they are announced, then both recover.
        assert_eq!(
            on_heartbeat(0, 3, 250, true, three),
            Settle {
                suspect: 0..2,
                recover: 0..2
            }
        );
        // Level 1 announced by a tick, heartbeat at 300: level 2 too.
        assert_eq!(
            on_heartbeat(1, 3, 300, true, three),
            Settle {
                suspect: 1..3,
                recover: 0..3
            }
        );
    }

    #[test]
    fn a_held_heartbeat_announces_nothing_new_but_still_recovers() {
        let asked = Cell::new(0);
        let counted = |j| {
            asked.set(asked.get() + 1);
            three(j)
        };
        assert_eq!(
            on_heartbeat(1, 3, 250, false, counted),
            Settle {
                suspect: 1..1,
                recover: 0..1
            }
        );
        assert_eq!(asked.get(), 0, "no deadline is needed while holding");
    }

    #[test]
    fn a_timely_heartbeat_changes_nothing() {
        assert_eq!(
            on_heartbeat(0, 3, 99, true, three),
            Settle {
                suspect: 0..0,
                recover: 0..0
            }
        );
    }

    #[test]
    fn only_announced_levels_or_a_due_check_need_settling() {
        assert!(!needs_settling(0, 100, 99));
        assert!(needs_settling(0, 100, 100));
        assert!(needs_settling(1, NEVER, 0));
    }

    #[test]
    fn a_deadline_that_moved_earlier_is_queued() {
        // Queued at 5 s; the heartbeat at 1 s brings the deadline to 1.03 s.
        assert_eq!(
            rearm_after_heartbeat(5_000, 1_000, |_| false, || Some(1_030)),
            Some(1_030)
        );
    }

    #[test]
    fn a_check_proved_early_enough_is_kept_without_a_deadline() {
        let asked = Cell::new(false);
        let first = || {
            asked.set(true);
            Some(1_030)
        };
        assert_eq!(rearm_after_heartbeat(5_000, 1_000, |_| true, first), None);
        assert!(!asked.get(), "the cheap bound spares the exact deadline");
    }

    #[test]
    fn a_later_deadline_keeps_the_early_check() {
        // Not proved by the bound, but the exact deadline is later than the
        // check: the check is early, which is fine.
        assert_eq!(
            rearm_after_heartbeat(5_000, 1_000, |_| false, || Some(6_000)),
            None
        );
    }

    #[test]
    fn a_peer_without_a_check_gets_one() {
        assert_eq!(
            rearm_after_heartbeat(NEVER, 1_000, |_| true, || Some(6_000)),
            Some(6_000)
        );
        // A first level phi never reaches needs no check.
        assert_eq!(rearm_after_heartbeat(NEVER, 1_000, |_| true, || None), None);
        // A real deadline at the last instant does.
        assert_eq!(
            rearm_after_heartbeat(NEVER, 1_000, |_| true, || Some(NEVER)),
            Some(NEVER)
        );
    }

    #[test]
    fn a_check_already_due_is_left_to_the_tick() {
        // Queued at 900, heartbeat at 1000: the next tick pops it.
        assert_eq!(
            rearm_after_heartbeat(900, 1_000, |_| false, || Some(950)),
            None
        );
        assert_eq!(
            rearm_after_heartbeat(1_000, 1_000, |_| false, || Some(950)),
            None
        );
    }
}
