//! Bounded subscriptions: a capacity per subscriber, and a count of the
//! events it lost while full ([`Monitor::subscribe_bounded`]).
//!
//! # What a subscriber loses, and how it finds out
//!
//! A cluster membership service builds its view of who is up from these
//! events. An event it never sees corrupts that view silently: a missed
//! `Recovered` leaves a live peer marked down until it fails again. So
//! what matters is not only *how many* events were lost but *where*: the
//! subscriber must rebuild its view from the monitor
//! ([`Monitor::peers`](super::super::Monitor::peers),
//! [`Monitor::level`](super::super::Monitor::level)) at the point of the
//! gap, then carry on with the events that follow it. Hence two signals:
//!
//! * **in the stream**, an [`Event::Dropped`] with the number of events
//!   lost, delivered as soon as the channel has room again, before any
//!   event sent after the loss: every event before it is a complete
//!   prefix, every event after it a complete continuation from the moment
//!   the marker was queued, and the marker is where to resynchronise;
//! * **beside it**, a [`DroppedEvents`] handle with the running total,
//!   readable from any thread without touching the channel (for a metric
//!   or a health check that should fire even if the reader is stuck).
//!
//! When the channel is full the *newest* event is dropped and the queued
//! ones are kept: dropping the oldest would also need a resynchronisation,
//! and would hand the reader a suffix whose beginning is missing, with no
//! place in the stream that says so.
//!
//! # Never blocking under the shard lock
//!
//! Events are sent while a shard lock is held (see the `event` module), so
//! a bounded send must not wait for room either: it is a `try_send`, and a
//! full channel is a counted loss, never a wait. Counting is exact under
//! concurrent senders: each lost event adds one to the pending count and to
//! the total (atomically), and a marker takes the whole pending count out
//! with one swap, putting it back if the marker itself finds no room.

use super::super::Monitor;
use super::{Event, Subscribers};
use crossbeam_channel::{Receiver, Sender, TrySendError};
use std::fmt;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The smallest capacity: room for a marker and the event behind it.
const MIN_CAPACITY: usize = 2;

/// Events a bounded subscriber lost: `count` events sent while its channel
/// was full are missing just before this one (see [`Event::Dropped`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Dropped {
    /// How many events were lost since the previous marker (or since the
    /// subscription began).
    pub count: u64,
}

/// `dropped count=3`.
impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dropped count={}", self.count)
    }
}

/// The losses of one bounded subscription, shared by the monitor (which
/// counts them) and the subscriber's [`DroppedEvents`] handle.
#[derive(Debug, Default)]
pub(crate) struct Loss {
    /// Lost events not yet reported by an [`Event::Dropped`] marker.
    pending: AtomicU64,
    /// Every event lost since the subscription began.
    total: AtomicU64,
}

impl Loss {
    fn lose(&self, events: u64) {
        self.pending.fetch_add(events, Ordering::Relaxed);
        self.total.fetch_add(events, Ordering::Relaxed);
    }
}

/// The running count of events a bounded subscription lost because its
/// channel was full, from [`Monitor::subscribe_bounded`]. Cheap to clone
/// and to read from any thread; the same losses also arrive in the stream
/// as [`Event::Dropped`] markers.
#[derive(Clone, Debug)]
pub struct DroppedEvents(Arc<Loss>);

impl DroppedEvents {
    /// Every event lost since the subscription began (monotone).
    pub fn total(&self) -> u64 {
        self.0.total.load(Ordering::Relaxed)
    }
}

