//! A tokio task that ticks a monitor (feature `tokio`): the async
//! counterpart of the [`Driver`](super::Driver) thread.
//!
//! The task reads tokio's clock ([`tokio::time::Instant`], which is the
//! monotonic clock of [`std::time::Instant::now`] unless the runtime's time
//! is paused, as in tests), ticks the monitor, and sleeps on a tokio timer
//! until the next tick is worth doing. It runs on whatever runtime spawned
//! it, `current_thread` included: a tick never blocks (it takes the
//! monitor's locks for microseconds and sends events on unbounded
//! channels).
//!
//! Two schedules:
//!
//! * [`TokioDriver::spawn`] arms one timer on [`Monitor::next_check`] after
//!   each tick, so a suspicion is announced when its deadline passes, not up
//!   to a period later, and a monitor whose peers are all healthy is ticked
//!   about once per deadline instead of many times per heartbeat interval.
//!   It also ticks at least every `period`: a heartbeat can move a peer's
//!   deadline earlier than the timer (a new peer, a link that sped up), and
//!   the periodic tick is what notices it.
//! * [`TokioDriver::spawn_periodic`] ticks every `period`, like the thread
//!   driver.
//!
//! Both honour the [`PauseGuard`](super::PauseGuard): the guard takes a
//! tick for an observer stall only when it comes more than `max_pause`
//! after both the previous tick and the check time `next_check` handed out,
//! so timers armed on `next_check` are never taken for stalls; and the
//! driver never waits longer than half of `max_pause` between ticks (the
//! other half absorbs timer latency), so its own schedule is never taken
//! for a stall either, while a stall of the runtime (a blocked worker, a
//! frozen process) is still reported and holds the suspicions it would
//! otherwise cause.

use super::Monitor;
use crate::time::Timestamp;
use std::hash::Hash;
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// A tokio task ticking a [`Monitor`] on the real clock (feature `tokio`).
/// Dropping the handle (or calling [`abort`](Self::abort)) stops the task.
///
/// ```
/// use accrual::monitor::{Monitor, TokioDriver};
/// use accrual::{Config, Timestamp};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let config = Config::for_interval(Duration::from_millis(50))?;
/// let monitor = Arc::new(Monitor::<u32>::new(config));
/// let driver = TokioDriver::spawn(Arc::clone(&monitor), Duration::from_millis(50))?;
/// monitor.heartbeat(&1, Timestamp::now())?;
/// drop(driver); // stops the task
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct TokioDriver {
    task: JoinHandle<()>,
}

impl TokioDriver {
    /// Spawns, on the current tokio runtime, a task that ticks `monitor` at
    /// each [`next_check`](Monitor::next_check) and at least every
    /// `period` (at least every half pause guard `max_pause`, if that is
    /// shorter).
    ///
    /// A deadline that a heartbeat moved earlier than the armed timer is
    /// seen at the next periodic tick, so `period` bounds the announcement's
    /// lag in that case; a heartbeat interval is a sensible value.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] if `period` is zero;
    /// [`io::ErrorKind::Other`] if called outside a tokio runtime.
    pub fn spawn<K>(monitor: Arc<Monitor<K>>, period: Duration) -> io::Result<TokioDriver>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
    {
        TokioDriver::start(monitor, period, true)
    }

    /// Spawns, on the current tokio runtime, a task that ticks `monitor`
    /// every `period` (every half pause guard `max_pause`, if that is
    /// shorter), like the [`Driver`](super::Driver) thread.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] if `period` is zero;
    /// [`io::ErrorKind::Other`] if called outside a tokio runtime.
    pub fn spawn_periodic<K>(monitor: Arc<Monitor<K>>, period: Duration) -> io::Result<TokioDriver>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
    {
        TokioDriver::start(monitor, period, false)
    }

    fn start<K>(
        monitor: Arc<Monitor<K>>,
        period: Duration,
        at_next_check: bool,
    ) -> io::Result<TokioDriver>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
    {
        if period.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the driver's tick period must be above zero",
            ));
        }
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| io::Error::other(format!("TokioDriver needs a tokio runtime: {e}")))?;
        // A wait of max_pause between ticks would itself look like a stall
        // as soon as the timer fired a little late; half of it leaves the
        // other half for timer and scheduling latency.
        let period = match monitor.pause_guard() {
            Some(guard) => period
                .min(guard.max_pause() / 2)
                .max(Duration::from_nanos(1)),
            None => period,
        };
        let task = runtime.spawn(run(monitor, period, at_next_check));
        Ok(TokioDriver { task })
    }

    /// Stops the task (the same as dropping the handle). The task ends at
    /// its next await point, which is never later than its next tick.
    pub fn abort(self) {
        drop(self);
    }

    /// Whether the task has ended (it ends only when aborted, or if its
    /// runtime shut down).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

impl Drop for TokioDriver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The resolution of tokio's timers.
const TIMER_STEP: Duration = Duration::from_millis(1);

async fn run<K>(monitor: Arc<Monitor<K>>, period: Duration, at_next_check: bool)
where
    K: Hash + Eq + Clone,
{
    loop {
        let now = Instant::now();
        let stamp = Timestamp::from_instant(now.into_std());
        monitor.tick(stamp);
        let mut wait = period;
        if at_next_check {
            if let Some(next) = monitor.next_check() {
                wait = wait.min(next.saturating_duration_since(stamp));
            }
        }
        // A check already due after a tick (a heartbeat stamped in the past
        // queued it meanwhile, or another caller ticked ahead of this clock)
        // is ticked again a timer step later rather than in a busy loop,
        // which on paused time would also stop the clock from advancing.
        tokio::time::sleep_until(now + wait.max(TIMER_STEP)).await;
    }
}
