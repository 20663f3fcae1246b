//! The monitor's events as an async stream (feature `async`), awaited on
//! tokio's `current_thread` and multi-thread runtimes. Time inside the
//! monitor is driven by timestamps; the only wall-clock bound is the
//! timeout that turns a lost wake-up into a failure instead of a hang.

use accrual::monitor::{Event, EventStream, Monitor};
use accrual::Timestamp;
use futures_core::stream::{FusedStream, Stream};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::timeout;

/// Long enough never to fire when the wake-up works, short enough to fail
/// promptly when it does not.
const BOUND: Duration = Duration::from_secs(5);

fn ms(t: u64) -> Timestamp {
    Timestamp::from_millis(t)
}

fn monitor() -> Monitor<&'static str> {
    Monitor::builder().no_pause_guard().build().unwrap()
}

/// Heartbeats every second from 0 to 9 s, then a tick at 20 s: one
/// suspicion (Config::default() convicts 4.56 s after the last heartbeat).
fn silence(m: &Monitor<&'static str>, peer: &'static str) {
    for s in 0..10 {
        m.heartbeat(&peer, ms(s * 1_000)).unwrap();
    }
    m.tick(ms(20_000));
}

#[tokio::test(flavor = "current_thread")]
async fn a_waiting_task_is_woken_by_a_suspicion_on_a_current_thread_runtime() {
    let m = Arc::new(monitor());
    let mut events = m.subscribe_stream();
    let waiter = tokio::spawn(async move { events.recv().await });
    // Let the waiter run until it waits on the empty stream.
    tokio::task::yield_now().await;
    assert!(!waiter.is_finished());
    silence(&m, "a");
    let event = timeout(BOUND, waiter).await.expect("woken").unwrap();
    assert!(matches!(event, Some(Event::Suspected(s)) if s.peer == "a" && s.level == 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_sent_from_another_thread_reach_a_task_on_a_multi_thread_runtime() {
    let m = Arc::new(monitor());
    let mut events = m.subscribe_stream();
    let ticker = {
        let m = Arc::clone(&m);
        std::thread::spawn(move || {
            silence(&m, "a");
            // Recover, then be suspected again: three events in all.
            m.heartbeat(&"a", ms(20_500)).unwrap();
            m.tick(ms(40_000));
        })
    };
    let started = std::time::Instant::now();
    let mut kinds = Vec::new();
    while kinds.len() < 3 {
        match timeout(BOUND, events.recv()).await.expect("woken") {
            Some(Event::Suspected(_)) => kinds.push("suspected"),
            Some(Event::Recovered(_)) => kinds.push("recovered"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(kinds, ["suspected", "recovered", "suspected"]);
    ticker.join().unwrap();
    // Woken by the events, not by the end of a timeout (which polls the
    // stream one last time before giving up).
    assert!(started.elapsed() < BOUND, "{:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_wake_up_is_lost_when_events_race_the_waiting_task() {
    // A sender thread produces events while the task alternates between
    // finding some waiting and registering to wait: every event arrives.
    const ROUNDS: u64 = 2_000;
    let m = Arc::new(monitor());
    let mut events = m.subscribe_stream();
    let sender = {
        let m = Arc::clone(&m);
        std::thread::spawn(move || {
            for i in 0..ROUNDS {
                m.watch(&"w", ms(i * 10));
                m.remove(&"w"); // one Removed event per round
            }
        })
    };
    let started = std::time::Instant::now();
    let mut removed = 0;
    while removed < ROUNDS {
        match timeout(BOUND, events.recv())
            .await
            .expect("no lost wake-up")
        {
            Some(Event::Removed(r)) if r.peer == "w" => removed += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    sender.join().unwrap();
    assert!(events.is_empty());
    assert!(started.elapsed() < BOUND, "{:?}", started.elapsed());
}

#[tokio::test(flavor = "current_thread")]
async fn the_stream_and_a_channel_see_the_same_events_in_the_same_order() {
    let m = monitor();
    let channel = m.subscribe();
    let stream = m.subscribe_stream();
    silence(&m, "a");
    silence(&m, "b"); // the same schedule; a second tick at 20 s convicts b
    m.heartbeat(&"a", ms(21_000)).unwrap();
    m.remove(&"b");
    m.reset();
    let from_channel: Vec<_> = channel.try_iter().collect();
    let mut from_stream = Vec::new();
    while let Ok(event) = stream.try_recv() {
        from_stream.push(event);
    }
    // Suspected a, suspected b, recovered a, removed b, reset.
    assert_eq!(from_channel.len(), 5, "{from_channel:?}");
    assert_eq!(from_stream, from_channel);
}

#[tokio::test(flavor = "current_thread")]
async fn the_stream_ends_when_the_monitor_is_dropped() {
    let m = monitor();
    let mut events = m.subscribe_stream();
    silence(&m, "a");
    let waiter = tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Some(event) = events.recv().await {
            seen.push(event);
        }
        (seen, events.is_terminated())
    });
    tokio::task::yield_now().await;
    // The event sent before the drop is still delivered, then the end.
    drop(m);
    let (seen, terminated) = timeout(BOUND, waiter).await.expect("ended").unwrap();
    assert_eq!(seen.len(), 1);
    assert!(terminated);
}

#[tokio::test(flavor = "current_thread")]
async fn it_is_a_futures_stream() {
    fn next<S: Stream + Unpin>(
        stream: &mut S,
    ) -> impl std::future::Future<Output = Option<S::Item>> + '_ {
        std::future::poll_fn(move |cx| Pin::new(&mut *stream).poll_next(cx))
    }
    let m = monitor();
    let mut events: EventStream<&'static str> = m.subscribe_stream();
    silence(&m, "a");
    assert_eq!(events.size_hint(), (1, None));
    let event = timeout(BOUND, next(&mut events)).await.expect("ready");
    assert!(matches!(event, Some(Event::Suspected(_))));
    assert!(!events.is_terminated());
    drop(m);
    assert!(timeout(BOUND, next(&mut events))
        .await
        .expect("ended")
        .is_none());
    assert!(events.is_terminated());
}
