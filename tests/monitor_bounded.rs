//! Bounded subscriptions: a subscriber that stops reading holds at most its
//! capacity, every dropped event is counted exactly, the count arrives in
//! the stream as an `Event::Dropped` marker where the gap is, and a reader
//! that keeps up loses nothing.
//!
//! Events are produced by `remove` (one `Removed` event per peer, in the
//! order of the calls), so each test knows exactly what was sent.

use accrual::monitor::{Event, Monitor};
use accrual::Timestamp;
use std::sync::Arc;
use std::thread;

/// A monitor watching peers `0..n`.
fn watching(n: u32) -> Monitor<u32> {
    let m = Monitor::<u32>::default();
    for p in 0..n {
        m.watch(&p, Timestamp::ZERO);
    }
    m
}

/// What an event is, compactly: the removed peer, or the marker's count.
fn what(e: &Event<u32>) -> (&'static str, u64) {
    match e {
        Event::Removed(r) => ("removed", u64::from(r.peer)),
        Event::Dropped(d) => ("dropped", d.count),
        other => panic!("unexpected event {other:?}"),
    }
}

#[test]
fn a_subscriber_that_never_reads_holds_at_most_its_capacity() {
    let m = watching(20);
    let (rx, dropped) = m.subscribe_bounded(5);
    for p in 0..20 {
        assert!(m.remove(&p));
    }
    // 20 events, room for 5: the first 5 are kept, the other 15 counted.
    assert_eq!(rx.len(), 5);
    assert_eq!(dropped.total(), 15);
    let kept: Vec<_> = rx.try_iter().map(|e| what(&e)).collect();
    assert_eq!(kept, (0..5).map(|p| ("removed", p)).collect::<Vec<_>>());
}

#[test]
fn the_marker_comes_where_the_gap_is_with_the_exact_count() {
    let m = watching(12);
    let (rx, dropped) = m.subscribe_bounded(3);
    for p in 0..8 {
        m.remove(&p);
    }
    // 0, 1, 2 kept; 3..8 (five) dropped.
    assert_eq!(dropped.total(), 5);
    let first: Vec<_> = rx.try_iter().map(|e| what(&e)).collect();
    assert_eq!(first, [("removed", 0), ("removed", 1), ("removed", 2)]);
    // Room again: the next event is preceded by the marker, in order.
    for p in 8..10 {
        m.remove(&p);
    }
    let next: Vec<_> = rx.try_iter().map(|e| what(&e)).collect();
    assert_eq!(next, [("dropped", 5), ("removed", 8), ("removed", 9)]);
    assert_eq!(dropped.total(), 5);
}

#[test]
fn a_marker_that_finds_no_room_waits_and_the_count_grows() {
    let m = watching(6);
    let (rx, dropped) = m.subscribe_bounded(2);
    m.remove(&0); // kept
    m.remove(&1); // kept
    m.remove(&2); // dropped: 1 pending
    m.remove(&3); // the marker finds no room: 2 pending
    assert_eq!(dropped.total(), 2);
    let kept: Vec<_> = rx.try_iter().map(|e| what(&e)).collect();
    assert_eq!(kept, [("removed", 0), ("removed", 1)]);
    // Room again: the marker with both losses, then the event behind it.
    m.remove(&4);
    let next: Vec<_> = rx.try_iter().map(|e| what(&e)).collect();
    assert_eq!(next, [("dropped", 2), ("removed", 4)]);
    m.remove(&5);
    assert_eq!(
        rx.try_iter().map(|e| what(&e)).collect::<Vec<_>>(),
        [("removed", 5)]
    );
    assert_eq!(dropped.total(), 2);
}

#[test]
fn a_reader_that_keeps_up_loses_nothing() {
    let m = watching(100);
    let (rx, dropped) = m.subscribe_bounded(2);
    let mut seen = Vec::new();
    for p in 0..100 {
        m.remove(&p);
        seen.extend(rx.try_iter().map(|e| what(&e)));
    }
    assert_eq!(dropped.total(), 0);
    assert_eq!(seen, (0..100).map(|p| ("removed", p)).collect::<Vec<_>>());
}

#[test]
fn capacities_below_two_are_taken_as_two() {
    // Room for a marker and the event behind it: with room for one, a
    // reader that empties the channel after every event would only ever
    // see markers.
    for capacity in [0, 1] {
        let m = watching(5);
        let (rx, dropped) = m.subscribe_bounded(capacity);
        for p in 0..3 {
            m.remove(&p);
        }
        assert_eq!(rx.len(), 2);
        assert_eq!(dropped.total(), 1);
        rx.try_iter().for_each(drop);
        m.remove(&3);
        let next: Vec<_> = rx.try_iter().map(|e| what(&e)).collect();
        assert_eq!(next, [("dropped", 1), ("removed", 3)]);
    }
}

#[test]
fn concurrent_senders_count_every_loss_exactly() {
    // Four threads remove 500 peers each while nobody reads: every event is
    // either queued or counted, and the unbounded subscriber beside it
    // sees all 2 000.
    const THREADS: u32 = 4;
    const EACH: u32 = 500;
    let m = Arc::new(watching(THREADS * EACH));
    let all = m.subscribe();
    let (rx, dropped) = m.subscribe_bounded(16);
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let m = Arc::clone(&m);
            thread::spawn(move || {
                for p in t * EACH..(t + 1) * EACH {
                    assert!(m.remove(&p));
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let sent = all.try_iter().count() as u64;
    assert_eq!(sent, u64::from(THREADS * EACH));
    let queued: Vec<_> = rx.try_iter().collect();
    // Nothing was read while they ran, so no marker found room: the
    // channel holds the first 16 events and the rest were counted.
    assert_eq!(queued.len(), 16);
    assert!(queued.iter().all(|e| matches!(e, Event::Removed(_))));
    assert_eq!(dropped.total(), sent - 16);
    // The next event brings the whole count as one marker.
    m.watch(&u32::MAX, Timestamp::ZERO);
    m.remove(&u32::MAX);
    let tail: Vec<_> = rx.try_iter().map(|e| what(&e)).collect();
    assert_eq!(
        tail,
        [("dropped", sent - 16), ("removed", u64::from(u32::MAX))]
    );
}

#[cfg(feature = "async")]
#[test]
fn the_bounded_stream_counts_and_marks_the_same_way() {
    use std::future::Future;
    /// Polls to completion; the stream's events are already queued.
    fn block_on<F: Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        for _ in 0..1_000 {
            if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
        panic!("not ready after 1 000 polls");
    }
    let m = watching(5);
    let (mut stream, dropped) = m.subscribe_stream_bounded(2);
    for p in 0..4 {
        m.remove(&p);
    }
    assert_eq!(dropped.total(), 2);
    let mut next = || block_on(stream.recv()).map(|e| what(&e));
    assert_eq!(next(), Some(("removed", 0)));
    assert_eq!(next(), Some(("removed", 1)));
    m.remove(&4);
    assert_eq!(next(), Some(("dropped", 2)));
    assert_eq!(next(), Some(("removed", 4)));
}
