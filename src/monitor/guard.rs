//! The observer pause guard: do not convict every peer because the
//! *observer* was frozen.
//!
//! If the monitoring process itself stalls (a long garbage-collection pause
//! in a host runtime, a VM freeze, a suspended laptop), no heartbeat is
//! processed meanwhile, and on wake-up every peer looks silent. Cassandra
//! guards against this (`max_local_pause_in_ms`, 5 s by default): when the
//! time since its previous failure-detector check exceeds the limit, it logs
//! "Not marking nodes down due to local pause" and convicts nobody until the
//! same time has passed again.
//!
//! Here the monitor's ticks play the role of Cassandra's checks:
//!
//! * a tick is *late* if its time is more than `max_pause` after the time
//!   the observer was due to tick: the previous tick, or the last check
//!   time the monitor handed out with
//!   [`next_check`](super::Monitor::next_check), whichever is later;
//! * a late tick reports one
//!   [`Event::ObserverPaused`](super::Event::ObserverPaused) and starts a
//!   hold of `grace`;
//! * during the hold, ticks announce no new suspicion, and heartbeats do
//!   not announce the suspicions they would otherwise notice after the fact
//!   (they are proof of life, which is what the hold waits for);
//!   recoveries of suspicions announced before the pause are still reported;
//! * the first tick at or after the end of the hold announces every peer
//!   that is *still* silent, with its events: the guard delays
//!   convictions, it never swallows them. That tick is never itself taken
//!   for a new pause, even if it is late, so holds cannot chain forever
//!   when a caller ticks less often than `max_pause`: at worst every other
//!   tick convicts. Tick well within `max_pause` (the driver's period is
//!   typically 10–100 ms), or at the times `next_check` gives, to get the
//!   intended behaviour.
//!
//! The first tick of a monitor has no predecessor and is never a pause.
//!
//! # Ticking on timers
//!
//! Measured against the previous tick alone, lateness would be wrong for a
//! caller that arms one timer on `next_check` instead of ticking
//! periodically: with every peer healthy, its ticks are legitimately up to
//! a suspicion deadline apart (228 ms after a heartbeat with
//! `Config::for_interval(50 ms)`), longer than the guard scaled to that
//! interval (75 ms), and every tick would be taken for a
//! stall, holding real suspicions for nothing. So `next_check` records the
//! time it hands out, and a tick at that time is on time however long ago
//! the previous tick was. A stall is still seen: a timer that fires more
//! than `max_pause` after its check time is late. A periodic ticker that
//! never calls `next_check` is judged by its tick gaps alone, as before;
//! one that reads `next_check` for other purposes is simply believed to be
//! waiting for that time (a stall ending before `next_check + max_pause` is
//! then not reported, which can only announce suspicions that were due
//! anyway, never hold one wrongly).
//!
//! A heartbeat that arrives when ticks are overdue by more than `max_pause`
//! (by the same measure) does not announce the suspicions it would
//! otherwise notice after the fact: the next tick decides whether the
//! observer paused.

use crate::config::{Config, ConfigError};
use std::time::Duration;

/// Settings of the observer pause guard: how late a tick must be to count
/// as a pause of the observer, and how long suspicions are then held.
///
/// A [`MonitorBuilder`](super::MonitorBuilder) that is given no guard uses
/// [`PauseGuard::for_config`] of its configuration. `PauseGuard::default()`
/// is Cassandra's 5 s and 5 s, meant for 1 s heartbeats.
///
/// With the `serde` feature, deserialising runs [`PauseGuard::new`]'s
/// check: a zero `max_pause` is refused by the format, as by the
/// constructor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "GuardFields"))]
pub struct PauseGuard {
    max_pause: Duration,
    grace: Duration,
}

/// A [`PauseGuard`]'s fields as read, before [`PauseGuard::new`] checks them.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct GuardFields {
    max_pause: Duration,
    grace: Duration,
}

#[cfg(feature = "serde")]
impl TryFrom<GuardFields> for PauseGuard {
    type Error = ConfigError;
    fn try_from(fields: GuardFields) -> Result<Self, Self::Error> {
        PauseGuard::new(fields.max_pause, fields.grace)
    }
}

impl Default for PauseGuard {
    /// Cassandra's `max_local_pause_in_ms`: 5 s, held for 5 s.
    fn default() -> Self {
        PauseGuard {
            max_pause: Duration::from_secs(5),
            grace: Duration::from_secs(5),
        }
    }
}

impl PauseGuard {
    /// A guard that treats a gap of more than `max_pause` between two ticks
    /// as a pause of the observer and then holds new suspicions for `grace`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::ZeroDuration`] if `max_pause` is zero (every tick
    /// would be a pause). A zero `grace` is allowed: the tick after the late
    /// one convicts.
    pub fn new(max_pause: Duration, grace: Duration) -> Result<Self, ConfigError> {
        if max_pause.is_zero() {
            return Err(ConfigError::ZeroDuration { field: "max_pause" });
        }
        Ok(PauseGuard { max_pause, grace })
    }