/// Sends `event` to a bounded subscriber without waiting: first the marker
/// for any earlier loss, then the event, each dropped (and counted) if the
/// channel is full. `Err` if the receiver is gone.
pub(super) fn deliver<K>(
    sender: &Sender<Event<K>>,
    loss: &Loss,
    event: Event<K>,
) -> Result<(), ()> {
    // A plain load first: the swap, a read-modify-write, only after a loss.
    if loss.pending.load(Ordering::Relaxed) != 0 {
        let count = loss.pending.swap(0, Ordering::Relaxed);
        if count != 0 {
            match sender.try_send(Event::Dropped(Dropped { count })) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    // Still no room: the count waits for the next marker,
                    // and this event, which must follow the marker, is
                    // lost too.
                    loss.pending.fetch_add(count, Ordering::Relaxed);
                    loss.lose(1);
                    return Ok(());
                }
                Err(TrySendError::Disconnected(_)) => return Err(()),
            }
        }
    }
    match sender.try_send(event) {
        Ok(()) => Ok(()),
        Err(TrySendError::Full(_)) => {
            loss.lose(1);
            Ok(())
        }
        Err(TrySendError::Disconnected(_)) => Err(()),
    }
}

impl<K: Clone> Subscribers<K> {
    /// A new subscription of at most `capacity` queued events (at least 2),
    /// with its loss counter.
    pub(crate) fn subscribe_bounded(
        &self,
        capacity: usize,
        #[cfg(feature = "async")] wake: Option<super::super::stream::Wake>,
    ) -> (Receiver<Event<K>>, DroppedEvents) {
        let (sender, receiver) = crossbeam_channel::bounded(capacity.max(MIN_CAPACITY));
        let loss = Arc::new(Loss::default());
        self.add(
            sender,
            #[cfg(feature = "async")]
            wake,
            Some(Arc::clone(&loss)),
        );
        (receiver, DroppedEvents(loss))
    }
}

impl<K: Hash + Eq + Clone> Monitor<K> {
    /// A new subscription to every [`Event`] from now on that holds at most
    /// `capacity` unread events, with a count of those it had to drop: the
    /// bounded counterpart of [`subscribe`](Self::subscribe), for a
    /// subscriber that may fall behind or stop reading.
    ///
    /// While the channel is full, new events are dropped (never waited
    /// for: sending happens under the monitor's locks) and counted. As soon
    /// as there is room again the subscriber receives an
    /// [`Event::Dropped`] with the number lost, before any later event:
    /// that is the place to rebuild its view from the monitor
    /// ([`peers`](Self::peers), [`level`](Self::level)), because a lost
    /// `Recovered` or `Suspected` is otherwise invisible. The returned
    /// [`DroppedEvents`] reads the running total from any thread. Why
    /// this design: the `event::bounded` module's documentation.
    ///
    /// A capacity below 2 is taken as 2: a marker takes room like any
    /// event, and after a loss the next event needs room behind its marker
    /// (with room for one, a reader that empties the channel after every
    /// event would find a marker each time and never an event). So at
    /// most `capacity` items, events and markers, are queued.
    ///
    /// Within one peer the marker sits exactly where that peer's events
    /// were lost. Events of peers in other shards, sent by other threads at
    /// the same moment, may land on either side of it: they were not
    /// ordered with respect to each other in the first place.
    ///
    /// ```
    /// use accrual::monitor::{Event, Monitor};
    /// use accrual::Timestamp;
    ///
    /// let monitor = Monitor::<&str>::default();
    /// let (events, dropped) = monitor.subscribe_bounded(2);
    /// for peer in ["a", "b", "c", "d"] {
    ///     monitor.heartbeat(&peer, Timestamp::from_millis(0))?;
    /// }
    /// // A minute of silence: four suspicions, room for two.
    /// assert_eq!(monitor.tick(Timestamp::from_millis(60_000)), 4);
    /// assert_eq!(dropped.total(), 2);
    /// assert_eq!(events.try_iter().count(), 2);
    /// // Room again: the next event comes behind the marker.
    /// monitor.remove(&"a");
    /// assert!(matches!(events.try_recv(), Ok(Event::Dropped(d)) if d.count == 2));
    /// assert!(matches!(events.try_recv(), Ok(Event::Removed(r)) if r.peer == "a"));
    /// # Ok::<(), accrual::HeartbeatError>(())
    /// ```
    pub fn subscribe_bounded(&self, capacity: usize) -> (Receiver<Event<K>>, DroppedEvents) {
        self.events.subscribe_bounded(
            capacity,
            #[cfg(feature = "async")]
            None,
        )
    }
}
