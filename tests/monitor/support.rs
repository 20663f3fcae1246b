//! Helpers shared by the monitor's test files (`tests/monitor*.rs`):
//! millisecond timestamps, draining a subscription, a compact summary of
//! events, and a monitor with given thresholds and steady heartbeats.

// Each test file uses its own subset of these.
#![allow(dead_code)]

use accrual::monitor::{Event, Monitor};
use accrual::Timestamp;
use crossbeam_channel::Receiver;

pub fn ms(t: u64) -> Timestamp {
    Timestamp::from_millis(t)
}

pub fn ns(t: Timestamp) -> u64 {
    t.as_nanos()
}

pub fn before(t: Timestamp) -> Timestamp {
    Timestamp::from_nanos(t.as_nanos() - 1)
}

pub fn drain<K>(rx: &Receiver<Event<K>>) -> Vec<Event<K>> {
    rx.try_iter().collect()
}

/// (kind, peer, level) of each event, for compact assertions.
pub fn summary(events: &[Event<&'static str>]) -> Vec<(&'static str, &'static str, usize)> {
    events
        .iter()
        .map(|e| match e {
            Event::Suspected(s) => ("suspected", s.peer, s.level),
            Event::Recovered(r) => ("recovered", r.peer, r.level),
            Event::Removed(r) => ("removed", r.peer, r.level),
            Event::IntervalWarning(w) => ("warning", w.peer, 0),
            Event::ObserverPaused(_) => ("paused", "", 0),
            Event::Reset => ("reset", "", 0),
            _ => ("other", "", 0),
        })
        .collect()
}

pub fn monitor(thresholds: &[f64]) -> Monitor<&'static str> {
    Monitor::builder()
        .thresholds(thresholds.iter().copied())
        .no_pause_guard()
        .build()
        .unwrap()
}

/// Heartbeats every second from 0 to `last_s` seconds.
pub fn steady(m: &Monitor<&'static str>, peer: &'static str, last_s: u64) {
    for s in 0..=last_s {
        m.heartbeat(&peer, ms(s * 1000)).unwrap();
    }
}