    /// A guard scaled to a detector configuration instead of Cassandra's
    /// one-second world: a tick more than half an acceptable pause late is
    /// a pause, and suspicions are then held for one acceptable pause (with
    /// no acceptable pause, the first heartbeat estimate stands in for it).
    ///
    /// For `Config::for_interval(50 ms)` this is 75 ms and 150 ms: a stall
    /// of the observer longer than one and a half heartbeat intervals
    /// convicts nobody when it ends, and a real conviction is delayed by at
    /// most 150 ms. Cassandra's (5 s, 5 s, [`PauseGuard::default`]) would
    /// let a one-second stall at that interval convict every peer at once.
    /// A [`MonitorBuilder`](super::MonitorBuilder) given no guard uses this
    /// one.
    pub fn for_config(config: &Config) -> PauseGuard {
        let pause = config.acceptable_pause();
        let grace = if pause.is_zero() {
            config.first_heartbeat_estimate()
        } else {
            pause
        };
        PauseGuard {
            // `first_heartbeat_estimate` is validated non-zero; a 1 ns
            // pause halves to 0, so keep at least 1 ns.
            max_pause: (grace / 2).max(Duration::from_nanos(1)),
            grace,
        }
    }

    /// The largest gap between ticks that is not a pause.
    pub fn max_pause(&self) -> Duration {
        self.max_pause
    }

    /// How long new suspicions are held after a pause.
    pub fn grace(&self) -> Duration {
        self.grace
    }
}

/// The ticking side's memory, behind the monitor's tick lock.
#[derive(Debug, Default)]
pub(crate) struct TickState {
    /// Time of the last accepted tick.
    pub(crate) last: Option<u64>,
    /// End of the current hold, if any.
    pub(crate) hold_until: Option<u64>,
}

/// What a tick should do.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TickDecision {
    /// The tick is earlier than the previous one: ignore it entirely.
    Backwards,
    /// A pause was detected now: report it and hold.
    Paused { previous: u64, hold_until: u64 },
    /// A hold is in progress: nothing to announce.
    Holding,
    /// Process due deadlines.
    Run,
}

impl TickState {
    /// Records the tick at `now` and decides what it does. `promised` is
    /// the latest check time the monitor handed out with `next_check` (0 if
    /// none): a tick is late only if it is more than `max_pause` after both
    /// the previous tick and that check time.
    pub(crate) fn on_tick(
        &mut self,
        now: u64,
        guard: Option<&PauseGuard>,
        promised: u64,
    ) -> TickDecision {
        let previous = self.last;
        if previous.is_some_and(|p| now < p) {
            // Time never runs backwards inside the monitor: a tick from the
            // past changes nothing, not even the last tick time (else a
            // stray early tick would make the next one look like a pause).
            return TickDecision::Backwards;
        }
        self.last = Some(now);
        if let Some(hold) = self.hold_until {
            if now < hold {
                return TickDecision::Holding;
            }
            // The hold is over. This tick convicts whatever is still due and
            // is not itself checked for a pause (holds do not chain).
            self.hold_until = None;
            return TickDecision::Run;
        }
        if let (Some(guard), Some(previous)) = (guard, previous) {
            let late = now.saturating_sub(previous.max(promised));
            if u128::from(late) > guard.max_pause.as_nanos() {
                let hold = now.saturating_add(crate::time::duration_nanos(guard.grace));
                self.hold_until = Some(hold);
                return TickDecision::Paused {
                    previous,
                    hold_until: hold,
                };
            }
        }
        TickDecision::Run
    }
}

