//! The tokio driver (feature `tokio`): a task that ticks a monitor on
//! tokio's clock. Most tests run with tokio's time paused, so timers fire in
//! order on virtual time, deterministically and without waiting; heartbeats
//! are stamped on the same clock (`now()` below).

use accrual::monitor::{Event, EventStream, Monitor, TokioDriver};
use accrual::{Config, Timestamp};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{sleep, timeout, Instant};

const INTERVAL: Duration = Duration::from_millis(50);

/// Bounds every wait on events. On paused time it is virtual, so it only
/// decides how much simulated time a test may use.
const BOUND: Duration = Duration::from_secs(10);

/// Tokio's clock as a timestamp: the clock the driver ticks on.
fn now() -> Timestamp {
    Timestamp::from_instant(Instant::now().into_std())
}

/// The README's settings at 50 ms heartbeats; the default guard is
/// `PauseGuard::for_config` (75 ms, held 150 ms).
fn monitor() -> Arc<Monitor<&'static str>> {
    Arc::new(Monitor::new(Config::for_interval(INTERVAL).unwrap()))
}

/// Heartbeats from `peers` every 50 ms for `beats` intervals.
async fn heartbeats(m: &Monitor<&'static str>, peers: &[&'static str], beats: u32) {
    for _ in 0..beats {
        for p in peers {
            m.heartbeat(p, now()).unwrap();
        }
        sleep(INTERVAL).await;
    }
}

async fn next_suspicion(
    events: &mut EventStream<&'static str>,
) -> accrual::monitor::Suspicion<&'static str> {
    loop {
        match timeout(BOUND, events.recv()).await.expect("an event") {
            Some(Event::Suspected(s)) => return s,
            Some(Event::ObserverPaused(p)) => panic!("spurious pause {p:?}"),
            Some(_) => {}
            None => panic!("stream ended"),
        }
    }
}

