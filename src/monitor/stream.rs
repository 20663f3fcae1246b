//! Events for async code (feature `async`): a subscription that a task
//! awaits instead of blocking on.
//!
//! [`Monitor::subscribe`] hands out a crossbeam [`Receiver`], whose `recv`
//! blocks the calling thread: inside an async task that stalls the
//! runtime's worker (on a `current_thread` runtime, everything).
//! [`Monitor::subscribe_stream`] hands out an [`EventStream`] instead: a
//! [`futures_core::Stream`] of the same events, usable from any runtime
//! (tokio, async-std, smol, a hand-written executor), plus an inherent
//! [`recv`](EventStream::recv) for code that does not want the `futures`
//! traits.
//!
//! Underneath it is the same crossbeam channel as `subscribe`'s (unbounded,
//! or bounded from [`Monitor::subscribe_stream_bounded`]),
//! so the monitor's rule for events holds unchanged: they are sent under
//! the peer's shard lock and sending never blocks (see [`Event`]'s fan-out
//! in the `event` module). The only addition is a waker slot. A task that
//! finds the channel empty leaves its [`Waker`] there; the sending side
//! takes it after each event it delivers and wakes it. Waking only
//! schedules the task (it does not run it), so the shard lock is held for a
//! few more instructions, never for the subscriber's own code; and the
//! slot's own lock is never held while another lock is taken, so taking it
//! under a shard lock cannot deadlock. The task
//! registers its waker *before* checking the channel a second time, and
//! the sender delivers *before* taking the waker, so an event sent between
//! the two checks is either seen by the second check or wakes the task: no
//! wake-up is lost.
//!
//! The stream ends (`None`) once the monitor is dropped and every event
//! sent before has been read.

use super::event::{DroppedEvents, Event};
use super::Monitor;
use crossbeam_channel::{Receiver, TryRecvError};
use futures_core::stream::{FusedStream, Stream};
use parking_lot::Mutex;
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// The waker of the task reading a stream, if it is waiting.
#[derive(Default)]
struct Slot(Mutex<Option<Waker>>);

