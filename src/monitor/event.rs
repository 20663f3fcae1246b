//! State transitions a [`Monitor`](super::Monitor) reports to subscribers,
//! and the fan-out to their channels.
//!
//! Subscribers get a crossbeam-channel [`Receiver`] from
//! [`Monitor::subscribe`](super::Monitor::subscribe) and receive every event
//! from then on, in order: for any one peer, events arrive in the order of
//! the transitions (they are sent while the peer's shard lock is held, so a
//! heartbeat thread and the ticking thread cannot reorder them).
//!
//! Channels are **unbounded** (or, from
//! [`Monitor::subscribe_bounded`](super::Monitor::subscribe_bounded),
//! bounded with a count of what they drop: `event/bounded.rs`), and sending
//! never blocks. That is what makes
//! sending under the shard lock safe: a subscriber that calls back into the
//! monitor while handling an event (to read a peer's phi, remove it, ...)
//! can never deadlock with the thread that sent it, because that thread is
//! never waiting for the subscriber. The price is memory if a subscriber
//! stops reading; a dropped receiver is detected at the next send and
//! forgotten.
//!
//! Every event prints as one line (`suspected nodeC level=0 threshold=8
//! phi=8.41 silence_ms=262`) when the peer id does (`event/display.rs`).
//! With the `tracing` feature, a monitor can also send every event to
//! `tracing` as it fans them out (`event/trace.rs`).

mod bounded;
mod display;
#[cfg(feature = "tracing")]
mod trace;

pub use bounded::{Dropped, DroppedEvents};
pub use display::PhiDisplay;

use crate::detector::Stats;
use crate::time::Timestamp;
use crossbeam_channel::{Receiver, Sender};
use parking_lot::RwLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// A state transition of the monitor or of one of its peers.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event<K> {
    /// A peer's phi reached one of the registered thresholds.
    Suspected(Suspicion<K>),
    /// A heartbeat arrived from a peer that was suspected at some level.
    /// One event per level, from the highest down.
    Recovered(Recovery<K>),
    /// A peer was removed with [`Monitor::remove`](super::Monitor::remove).
    Removed(Removal<K>),
    /// A heartbeat's interval reached the configuration's
    /// [interval warning limit](crate::Config::interval_warning_limit):
    /// heartbeats from this peer are growing late.
    IntervalWarning(IntervalWarning<K>),
    /// The monitor's own ticks arrived late: the observing process was
    /// probably stalled, so new suspicions are held for a grace period.
    ObserverPaused(ObserverPause),
    /// Every peer was forgotten with [`Monitor::reset`](super::Monitor::reset).
    Reset,
    /// Only on a bounded subscription
    /// ([`Monitor::subscribe_bounded`](super::Monitor::subscribe_bounded)):
    /// this many events were dropped here, while the channel was full.
    Dropped(Dropped),
}

impl<K> Event<K> {
    /// The peer the event is about, if it is about one.
    pub fn peer(&self) -> Option<&K> {
        match self {
            Event::Suspected(e) => Some(&e.peer),
            Event::Recovered(e) => Some(&e.peer),
            Event::Removed(e) => Some(&e.peer),
            Event::IntervalWarning(e) => Some(&e.peer),
            Event::ObserverPaused(_) | Event::Reset | Event::Dropped(_) => None,
        }
    }
}

/// A peer crossed a threshold: it is now suspected at `level`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Suspicion<K> {
    /// The peer.
    pub peer: K,
    /// Index of the threshold crossed in
    /// [`Monitor::thresholds`](super::Monitor::thresholds) (0 = lowest).
    pub level: usize,
    /// The threshold's phi.
    pub threshold: f64,
    /// Phi at `at` (at or above `threshold`).
    pub phi: f64,
    /// When the transition was observed: the tick (or the heartbeat, for a
    /// suspicion noticed only when the next heartbeat arrived) that saw it.
    pub at: Timestamp,
    /// When phi actually reached the threshold (the level's deadline);
    /// `at − since` is the detection lag due to tick granularity.
    pub since: Timestamp,
    /// Time without a heartbeat at `at`: since the last heartbeat, or since
    /// the peer was watched if it never sent one.
    pub silence: Duration,
    /// The window's statistics that led there. `last_heartbeat` is `None`
    /// for a watched peer that never sent a heartbeat.
    pub stats: Stats,
    /// Whether the peer was watched and never sent a heartbeat.
    pub never_heard: bool,
}

/// A real heartbeat ended a suspicion at `level`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Recovery<K> {
    /// The peer.
    pub peer: K,
    /// Index of the threshold in
    /// [`Monitor::thresholds`](super::Monitor::thresholds).
    pub level: usize,
    /// The threshold's phi.
    pub threshold: f64,
    /// Arrival time of the heartbeat that ended the suspicion.
    pub at: Timestamp,
    /// When phi had reached the threshold (the level's deadline before the
    /// heartbeat).
    pub since: Timestamp,
    /// How long the peer was down at this level: `at − since` (zero if the
    /// heartbeat was stamped before the deadline but processed after the
    /// tick that announced the suspicion).
    pub down_for: Duration,
}

