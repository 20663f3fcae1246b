//! The monitor's transitions as structured `tracing` events (feature
//! `tracing`), emitted where events are fanned out to subscribers.
//!
//! Opt-in per monitor, with [`Monitor::trace_events`], rather than
//! automatic with the feature: a tracing event names its peer, which needs
//! `K: Debug`, and the monitor does not require it. Requiring it only when
//! the feature is on would break, when any crate in a build turns the
//! feature on, every other crate whose peer id is not `Debug` (features
//! must only add). The bound therefore sits on the one method that turns
//! tracing on.

use super::super::Monitor;
use super::display::whole_millis;
use super::Event;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// Whether a monitor's events go to `tracing`, and the function that sends
/// them there (`emit::<K>`, stored because only `trace_events` knows that
/// `K: Debug`).
pub(super) struct Tracer<K> {
    on: AtomicBool,
    emit: OnceLock<fn(&Event<K>)>,
}

impl<K> Default for Tracer<K> {
    fn default() -> Self {
        Tracer {
            on: AtomicBool::new(false),
            emit: OnceLock::new(),
        }
    }
}

impl<K> Tracer<K> {
    /// Whether events must be built for `tracing`.
    #[inline]
    pub(super) fn on(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }

    /// Sends `event` to `tracing`, if on.
    #[inline]
    pub(super) fn trace(&self, event: &Event<K>) {
        if self.on() {
            if let Some(emit) = self.emit.get() {
                emit(event);
            }
        }
    }

    fn set(&self, on: bool)
    where
        K: Debug,
    {
        self.emit.get_or_init(|| emit::<K>);
        self.on.store(on, Ordering::Relaxed);
    }
}

impl<K: Hash + Eq + Clone + Debug> Monitor<K> {
    /// Also emits every transition as a structured [`tracing`] event (or
    /// stops, with `false`), feature `tracing`. Events go out from the same
    /// place as the subscribers' (under the peer's shard lock, in
    /// transition order), whether or not anyone [subscribed](Self::subscribe).
    ///
    /// Target `accrual`; the message is the event's kind, the fields are
    /// numbers (milliseconds as whole `u64`s, phi and thresholds as `f64`
    /// at full precision, for programs that read them) and the peer by its
    /// `Debug` form (`Debug` rather than `Display` because every id type can
    /// derive it):
    ///
    /// | event | level | message | fields |
    /// |---|---|---|---|
    /// | [`Event::Suspected`] | `WARN` | `suspected` | `peer`, `level`, `threshold`, `phi`, `silence_ms`, `never_heard` |
    /// | [`Event::Recovered`] | `INFO` | `recovered` | `peer`, `level`, `threshold`, `down_ms` |
    /// | [`Event::Removed`] | `INFO` | `removed` | `peer`, `level` |
    /// | [`Event::IntervalWarning`] | `INFO` | `late heartbeat` | `peer`, `interval_ms` |
    /// | [`Event::ObserverPaused`] | `WARN` | `observer paused` | `gap_ms`, `hold_ms` |
    /// | [`Event::Reset`] | `INFO` | `reset` | |
    ///
    /// ([`Event::Dropped`] is not traced: it is one bounded subscriber's
    /// loss, and `tracing` sees every event.)
    ///
    /// A suspicion and a stall of this process are what an operator must
    /// see, hence `WARN`; a late heartbeat is the normal life of a jittery
    /// link and stays at `INFO`. With tracing off (the default) and nobody
    /// subscribed, the monitor does not even build its events.
    ///
    /// The `tracing` subscriber runs while the peer's shard lock is held:
    /// give it a writer that does not block (such as `tracing-appender`'s
    /// non-blocking one) and do not call back into the monitor from it.
    ///
    /// ```
    /// use accrual::Monitor;
    /// let monitor = Monitor::<String>::default();
    /// monitor.trace_events(true);
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
    pub fn trace_events(&self, on: bool) {
        self.events.tracer.set(on);
    }
}

/// The `tracing` event for one monitor event.
fn emit<K: Debug>(event: &Event<K>) {
    use tracing::{info, warn};
    match event {
        Event::Suspected(e) => warn!(
            target: "accrual",
            peer = ?e.peer,
            level = e.level,
            threshold = e.threshold,
            phi = e.phi,
            silence_ms = whole_millis(e.silence),
            never_heard = e.never_heard,
            "suspected"
        ),
        Event::Recovered(e) => info!(
            target: "accrual",
            peer = ?e.peer,
            level = e.level,
            threshold = e.threshold,
            down_ms = whole_millis(e.down_for),
            "recovered"
        ),
        Event::Removed(e) => info!(target: "accrual", peer = ?e.peer, level = e.level, "removed"),
        Event::IntervalWarning(e) => info!(
            target: "accrual",
            peer = ?e.peer,
            interval_ms = whole_millis(e.interval),
            "late heartbeat"
        ),
        Event::ObserverPaused(e) => warn!(
            target: "accrual",
            gap_ms = whole_millis(e.gap),
            hold_ms = whole_millis(e.hold_until - e.at),
            "observer paused"
        ),
        Event::Reset => info!(target: "accrual", "reset"),
        // Per subscriber, never fanned out: `tracing` sees every event.
        Event::Dropped(_) => {}
    }
}
