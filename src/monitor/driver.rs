//! The optional background thread that ticks a monitor on a clock.
//!
//! Without a driver, the application calls [`Monitor::tick`] itself (from
//! its own timer or event loop, possibly armed with
//! [`Monitor::next_check`]). With one, a dedicated thread calls
//! `tick(clock.now())` every `period` and stops cleanly when the [`Driver`]
//! is dropped: the drop wakes the thread at once (it waits on a channel,
//! not in a sleep) and joins it.

use super::Monitor;
use crate::time::{Clock, SystemClock};
use crossbeam_channel::{RecvTimeoutError, Sender};
use std::hash::Hash;
use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A background thread ticking a [`Monitor`]. Dropping it stops the thread
/// and waits for it to finish (at most one tick).
///
/// ```
/// use accrual::monitor::{Driver, Monitor};
/// use accrual::{Config, Timestamp};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let monitor = Arc::new(Monitor::<u32>::new(Config::default()));
/// let driver = Driver::spawn(Arc::clone(&monitor), Duration::from_millis(10))?;
/// monitor.heartbeat(&1, Timestamp::now())?;
/// drop(driver); // stops and joins the thread
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Driver {
    /// Dropping the sender wakes the thread with `Disconnected`.
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Driver {
    /// Ticks `monitor` every `period` on the real monotonic clock
    /// ([`SystemClock`], the clock of `Instant::now()`).
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] if `period` is zero; the operating
    /// system's error if the thread cannot be spawned.
    pub fn spawn<K>(monitor: Arc<Monitor<K>>, period: Duration) -> io::Result<Driver>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
    {
        Driver::spawn_with_clock(monitor, SystemClock, period)
    }

    /// Ticks `monitor` every `period` with the time read from `clock`.
    ///
    /// Keep `period` well below the monitor's pause guard `max_pause`:
    /// ticks further apart than that are taken for a pause of the observer.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] if `period` is zero; the operating
    /// system's error if the thread cannot be spawned.
    pub fn spawn_with_clock<K, C>(
        monitor: Arc<Monitor<K>>,
        clock: C,
        period: Duration,
    ) -> io::Result<Driver>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        C: Clock,
    {
        if period.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the driver's tick period must be above zero",
            ));
        }
        let (stop, stopped) = crossbeam_channel::bounded::<()>(0);
        let thread = std::thread::Builder::new()
            .name("accrual-monitor".into())
            .spawn(move || loop {
                monitor.tick(clock.now());
                match stopped.recv_timeout(period) {
                    Err(RecvTimeoutError::Timeout) => {}
                    // Disconnected (the Driver was dropped) or an explicit stop.
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
                }
            })?;
        Ok(Driver {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Stops the thread and waits for it (the same as dropping the driver).
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // A panic inside the thread (none is expected: tick does not
            // panic) must not become a panic in a destructor.
            let _ = thread.join();
        }
    }
}