/// A peer was removed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Removal<K> {
    /// The peer.
    pub peer: K,
    /// How many levels it was suspected at when removed (0 = it was up).
    /// No `Recovered` events are sent for them: the peer is gone.
    pub level: usize,
}

/// A heartbeat ended a long interval.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct IntervalWarning<K> {
    /// The peer.
    pub peer: K,
    /// Arrival time of the heartbeat.
    pub at: Timestamp,
    /// The interval it ended.
    pub interval: Duration,
}

/// The monitor noticed that it had been stalled.
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObserverPause {
    /// The late tick.
    pub at: Timestamp,
    /// The tick before it.
    pub previous_tick: Timestamp,
    /// `at − previous_tick`, above the guard's `max_pause`.
    pub gap: Duration,
    /// New suspicions are held until this time; the first tick at or after
    /// it announces every peer that is still silent.
    pub hold_until: Timestamp,
}

/// The subscribers' senders, with a fast "anyone listening?" check so that
/// events are not even built when nobody is.
pub(crate) struct Subscribers<K> {
    senders: RwLock<Vec<Subscriber<K>>>,
    count: AtomicUsize,
    /// Set when a send found a receiver gone; cleared by `prune`.
    dead: AtomicBool,
    /// Whether events also go to `tracing` (`Monitor::trace_events`).
    #[cfg(feature = "tracing")]
    tracer: trace::Tracer<K>,
}

struct Subscriber<K> {
    // Declared before `wake`, so that a dropped subscriber (the monitor was
    // dropped) closes its channel before the stream is woken to see that.
    sender: Sender<Event<K>>,
    gone: AtomicBool,
    /// The async stream's hook: wakes the task reading this subscription.
    #[cfg(feature = "async")]
    wake: Option<super::stream::Wake>,
    /// A bounded subscription's loss counts; `None` for an unbounded one.
    loss: Option<std::sync::Arc<bounded::Loss>>,
}

impl<K> Default for Subscribers<K> {
    fn default() -> Self {
        Subscribers {
            senders: RwLock::new(Vec::new()),
            count: AtomicUsize::new(0),
            dead: AtomicBool::new(false),
            #[cfg(feature = "tracing")]
            tracer: trace::Tracer::default(),
        }
    }
}

impl<K: Clone> Subscribers<K> {
    /// A new unbounded subscription.
    pub(crate) fn subscribe(&self) -> Receiver<Event<K>> {
        let (sender, receiver) = crossbeam_channel::unbounded();
        self.add(
            sender,
            #[cfg(feature = "async")]
            None,
            None,
        );
        receiver
    }

    /// A new unbounded subscription whose reader is woken after each event
    /// sent to it (the async stream's hook, see `stream`).
    #[cfg(feature = "async")]
    pub(crate) fn subscribe_waking(&self, wake: super::stream::Wake) -> Receiver<Event<K>> {
        let (sender, receiver) = crossbeam_channel::unbounded();
        self.add(sender, Some(wake), None);
        receiver
    }

    /// Adds a subscriber, forgetting those whose receiver was dropped.
    fn add(
        &self,
        sender: Sender<Event<K>>,
        #[cfg(feature = "async")] wake: Option<super::stream::Wake>,
        loss: Option<std::sync::Arc<bounded::Loss>>,
    ) {
        let mut senders = self.senders.write();
        senders.retain(|s| !s.gone.load(Ordering::Relaxed));
        senders.push(Subscriber {
            sender,
            gone: AtomicBool::new(false),
            #[cfg(feature = "async")]
            wake,
            loss,
        });
        self.count.store(senders.len(), Ordering::Release);
    }

    /// Whether anyone is subscribed, or events go to `tracing` (relaxed
    /// loads: a subscription that races with an event may miss it, as it
    /// would a moment earlier).
    #[inline]
    pub(crate) fn active(&self) -> bool {
        #[cfg(feature = "tracing")]
        if self.tracer.on() {
            return true;
        }
        self.count.load(Ordering::Relaxed) != 0
    }

    /// Sends `event` to every subscriber (and to `tracing` when on). Never
    /// blocks (unbounded channels).
    pub(crate) fn send(&self, event: Event<K>) {
        #[cfg(feature = "tracing")]
        self.tracer.trace(&event);
        let senders = self.senders.read();
        let Some((last, rest)) = senders.split_last() else {
            return;
        };
        for s in rest {
            self.deliver(s, event.clone());
        }
        self.deliver(last, event);
    }

    fn deliver(&self, s: &Subscriber<K>, event: Event<K>) {
        let sent = match &s.loss {
            None => s.sender.send(event).map_err(drop),
            Some(loss) => bounded::deliver(&s.sender, loss, event),
        };
        if sent.is_err() {
            s.gone.store(true, Ordering::Relaxed);
            self.dead.store(true, Ordering::Relaxed);
        }
        #[cfg(feature = "async")]
        if let Some(wake) = &s.wake {
            wake.wake();
        }
    }

    /// Forgets subscribers whose receiver was dropped. Called where no shard
    /// lock is held.
    pub(crate) fn prune(&self) {
        if self.dead.swap(false, Ordering::Relaxed) {
            let mut senders = self.senders.write();
            senders.retain(|s| !s.gone.load(Ordering::Relaxed));
            self.count.store(senders.len(), Ordering::Release);
        }
    }
}
