//! Clocks for the background [`Driver`](super::Driver): the real monotonic
//! clock, and a manual one for tests.
//!
//! The monitor itself never reads a clock: every call takes the time as a
//! [`Timestamp`]. Only the driver thread, which ticks the monitor
//! periodically, needs to ask "what time is it?", and it asks a [`Clock`]. In
//! the style of the `governor` crate, production code uses [`SystemClock`]
//! and tests use a [`ManualClock`] they advance by hand, so a test of the
//! driver is deterministic in everything but thread scheduling.

use crate::time::{duration_nanos, Timestamp};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A source of the current time for the background driver.
pub trait Clock: Send + Sync + 'static {
    /// The current time. Must never go backwards between calls (the monitor
    /// ignores ticks that do, see [`Monitor::tick`](super::Monitor::tick)).
    fn now(&self) -> Timestamp;
}

/// The process's monotonic clock ([`Timestamp::now`], from
/// [`std::time::Instant`]): the clock to use with heartbeats stamped with
/// `Instant::now()`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that only moves when told to. Clones share the same time, so a
/// test keeps one handle and gives a clone to the driver.
///
/// ```
/// use accrual::monitor::{Clock, ManualClock};
/// use accrual::Timestamp;
/// use std::time::Duration;
///
/// let clock = ManualClock::new(Timestamp::from_millis(1_000));
/// let shared = clock.clone();
/// clock.advance(Duration::from_millis(500));
/// assert_eq!(shared.now(), Timestamp::from_millis(1_500));
/// ```
#[derive(Clone, Debug, Default)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: Timestamp) -> Self {
        ManualClock {
            nanos: Arc::new(AtomicU64::new(start.as_nanos())),
        }
    }

    /// Moves the clock forward by `d`, saturating at [`Timestamp::MAX`].
    pub fn advance(&self, d: Duration) {
        let step = duration_nanos(d);
        // fetch_update cannot fail with a closure that always returns Some.
        let _ = self
            .nanos
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                Some(t.saturating_add(step))
            });
    }

    /// Sets the clock to `t` (tests may also move it backwards, to check that
    /// the monitor ignores such ticks).
    pub fn set(&self, t: Timestamp) {
        self.nanos.store(t.as_nanos(), Ordering::Release);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_nanos(self.nanos.load(Ordering::Acquire))
    }
}