/// Whether a heartbeat at `t` may announce suspicions that no tick has
/// announced yet (their deadline passed before `t`): always without a
/// guard; not while the guard holds (until `hold_until`); and not when
/// ticks are overdue by more than the guard's pause (the observer may be
/// waking from one, and the next tick will decide). `last_tick` is the
/// time of the last accepted tick, or the latest check time handed out by
/// `next_check` if that is later (a caller told to tick then is not overdue
/// before it); `None` before the first tick.
pub(crate) fn heartbeat_may_catch_up(
    guard: Option<&PauseGuard>,
    t: u64,
    hold_until: Option<u64>,
    last_tick: Option<u64>,
) -> bool {
    let Some(guard) = guard else {
        return true;
    };
    if hold_until.is_some_and(|hold| t < hold) {
        return false;
    }
    last_tick.is_none_or(|last| u128::from(t.saturating_sub(last)) <= guard.max_pause.as_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn a_late_tick_holds_then_the_hold_ends() {
        let g = PauseGuard::default();
        let mut t = TickState::default();
        assert_eq!(t.on_tick(0, Some(&g), 0), TickDecision::Run);
        assert_eq!(t.on_tick(S, Some(&g), 0), TickDecision::Run);
        assert_eq!(
            t.on_tick(20 * S, Some(&g), 0),
            TickDecision::Paused {
                previous: S,
                hold_until: 25 * S
            }
        );
        assert_eq!(t.on_tick(21 * S, Some(&g), 0), TickDecision::Holding);
        // Late again, but this tick ends the hold: it runs.
        assert_eq!(t.on_tick(40 * S, Some(&g), 0), TickDecision::Run);
        assert_eq!(t.on_tick(41 * S, Some(&g), 0), TickDecision::Run);
    }

    #[test]
    fn backwards_ticks_are_ignored_and_exactly_the_limit_is_no_pause() {
        let g = PauseGuard::new(Duration::from_secs(5), Duration::ZERO).unwrap();
        let mut t = TickState::default();
        assert_eq!(t.on_tick(10 * S, Some(&g), 0), TickDecision::Run);
        assert_eq!(t.on_tick(3 * S, Some(&g), 0), TickDecision::Backwards);
        assert_eq!(t.last, Some(10 * S));
        assert_eq!(t.on_tick(15 * S, Some(&g), 0), TickDecision::Run);
        assert!(matches!(
            t.on_tick(20 * S + 1, Some(&g), 0),
            TickDecision::Paused { .. }
        ));
        // Zero grace: the next tick runs.
        assert_eq!(t.on_tick(20 * S + 1, Some(&g), 0), TickDecision::Run);
        assert_eq!(t.on_tick(100 * S, None, 0), TickDecision::Run);
    }

    #[test]
    fn heartbeats_catch_up_only_when_the_observer_is_not_paused() {
        let g = PauseGuard::default(); // 5 s
        assert!(heartbeat_may_catch_up(
            None,
            100 * S,
            Some(200 * S),
            Some(0)
        ));
        // No tick yet: nothing says the observer paused.
        assert!(heartbeat_may_catch_up(Some(&g), 100 * S, None, None));
        // Holding until 25 s.
        assert!(!heartbeat_may_catch_up(
            Some(&g),
            24 * S,
            Some(25 * S),
            Some(20 * S)
        ));
        assert!(heartbeat_may_catch_up(
            Some(&g),
            25 * S,
            Some(25 * S),
            Some(24 * S)
        ));
        // Ticks overdue: last at 10 s, exactly 5 s later is no pause, later is.
        assert!(heartbeat_may_catch_up(Some(&g), 15 * S, None, Some(10 * S)));
        assert!(!heartbeat_may_catch_up(
            Some(&g),
            15 * S + 1,
            None,
            Some(10 * S)
        ));
        // A heartbeat stamped before the last tick is not overdue.
        assert!(heartbeat_may_catch_up(Some(&g), 5 * S, None, Some(10 * S)));
    }

    #[test]
    fn a_tick_at_the_check_time_handed_out_is_on_time() {
        const MS: u64 = 1_000_000;
        let g = PauseGuard::new(Duration::from_millis(75), Duration::from_millis(150)).unwrap();
        let mut t = TickState::default();
        assert_eq!(t.on_tick(0, Some(&g), 0), TickDecision::Run);
        // Told to check at 228 ms: a tick then, or up to 75 ms after, is on
        // time although it is far more than 75 ms after the previous tick.
        assert_eq!(t.on_tick(228 * MS, Some(&g), 228 * MS), TickDecision::Run);
        assert_eq!(t.on_tick(530 * MS, Some(&g), 455 * MS), TickDecision::Run);
        // More than 75 ms after both the previous tick and the check time.
        assert_eq!(
            t.on_tick(700 * MS, Some(&g), 600 * MS),
            TickDecision::Paused {
                previous: 530 * MS,
                hold_until: 850 * MS
            }
        );
        // A check time that is already past counts for nothing.
        let mut t = TickState::default();
        assert_eq!(t.on_tick(500 * MS, Some(&g), 0), TickDecision::Run);
        assert!(matches!(
            t.on_tick(600 * MS, Some(&g), 400 * MS),
            TickDecision::Paused { .. }
        ));
    }

    #[test]
    fn zero_max_pause_is_refused() {
        assert!(PauseGuard::new(Duration::ZERO, Duration::ZERO).is_err());
    }

    #[test]
    fn a_guard_for_a_configuration_scales_with_its_pause() {
        let config = Config::for_interval(Duration::from_millis(50)).unwrap();
        let g = PauseGuard::for_config(&config);
        // for_interval(50 ms) has a 150 ms acceptable pause.
        assert_eq!(g.max_pause(), Duration::from_millis(75));
        assert_eq!(g.grace(), Duration::from_millis(150));
        // Without a pause, the first heartbeat estimate stands in.
        let config = Config::builder()
            .acceptable_pause(Duration::ZERO)
            .first_heartbeat_estimate(Duration::from_millis(40))
            .build()
            .unwrap();
        let g = PauseGuard::for_config(&config);
        assert_eq!(g.max_pause(), Duration::from_millis(20));
        assert_eq!(g.grace(), Duration::from_millis(40));
        // The smallest configuration still gives a valid guard.
        let config = Config::builder()
            .acceptable_pause(Duration::ZERO)
            .first_heartbeat_estimate(Duration::from_nanos(1))
            .build()
            .unwrap();
        assert_eq!(
            PauseGuard::for_config(&config).max_pause(),
            Duration::from_nanos(1)
        );
    }
}