impl Slot {
    fn register(&self, waker: &Waker) {
        let mut slot = self.0.lock();
        if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *slot = Some(waker.clone());
        }
    }

    fn wake(&self) {
        // Taken out, then woken outside the slot's lock: a burst of events
        // wakes the task once, and the next poll registers again.
        let waker = self.0.lock().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The sending side's handle on a stream's waker slot, kept beside the
/// subscription's sender in the monitor's fan-out. Dropping it (the monitor
/// was dropped) wakes the task, which then finds the channel closed.
pub(crate) struct Wake(Arc<Slot>);

impl Wake {
    /// Wakes the task reading the stream, if it is waiting.
    pub(crate) fn wake(&self) {
        self.0.wake();
    }
}

impl Drop for Wake {
    fn drop(&mut self) {
        self.0.wake();
    }
}

/// A subscription to a [`Monitor`]'s events as an async [`Stream`]
/// (feature `async`), from [`Monitor::subscribe_stream`].
///
/// It receives every event from its creation on, in the same order as a
/// [`Monitor::subscribe`] channel. Awaiting it never blocks a thread, so it
/// is safe on a `current_thread` runtime. Drop it to unsubscribe. It ends
/// (`None`) after the monitor is dropped and the events already sent are
/// read.
///
/// ```
/// use accrual::monitor::{Event, Monitor};
/// use accrual::Timestamp;
///
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     // Any executor does; this one-liner avoids a dependency here.
/// #     let mut f = std::pin::pin!(f);
/// #     let waker = std::task::Waker::noop();
/// #     let mut cx = std::task::Context::from_waker(&waker);
/// #     loop {
/// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
/// #     }
/// # }
/// let monitor = Monitor::<&str>::default();
/// let mut events = monitor.subscribe_stream();
/// monitor.heartbeat(&"node-a", Timestamp::from_millis(0))?;
/// monitor.tick(Timestamp::from_millis(60_000)); // a minute of silence
/// let event = block_on(events.recv()); // `events.next().await` with StreamExt
/// assert!(matches!(event, Some(Event::Suspected(s)) if s.peer == "node-a"));
/// # Ok::<(), accrual::HeartbeatError>(())
/// ```
pub struct EventStream<K> {
    receiver: Receiver<Event<K>>,
    slot: Arc<Slot>,
    /// Whether `None` was returned (for [`FusedStream`]).
    ended: bool,
}

impl<K: Hash + Eq + Clone> Monitor<K> {
    /// A new subscription to every [`Event`] from now on, as an async
    /// [`Stream`] (feature `async`): the counterpart of
    /// [`subscribe`](Self::subscribe) for async code, usable from any
    /// runtime. Unbounded, like `subscribe`'s channel: read it, or drop it
    /// to unsubscribe.
    pub fn subscribe_stream(&self) -> EventStream<K> {
        let slot = Arc::new(Slot::default());
        let receiver = self.events.subscribe_waking(Wake(Arc::clone(&slot)));
        EventStream {
            receiver,
            slot,
            ended: false,
        }
    }

    /// [`subscribe_stream`](Self::subscribe_stream) with at most `capacity`
    /// unread events and a count of those dropped while it was full: the
    /// async counterpart of [`subscribe_bounded`](Self::subscribe_bounded),
    /// with the same [`Event::Dropped`] markers in the stream.
    pub fn subscribe_stream_bounded(&self, capacity: usize) -> (EventStream<K>, DroppedEvents) {
        let slot = Arc::new(Slot::default());
        let (receiver, dropped) = self
            .events
            .subscribe_bounded(capacity, Some(Wake(Arc::clone(&slot))));
        let stream = EventStream {
            receiver,
            slot,
            ended: false,
        };
        (stream, dropped)
    }
}

impl<K> EventStream<K> {
    /// The next event, waiting without blocking the thread; `None` once the
    /// monitor is dropped and every event sent before is read.
    ///
    /// Cancel-safe: if the future is dropped before it completes (a
    /// `select!` took another branch), no event is lost.
    pub fn recv(&mut self) -> impl Future<Output = Option<Event<K>>> + '_ {
        std::future::poll_fn(move |cx| self.poll_recv(cx))
    }

    /// Polls for the next event: what [`Stream::poll_next`] does, without
    /// pinning (the stream is `Unpin`).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Event<K>>> {
        if let Some(ready) = self.ready() {
            return Poll::Ready(ready);
        }
        self.slot.register(cx.waker());
        // Checked again after registering: an event sent between the first
        // check and the registration found no waker to wake.
        match self.ready() {
            Some(ready) => Poll::Ready(ready),
            None => Poll::Pending,
        }
    }

    /// The next event if one is waiting, without waiting.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if none is waiting,
    /// [`TryRecvError::Disconnected`] if none ever will (the monitor was
    /// dropped).
    pub fn try_recv(&self) -> Result<Event<K>, TryRecvError> {
        self.receiver.try_recv()
    }

    /// The number of events waiting to be read.
    pub fn len(&self) -> usize {
        self.receiver.len()
    }

    /// Whether no event is waiting to be read.
    pub fn is_empty(&self) -> bool {
        self.receiver.is_empty()
    }

    fn ready(&mut self) -> Option<Option<Event<K>>> {
        match self.receiver.try_recv() {
            Ok(event) => Some(Some(event)),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.ended = true;
                Some(None)
            }
        }
    }
}

// Nothing in the stream is ever pinned in place (the channel's state lives
// behind its own pointers), whatever `K` is.
impl<K> Unpin for EventStream<K> {}

impl<K> Stream for EventStream<K> {
    type Item = Event<K>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event<K>>> {
        self.get_mut().poll_recv(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.receiver.len(), None)
    }
}

impl<K> FusedStream for EventStream<K> {
    fn is_terminated(&self) -> bool {
        self.ended
    }
}

impl<K> fmt::Debug for EventStream<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("waiting", &self.receiver.len())
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}
