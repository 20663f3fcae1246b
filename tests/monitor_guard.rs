//! The multi-peer monitor's observer pause guard, and the background driver
//! that ticks a monitor on a clock.

#[path = "monitor/support.rs"]
mod support;

use accrual::monitor::{Driver, Event, ManualClock, Monitor, PauseGuard};
use crossbeam_channel::Receiver;
use std::sync::Arc;
use std::time::Duration;
use support::{before, drain, monitor, ms, steady, summary};

// ---------------------------------------------------------------------------
// The observer pause guard.

fn fleet(n: usize) -> Vec<&'static str> {
    (0..n)
        .map(|i| &*Box::leak(format!("n{i}").into_boxed_str()))
        .collect()
}

/// 100 peers heartbeating every second until 10 s, ticks every 100 ms.
fn paused_scenario(
    guard: Option<PauseGuard>,
) -> (
    Monitor<&'static str>,
    Receiver<Event<&'static str>>,
    Vec<&'static str>,
) {
    let mut b = Monitor::builder().thresholds([8.0]);
    b = match guard {
        Some(g) => b.pause_guard(g),
        None => b.no_pause_guard(),
    };
    let m = b.build().unwrap();
    let rx = m.subscribe();
    let peers = fleet(100);
    for t in (0..=10_000).step_by(100) {
        if t % 1000 == 0 {
            for p in &peers {
                m.heartbeat(p, ms(t)).unwrap();
            }
        }
        m.tick(ms(t));
    }
    assert!(drain(&rx).is_empty());
    (m, rx, peers)
}

#[test]
fn an_observer_pause_does_not_convict_everyone() {
    let guard = PauseGuard::new(Duration::from_secs(5), Duration::from_secs(5)).unwrap();
    let (m, rx, peers) = paused_scenario(Some(guard));
    // The observer freezes for 30 s: its next tick is at 40 s.
    assert_eq!(m.tick(ms(40_000)), 0);
    let events = drain(&rx);
    assert_eq!(summary(&events), [("paused", "", 0)]);
    let Event::ObserverPaused(p) = events[0] else {
        unreachable!()
    };
    assert_eq!(
        (p.at, p.previous_tick, p.gap, p.hold_until),
        (ms(40_000), ms(10_000), Duration::from_secs(30), ms(45_000))
    );
    // The backlog of heartbeats arrives: 90 peers are alive. No suspicion
    // is announced for them (they are proof of life), hence no recovery.
    for p in &peers[..90] {
        m.heartbeat(p, ms(40_050)).unwrap();
    }
    for t in (40_100..45_000).step_by(100) {
        if t % 1000 == 0 {
            for p in &peers[..90] {
                m.heartbeat(p, ms(t)).unwrap();
            }
        }
        assert_eq!(m.tick(ms(t)), 0, "holding at {t}");
    }
    assert!(drain(&rx).is_empty());
    // Trap 4: the hold ends and the 10 silent peers are convicted.
    assert_eq!(m.tick(ms(45_000)), 10);
    let mut suspected: Vec<_> = summary(&drain(&rx)).into_iter().map(|e| e.1).collect();
    suspected.sort_by_key(|p| p[1..].parse::<u32>().unwrap());
    assert_eq!(suspected, peers[90..]);
    assert_eq!(m.tick(ms(45_100)), 0);
}

#[test]
fn without_the_guard_a_pause_convicts_everyone() {
    let (m, rx, _) = paused_scenario(None);
    assert_eq!(m.tick(ms(40_000)), 100);
    assert_eq!(drain(&rx).len(), 100);
}