fn pauses(events: &EventStream<&'static str>) -> usize {
    let mut n = 0;
    while let Ok(event) = events.try_recv() {
        n += usize::from(matches!(event, Event::ObserverPaused(_)));
    }
    n
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn the_driver_announces_a_silent_peer_at_its_deadline() {
    let m = monitor();
    let mut events = m.subscribe_stream();
    let _driver = TokioDriver::spawn(Arc::clone(&m), INTERVAL).unwrap();
    heartbeats(&m, &["a", "b", "c"], 60).await; // 3 s
                                                // c falls silent; a and b go on in the background.
    let beating = {
        let m = Arc::clone(&m);
        tokio::spawn(async move { heartbeats(&m, &["a", "b"], 100).await })
    };
    let s = next_suspicion(&mut events).await;
    assert_eq!(s.peer, "c");
    // The waiting task was woken by the event, not by its timeout.
    assert!(now().saturating_duration_since(s.at) <= Duration::from_millis(1));
    // Armed on next_check, the timer fires at the deadline: the lag is at
    // most tokio's timer resolution (1 ms).
    assert!(
        s.at.saturating_duration_since(s.since) <= Duration::from_millis(1),
        "{:?} after the deadline",
        s.at.saturating_duration_since(s.since)
    );
    // for_interval(50 ms) on a steady link: 228 ms after the last heartbeat
    // (README), give or take the timer's millisecond.
    assert!(s.silence >= Duration::from_millis(228), "{:?}", s.silence);
    assert!(s.silence <= Duration::from_millis(230), "{:?}", s.silence);
    beating.abort();
    assert_eq!(pauses(&events), 0);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn the_drivers_own_ticks_are_not_taken_for_observer_pauses() {
    // Asked for a long period, the driver ticks at each next_check and at
    // least every 37.5 ms (half the guard's max_pause): with healthy peers,
    // with all of them suspected (no check pending), or with none.
    let m = monitor();
    let events = m.subscribe_stream();
    let _driver = TokioDriver::spawn(Arc::clone(&m), Duration::from_secs(10)).unwrap();
    sleep(Duration::from_secs(1)).await;
    heartbeats(&m, &["a", "b", "c"], 200).await; // 10 s
    sleep(Duration::from_secs(5)).await;
    let mut suspected = 0;
    while let Ok(event) = events.try_recv() {
        assert!(!matches!(event, Event::ObserverPaused(_)), "{event:?}");
        suspected += usize::from(matches!(event, Event::Suspected(_)));
    }
    assert_eq!(suspected, 3);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_stall_of_the_runtime_is_reported_and_convicts_nobody() {
    let m = monitor();
    let events = m.subscribe_stream();
    let _driver = TokioDriver::spawn(Arc::clone(&m), INTERVAL).unwrap();
    heartbeats(&m, &["a", "b"], 40).await;
    // The whole runtime freezes for a second: every timer fires late.
    tokio::time::advance(Duration::from_secs(1)).await;
    // The heartbeats queued meanwhile are read on waking.
    heartbeats(&m, &["a", "b"], 40).await;
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(event);
    }
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(matches!(&seen[0], Event::ObserverPaused(p) if p.gap >= Duration::from_secs(1)));
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_periodic_driver_never_waits_longer_than_the_guard_allows() {
    // Asked for 10 s, the period is cut to half the guard's 75 ms: no tick
    // is ever taken for a pause, and a silent peer is announced within one
    // period of its deadline.
    let m = monitor();
    let mut events = m.subscribe_stream();
    let _driver = TokioDriver::spawn_periodic(Arc::clone(&m), Duration::from_secs(10)).unwrap();
    heartbeats(&m, &["a"], 40).await;
    let s = next_suspicion(&mut events).await;
    assert_eq!(s.peer, "a");
    assert!(s.at.saturating_duration_since(s.since) <= Duration::from_millis(38));
    assert_eq!(pauses(&events), 0);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn dropping_the_driver_stops_its_task() {
    let m = monitor();
    let driver = TokioDriver::spawn(Arc::clone(&m), INTERVAL).unwrap();
    sleep(INTERVAL).await;
    assert!(!driver.is_finished());
    assert_eq!(Arc::strong_count(&m), 2);
    drop(driver);
    // The aborted task releases the monitor at its next poll.
    for _ in 0..100 {
        if Arc::strong_count(&m) == 1 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(Arc::strong_count(&m), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_multi_thread_runtime_and_the_real_clock() {
    // Real time here (paused time needs a current_thread runtime): a 10 ms
    // configuration convicts a peer that sent one heartbeat within about
    // 50 ms of it.
    let config = Config::for_interval(Duration::from_millis(10)).unwrap();
    let m = Arc::new(Monitor::<&'static str>::new(config));
    let mut events = m.subscribe_stream();
    let _driver = TokioDriver::spawn(Arc::clone(&m), Duration::from_millis(10)).unwrap();
    let started = std::time::Instant::now();
    m.heartbeat(&"a", Timestamp::now()).unwrap();
    let s = next_suspicion(&mut events).await;
    assert_eq!(s.peer, "a");
    // Woken by the event, not by the end of the timeout (which polls the
    // stream one last time).
    assert!(started.elapsed() < BOUND / 2, "{:?}", started.elapsed());
}

#[test]
fn spawning_needs_a_runtime_and_a_period() {
    let m = monitor();
    let outside = TokioDriver::spawn(Arc::clone(&m), INTERVAL).unwrap_err();
    assert_eq!(outside.kind(), std::io::ErrorKind::Other);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let _guard = runtime.enter();
    let zero = TokioDriver::spawn(Arc::clone(&m), Duration::ZERO).unwrap_err();
    assert_eq!(zero.kind(), std::io::ErrorKind::InvalidInput);
    assert!(TokioDriver::spawn_periodic(m, INTERVAL).is_ok());
}