#[test]
fn recoveries_are_reported_during_a_hold() {
    let (m, rx, peers) = paused_scenario(Some(PauseGuard::default()));
    // n0 goes silent and is suspected before the pause.
    for t in (10_100..=20_000).step_by(100) {
        if t % 1000 == 0 {
            for p in &peers[1..] {
                m.heartbeat(p, ms(t)).unwrap();
            }
        }
        m.tick(ms(t));
    }
    assert_eq!(summary(&drain(&rx)), [("suspected", "n0", 0)]);
    m.tick(ms(60_000)); // pause
    assert_eq!(summary(&drain(&rx)), [("paused", "", 0)]);
    m.heartbeat(&"n0", ms(60_010)).unwrap();
    assert_eq!(summary(&drain(&rx)), [("recovered", "n0", 0)]);
}

#[test]
fn a_late_tick_ending_a_hold_is_not_a_new_pause() {
    // A caller ticking less often than max_pause: holds do not chain, the
    // tick after a hold convicts (every other tick at worst).
    let guard = PauseGuard::new(Duration::from_secs(5), Duration::from_secs(1)).unwrap();
    let m: Monitor<&str> = Monitor::builder().pause_guard(guard).build().unwrap();
    let rx = m.subscribe();
    steady(&m, "a", 3);
    m.tick(ms(3_000));
    assert_eq!(m.tick(ms(20_000)), 0); // pause
    assert_eq!(m.tick(ms(40_000)), 1); // ends the hold: convicts
    assert_eq!(
        summary(&drain(&rx)),
        [("paused", "", 0), ("suspected", "a", 0)]
    );
}

#[test]
fn heartbeats_after_overdue_ticks_do_not_announce_stale_suspicions() {
    // Ticks stopped (the observer may be frozen): heartbeats arriving long
    // after the last tick do not announce catch-up suspicions; the next tick
    // decides whether it was a pause.
    let m: Monitor<&str> = Monitor::builder().build().unwrap();
    let rx = m.subscribe();
    steady(&m, "a", 3);
    m.tick(ms(3_000));
    m.heartbeat(&"a", ms(30_000)).unwrap();
    assert!(drain(&rx).is_empty());
}

// ---------------------------------------------------------------------------
// The background driver.

#[test]
fn the_driver_ticks_on_its_clock_and_stops_on_drop() {
    let clock = ManualClock::new(ms(0));
    let m = Arc::new(monitor(&[8.0]));
    let rx = m.subscribe();
    m.heartbeat(&"a", ms(0)).unwrap();
    let deadline = m.suspicion_deadline("a").unwrap();
    let driver =
        Driver::spawn_with_clock(Arc::clone(&m), clock.clone(), Duration::from_millis(1)).unwrap();
    // Nothing before the deadline, however often the driver ticks.
    clock.set(before(deadline));
    std::thread::sleep(Duration::from_millis(20));
    assert!(drain(&rx).is_empty());
    clock.set(deadline);
    let event = rx.recv_timeout(Duration::from_secs(10)).expect("suspected");
    assert!(matches!(event, Event::Suspected(ref s) if s.peer == "a" && s.at >= deadline));
    let started = std::time::Instant::now();
    drop(driver);
    assert!(started.elapsed() < Duration::from_secs(5));
    // Stopped: the monitor is ours alone again.
    assert_eq!(Arc::strong_count(&m), 1);
    assert!(Driver::spawn(Arc::clone(&m), Duration::ZERO).is_err());
}

#[test]
fn the_driver_reports_an_observer_pause() {
    let clock = ManualClock::new(ms(0));
    let m: Arc<Monitor<&str>> = Arc::new(Monitor::builder().build().unwrap());
    let rx = m.subscribe();
    let driver =
        Driver::spawn_with_clock(Arc::clone(&m), clock.clone(), Duration::from_millis(1)).unwrap();
    std::thread::sleep(Duration::from_millis(10));
    clock.advance(Duration::from_secs(30)); // the "freeze"
    let event = rx.recv_timeout(Duration::from_secs(10)).expect("paused");
    assert!(matches!(event, Event::ObserverPaused(p) if p.gap >= Duration::from_secs(30)));
    driver.stop();
}
