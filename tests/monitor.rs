//! The multi-peer monitor: registry semantics (Akka's
//! FailureDetectorRegistrySpec where ours match), event ordering on a fake
//! clock, escalation levels, watched peers, the observer pause guard, the
//! background driver, and concurrency.

use accrual::monitor::{
    Availability, Driver, Event, ManualClock, Monitor, MonitorBuilder, MonitorError, PauseGuard,
};
use accrual::{Config, HeartbeatError, Model, Timestamp};
use crossbeam_channel::Receiver;
use std::sync::Arc;
use std::time::Duration;

fn ms(t: u64) -> Timestamp {
    Timestamp::from_millis(t)
}

fn ns(t: Timestamp) -> u64 {
    t.as_nanos()
}

fn before(t: Timestamp) -> Timestamp {
    Timestamp::from_nanos(t.as_nanos() - 1)
}

fn drain<K>(rx: &Receiver<Event<K>>) -> Vec<Event<K>> {
    rx.try_iter().collect()
}

/// (kind, peer, level) of each event, for compact assertions.
fn summary(events: &[Event<&'static str>]) -> Vec<(&'static str, &'static str, usize)> {
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

fn monitor(thresholds: &[f64]) -> Monitor<&'static str> {
    Monitor::builder()
        .thresholds(thresholds.iter().copied())
        .no_pause_guard()
        .build()
        .unwrap()
}

/// Heartbeats every second from 0 to `last_s` seconds.
fn steady(m: &Monitor<&'static str>, peer: &'static str, last_s: u64) {
    for s in 0..=last_s {
        m.heartbeat(&peer, ms(s * 1000)).unwrap();
    }
}

// ---------------------------------------------------------------------------
// Akka's FailureDetectorRegistrySpec, on explicit timestamps. Its detectors:
// threshold 8 (3 where stated), 1000 samples, min σ 10 ms, pause 0 (3 s where
// stated), first estimate 1 s, Akka's phi.

fn akka_registry(threshold: f64, pause: Duration) -> Monitor<&'static str> {
    let config = Config::builder()
        .model(Model::Akka)
        .threshold(threshold)
        .min_std_deviation(Duration::from_millis(10))
        .acceptable_pause(pause)
        .build()
        .unwrap();
    Monitor::builder().config(config).build().unwrap()
}

#[test]
fn akka_available_after_a_series_of_successful_heartbeats() {
    let fd = akka_registry(8.0, Duration::ZERO);
    for t in [0, 1000, 1100] {
        fd.heartbeat(&"resource1", ms(t)).unwrap();
    }
    assert_eq!(fd.is_available("resource1", ms(1200)), Some(true));
}

#[test]
fn akka_dead_if_heartbeats_are_missed() {
    let fd = akka_registry(3.0, Duration::ZERO);
    for t in [0, 1000, 1100] {
        fd.heartbeat(&"resource1", ms(t)).unwrap();
    }
    assert_eq!(fd.is_available("resource1", ms(1200)), Some(true));
    fd.heartbeat(&"resource2", ms(5200)).unwrap(); // unrelated resource
    assert_eq!(fd.is_available("resource1", ms(8200)), Some(false));
}

#[test]
fn akka_accepts_some_configured_missing_heartbeats() {
    let fd = akka_registry(8.0, Duration::from_secs(3));
    for t in [0, 1000, 2000, 3000] {
        fd.heartbeat(&"resource1", ms(t)).unwrap();
    }
    assert_eq!(fd.is_available("resource1", ms(7000)), Some(true));
    fd.heartbeat(&"resource1", ms(8000)).unwrap();
    assert_eq!(fd.is_available("resource1", ms(9000)), Some(true));
}

#[test]
fn akka_fails_after_configured_acceptable_missing_heartbeats() {
    let fd = akka_registry(8.0, Duration::from_secs(3));
    for t in [0, 1000, 2000, 3000, 4000, 5000] {
        fd.heartbeat(&"resource1", ms(t)).unwrap();
    }
    assert_eq!(fd.is_available("resource1", ms(5500)), Some(true));
    fd.heartbeat(&"resource1", ms(6000)).unwrap();
    assert_eq!(fd.is_available("resource1", ms(11_000)), Some(false));
}

#[test]
fn akka_removed_resource() {
    // Akka: after remove, isAvailable is true (unknown resources are
    // available). Deliberate difference: we say Unknown; `unwrap_or(true)`
    // gives Akka's answer, `unwrap_or(false)` Hazelcast's.
    let fd = akka_registry(8.0, Duration::ZERO);
    for t in [0, 1000, 1100] {
        fd.heartbeat(&"resource1", ms(t)).unwrap();
    }
    assert_eq!(fd.is_available("resource1", ms(1200)), Some(true));
    assert!(fd.remove("resource1"));
    assert_eq!(
        fd.availability("resource1", ms(1300)),
        Availability::Unknown
    );
    assert_eq!(fd.is_available("resource1", ms(1300)), None);
    assert!(fd.is_available("resource1", ms(1300)).unwrap_or(true));
    assert!(!fd.remove("resource1"));
}

#[test]
fn akka_removed_resource_heartbeating_again_starts_a_fresh_detector() {
    let fd = akka_registry(8.0, Duration::ZERO);
    assert!(!fd.is_monitoring("resource1"));
    for t in [0, 1000, 1100] {
        fd.heartbeat(&"resource1", ms(t)).unwrap();
    }
    assert_eq!(fd.is_available("resource1", ms(2200)), Some(true));
    assert!(fd.is_monitoring("resource1"));
    assert_eq!(fd.stats("resource1").unwrap().samples, 4);
    fd.remove("resource1");
    assert!(!fd.is_monitoring("resource1"));
    assert_eq!(fd.is_available("resource1", ms(3300)), None); // Akka: true
    for t in [4400, 5500, 6600] {
        fd.heartbeat(&"resource1", ms(t)).unwrap();
    }
    assert_eq!(fd.is_available("resource1", ms(6700)), Some(true));
    assert!(fd.is_monitoring("resource1"));
    // A brand-new detector: the two bootstrap samples plus two intervals,
    // nothing of the removed one's.
    let stats = fd.stats("resource1").unwrap();
    assert_eq!(stats.samples, 4);
    assert_eq!(stats.last_heartbeat, Some(ms(6600)));
}

#[test]
fn unknown_peers_are_reported_as_unknown() {
    let m = monitor(&[8.0]);
    m.heartbeat(&"a", ms(0)).unwrap();
    assert_eq!(m.phi("b", ms(10)), None);
    assert_eq!(m.availability("b", ms(10)), Availability::Unknown);
    assert_eq!(m.is_available("b", ms(10)), None);
    assert_eq!(m.suspicion_deadline("b"), None);
    assert_eq!(m.level_deadline("b", 0), None);
    assert_eq!(m.level("b"), None);
    assert_eq!(m.stats("b"), None);
    assert!(!m.contains("b") && m.contains("a"));
    assert_eq!(m.len(), 1);
    // Known peers: the detector's own answers.
    assert!(m.phi("a", ms(10)).is_some_and(|phi| phi < 1e-9));
    assert_eq!(m.availability("a", ms(10)), Availability::Available);
    assert_eq!(m.level_deadline("a", 1), None, "no such level");
}

#[test]
fn string_keys_are_looked_up_by_str() {
    let m: Monitor<String> = Monitor::new(Config::default());
    m.heartbeat("node-1", ms(0)).unwrap();
    let owned = String::from("node-1");
    assert!(m.contains(&owned) && m.contains("node-1"));
    assert_eq!(m.peers(ms(1)).len(), 1);
}

// ---------------------------------------------------------------------------
// Events on a fake clock.

#[test]
fn suspect_recover_suspect() {
    let m = monitor(&[8.0]);
    let rx = m.subscribe();
    steady(&m, "a", 10);
    let deadline = m.suspicion_deadline("a").unwrap();
    assert_eq!(m.tick(before(deadline)), 0);
    assert!(drain(&rx).is_empty());

    assert_eq!(m.tick(deadline), 1);
    let events = drain(&rx);
    assert_eq!(summary(&events), [("suspected", "a", 0)]);
    let Event::Suspected(s) = &events[0] else {
        unreachable!()
    };
    assert_eq!((s.at, s.since, s.threshold), (deadline, deadline, 8.0));
    assert!(s.phi >= 8.0 && s.phi.is_finite());
    assert_eq!(s.silence, deadline.saturating_duration_since(ms(10_000)));
    assert_eq!(s.stats.last_heartbeat, Some(ms(10_000)));
    assert_eq!(s.stats.samples, 12);
    assert!(!s.never_heard);
    assert_eq!(m.level("a"), Some(1));

    // Ticking on while silent: nothing new, no duplicate.
    for t in [20_000, 25_000, 29_000] {
        assert_eq!(m.tick(ms(t)), 0);
    }
    assert!(drain(&rx).is_empty());

    // A real heartbeat recovers, with the time spent down.
    m.heartbeat(&"a", ms(30_000)).unwrap();
    let events = drain(&rx);
    assert_eq!(summary(&events), [("recovered", "a", 0)]);
    let Event::Recovered(r) = &events[0] else {
        unreachable!()
    };
    assert_eq!((r.at, r.since), (ms(30_000), deadline));
    assert_eq!(r.down_for, ms(30_000).saturating_duration_since(deadline));
    assert_eq!(m.level("a"), Some(0));

    // Silence again: re-suspected at the deadline counted from the recovery
    // heartbeat (the 20 s interval was not learnt, so it is the same
    // distance as before).
    let again = m.suspicion_deadline("a").unwrap();
    assert_eq!(
        again.saturating_duration_since(ms(30_000)),
        deadline.saturating_duration_since(ms(10_000))
    );
    assert_eq!(m.tick(before(again)), 0);
    assert_eq!(m.tick(again), 1);
    assert_eq!(summary(&drain(&rx)), [("suspected", "a", 0)]);
}

#[test]
fn each_threshold_has_its_own_events() {
    let m = monitor(&[8.0, 3.0]); // any order; sorted
    assert_eq!(m.thresholds(), &[3.0, 8.0]);
    let rx = m.subscribe();
    steady(&m, "a", 10);
    steady(&m, "b", 10);
    let stop_routing = m.level_deadline("a", 0).unwrap();
    let dead = m.level_deadline("a", 1).unwrap();
    assert!(stop_routing < dead);
    assert_eq!(Some(dead), m.suspicion_deadline("a"));

    // Between the two deadlines: only the first level.
    assert_eq!(m.tick(stop_routing), 2);
    let events = drain(&rx);
    let mut got = summary(&events);
    got.sort();
    assert_eq!(got, [("suspected", "a", 0), ("suspected", "b", 0)]);
    assert!(events.iter().all(|e| match e {
        Event::Suspected(s) => s.threshold == 3.0 && s.phi >= 3.0 && s.phi < 8.0,
        _ => false,
    }));
    assert_eq!(m.tick(before(dead)), 0);
    assert_eq!(m.tick(dead), 2);
    let mut got = summary(&drain(&rx));
    got.sort();
    assert_eq!(got, [("suspected", "a", 1), ("suspected", "b", 1)]);

    // A heartbeat recovers every level, highest first.
    m.heartbeat(&"a", ms(20_000)).unwrap();
    assert_eq!(
        summary(&drain(&rx)),
        [("recovered", "a", 1), ("recovered", "a", 0)]
    );

    // One tick that jumps past both deadlines announces both, in order.
    let dead_again = m.level_deadline("a", 1).unwrap();
    assert_eq!(m.tick(dead_again), 2);
    assert_eq!(
        summary(&drain(&rx)),
        [("suspected", "a", 0), ("suspected", "a", 1)]
    );
    assert_eq!(m.level("a"), Some(2));
    assert_eq!(m.level("b"), Some(2));
}

#[test]
fn removal_while_suspected() {
    let m = monitor(&[3.0, 8.0]);
    let rx = m.subscribe();
    steady(&m, "a", 5);
    let first = m.level_deadline("a", 0).unwrap();
    m.tick(first);
    assert_eq!(summary(&drain(&rx)), [("suspected", "a", 0)]);
    assert!(m.remove("a"));
    assert_eq!(summary(&drain(&rx)), [("removed", "a", 1)]);
    // Nothing more for it, even long after its other deadline.
    assert_eq!(m.tick(ms(100_000)), 0);
    assert!(drain(&rx).is_empty());
    // Its next heartbeat is a first contact: no recovery, fresh bootstrap.
    let arrival = m.heartbeat(&"a", ms(100_000)).unwrap();
    assert_eq!(arrival.kind(), accrual::ArrivalKind::First);
    assert!(drain(&rx).is_empty());
    assert_eq!(m.stats("a").unwrap().samples, 2);
}

#[test]
fn watched_peer_that_never_speaks_is_suspected() {
    let m: Monitor<&str> = Monitor::builder()
        .thresholds([3.0, 8.0])
        .expected_response_after(Duration::from_secs(1))
        .no_pause_guard()
        .build()
        .unwrap();
    let rx = m.subscribe();
    assert!(m.watch(&"quiet", ms(10_000)));
    assert!(!m.watch(&"quiet", ms(10_500)), "already watched");
    assert!(m.contains("quiet"));
    assert!(!m.is_monitoring("quiet"));
    assert_eq!(m.availability("quiet", ms(10_000)), Availability::Awaiting);
    assert_eq!(m.phi("quiet", ms(10_900)), Some(0.0));
    let stats = m.stats("quiet").unwrap();
    assert_eq!((stats.samples, stats.last_heartbeat), (2, None));

    // Detection starts at watch + 1 s as if a heartbeat had arrived then:
    // the deadlines are the bootstrap ones counted from 11 s.
    let fresh = monitor(&[3.0, 8.0]);
    fresh.heartbeat(&"x", ms(11_000)).unwrap();
    let low = m.level_deadline("quiet", 0).unwrap();
    assert_eq!(Some(low), fresh.level_deadline("x", 0));
    assert_eq!(m.level_deadline("quiet", 1), fresh.level_deadline("x", 1));

    assert_eq!(m.tick(before(low)), 0);
    assert_eq!(m.tick(low), 1);
    let events = drain(&rx);
    let Event::Suspected(s) = &events[0] else {
        panic!("{events:?}")
    };
    assert!(s.never_heard);
    assert_eq!(s.stats.last_heartbeat, None);
    assert_eq!(s.silence, low.saturating_duration_since(ms(10_000)));
    let high = m.level_deadline("quiet", 1).unwrap();
    assert_eq!(m.availability("quiet", high), Availability::Unavailable);
    m.tick(high);
    assert_eq!(summary(&drain(&rx)), [("suspected", "quiet", 1)]);

    // Finally a heartbeat: recovery at both levels, and real monitoring
    // from a fresh bootstrap at the real arrival.
    m.heartbeat(&"quiet", ms(30_000)).unwrap();
    assert_eq!(
        summary(&drain(&rx)),
        [("recovered", "quiet", 1), ("recovered", "quiet", 0)]
    );
    assert!(m.is_monitoring("quiet"));
    assert_eq!(m.stats("quiet").unwrap().last_heartbeat, Some(ms(30_000)));
    assert_eq!(m.availability("quiet", ms(30_001)), Availability::Available);
}

#[test]
fn watched_peer_answering_in_time_raises_nothing() {
    let m = monitor(&[8.0]);
    let rx = m.subscribe();
    m.watch(&"a", ms(0));
    // Heartbeat before the (virtual) first heartbeat time: a real first
    // heartbeat, not an out-of-order one.
    let arrival = m.heartbeat(&"a", ms(500)).unwrap();
    assert_eq!(arrival.kind(), accrual::ArrivalKind::First);
    m.tick(ms(3000));
    assert!(drain(&rx).is_empty());
    assert!(m.is_monitoring("a"));
}

#[test]
fn a_late_heartbeat_before_any_tick_announces_then_recovers() {
    // The deadline passed but no tick announced it: the heartbeat announces
    // the suspicion a tick at its arrival would have, then the recovery.
    let m = monitor(&[3.0, 8.0]);
    let rx = m.subscribe();
    steady(&m, "a", 5);
    let low = m.level_deadline("a", 0).unwrap();
    let high = m.level_deadline("a", 1).unwrap();
    let between = Timestamp::from_nanos((ns(low) + ns(high)) / 2);
    m.heartbeat(&"a", between).unwrap();
    let events = drain(&rx);
    // (The 5 s interval is still learnt, phi being under the configured
    // threshold of 8 at its arrival, and it is long enough to be flagged.)
    assert_eq!(
        summary(&events),
        [
            ("suspected", "a", 0),
            ("recovered", "a", 0),
            ("warning", "a", 0)
        ]
    );
    let (Event::Suspected(s), Event::Recovered(r)) = (&events[0], &events[1]) else {
        unreachable!()
    };
    assert_eq!((s.at, s.since), (between, low));
    assert_eq!(r.down_for, between.saturating_duration_since(low));
    assert_eq!(m.level("a"), Some(0));
    // The queued entry is now stale; the tick finds nothing due.
    assert_eq!(m.tick(high), 0);
    assert!(drain(&rx).is_empty());
}

#[test]
fn heartbeat_stamped_before_the_announced_deadline_still_recovers() {
    // A tick announced the suspicion, then a heartbeat stamped earlier than
    // the deadline is processed: the subscribers must hear the recovery.
    let m = monitor(&[8.0]);
    let rx = m.subscribe();
    steady(&m, "a", 5);
    let deadline = m.suspicion_deadline("a").unwrap();
    m.tick(deadline);
    m.heartbeat(&"a", before(deadline)).unwrap();
    let events = drain(&rx);
    assert_eq!(
        summary(&events),
        [
            ("suspected", "a", 0),
            ("recovered", "a", 0),
            ("warning", "a", 0)
        ]
    );
    let Event::Recovered(r) = &events[1] else {
        unreachable!()
    };
    assert_eq!(r.down_for, Duration::ZERO);
}

#[test]
fn an_earlier_deadline_after_the_bootstrap_is_not_missed() {
    // Trap 1: the 1 s bootstrap estimate queues a deadline seconds away;
    // 10 ms heartbeats shrink it to tens of milliseconds. The queue must
    // follow, or the suspicion would come seconds late.
    let config = Config::builder()
        .max_sample_size(20)
        .acceptable_pause(Duration::from_millis(30))
        .min_std_deviation(Duration::from_millis(2))
        .build()
        .unwrap();
    let m: Monitor<&str> = Monitor::builder()
        .config(config)
        .no_pause_guard()
        .build()
        .unwrap();
    let rx = m.subscribe();
    for i in 0..100 {
        m.heartbeat(&"fast", ms(i * 10)).unwrap();
    }
    let deadline = m.suspicion_deadline("fast").unwrap();
    assert!(deadline < ms(1_100), "{deadline}");
    assert!(m.next_check().unwrap() <= deadline);
    assert_eq!(m.tick(before(deadline)), 0);
    assert_eq!(m.tick(deadline), 1);
    assert_eq!(summary(&drain(&rx)), [("suspected", "fast", 0)]);
}

#[test]
fn ticks_going_backwards_are_ignored() {
    let m = monitor(&[8.0]);
    let rx = m.subscribe();
    steady(&m, "a", 5);
    let deadline = m.suspicion_deadline("a").unwrap();
    assert_eq!(m.tick(ms(6_000)), 0);
    assert_eq!(m.tick(ms(1_000)), 0);
    assert_eq!(m.tick(Timestamp::ZERO), 0);
    assert!(drain(&rx).is_empty());
    assert_eq!(m.tick(deadline), 1);
    // Backwards again, past the deadline: nothing undone, nothing repeated.
    assert_eq!(m.tick(ms(6_000)), 0);
    assert_eq!(m.tick(Timestamp::MAX), 0);
    assert_eq!(summary(&drain(&rx)), [("suspected", "a", 0)]);
}

#[test]
fn interval_warnings_name_the_peer() {
    let m = monitor(&[8.0]);
    let rx = m.subscribe();
    steady(&m, "a", 5);
    // Default pause 3 s, warning fraction 2/3: a 2.5 s interval is flagged.
    let arrival = m.heartbeat(&"a", ms(7_500)).unwrap();
    assert!(arrival.is_warning());
    let events = drain(&rx);
    assert_eq!(summary(&events), [("warning", "a", 0)]);
    let Event::IntervalWarning(w) = &events[0] else {
        unreachable!()
    };
    assert_eq!(
        (w.at, w.interval),
        (ms(7_500), Duration::from_millis(2_500))
    );
}

#[test]
fn out_of_order_and_duplicate_heartbeats_change_nothing() {
    let m = monitor(&[8.0]);
    let rx = m.subscribe();
    steady(&m, "a", 5);
    let before_stats = m.stats("a");
    assert!(matches!(
        m.heartbeat(&"a", ms(4_500)),
        Err(HeartbeatError::OutOfOrder { .. })
    ));
    assert_eq!(
        m.heartbeat(&"a", ms(5_000)).unwrap().kind(),
        accrual::ArrivalKind::Duplicate
    );
    assert_eq!(m.stats("a"), before_stats);
    assert!(drain(&rx).is_empty());
}

#[test]
fn reset_forgets_everyone_with_one_event() {
    let m = monitor(&[8.0]);
    let rx = m.subscribe();
    steady(&m, "a", 3);
    steady(&m, "b", 3);
    m.reset();
    assert!(m.is_empty());
    assert_eq!(m.next_check(), None);
    assert_eq!(summary(&drain(&rx)), [("reset", "", 0)]);
    assert_eq!(m.tick(ms(100_000)), 0);
    m.heartbeat(&"a", ms(100_000)).unwrap();
    assert_eq!(m.len(), 1);
}

#[test]
fn listing_peers_and_suspects() {
    let m = monitor(&[8.0]);
    steady(&m, "a", 10);
    steady(&m, "b", 20);
    let now = ms(20_500);
    let mut all = m.peers(now);
    all.sort_by_key(|p| p.peer);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].phi, m.phi("a", now).unwrap());
    assert!(!all[0].available && all[1].available);
    let suspects = m.suspects(now);
    assert_eq!(suspects.len(), 1);
    assert_eq!(suspects[0].peer, "a");
    assert_eq!(suspects[0].level, 0, "listed, not announced: no tick yet");
}

#[test]
fn subscribers_may_call_back_into_the_monitor() {
    // Events are sent under a shard lock; unbounded channels mean a
    // subscriber that calls back into the monitor cannot deadlock with it.
    let m = Arc::new(monitor(&[8.0]));
    let rx = m.subscribe();
    let other = m.subscribe();
    drop(other); // a gone subscriber must not disturb the others
    let handler = {
        let m = Arc::clone(&m);
        std::thread::spawn(move || {
            let mut seen = 0;
            while let Ok(event) = rx.recv_timeout(Duration::from_secs(10)) {
                if let Event::Suspected(s) = event {
                    // Read and remove the peer from inside the handler.
                    assert!(m.phi(&s.peer, s.at).is_some() || !m.contains(&s.peer));
                    m.remove(&s.peer);
                    seen += 1;
                    if seen == 50 {
                        break;
                    }
                }
            }
            seen
        })
    };
    let names: Vec<&'static str> = (0..50)
        .map(|i| &*Box::leak(format!("p{i}").into_boxed_str()))
        .collect();
    for name in &names {
        steady(&m, name, 3);
    }
    m.tick(ms(60_000));
    assert_eq!(handler.join().unwrap(), 50);
    assert!(m.is_empty());
}

#[test]
fn builder_rejects_bad_settings() {
    let err = |b: MonitorBuilder<u32>| b.build().unwrap_err();
    assert_eq!(
        err(Monitor::builder().thresholds([])),
        MonitorError::NoThresholds
    );
    assert!(matches!(
        err(Monitor::builder().thresholds([1.0, f64::NAN])),
        MonitorError::Threshold(_)
    ));
    assert_eq!(
        err(Monitor::builder().thresholds([3.0, 3.0])),
        MonitorError::DuplicateThreshold { phi: 3.0 }
    );
    assert!(matches!(
        err(Monitor::builder().thresholds((1..=40).map(f64::from))),
        MonitorError::TooManyThresholds { count: 40 }
    ));
    assert_eq!(
        err(Monitor::builder().shards(3)),
        MonitorError::Shards { value: 3 }
    );
    assert!(err(Monitor::builder().shards(0))
        .to_string()
        .contains("power of two"));
    assert!(PauseGuard::new(Duration::ZERO, Duration::ZERO).is_err());
    let m: Monitor<u32> = Monitor::builder().shards(1).build().unwrap();
    assert!(m.pause_guard().is_some());
    assert_eq!(m.expected_response_after(), Duration::from_secs(1));
}

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

// ---------------------------------------------------------------------------
// Concurrency.

#[test]
fn concurrent_heartbeats_are_neither_lost_nor_mixed_up() {
    // 4 transport threads, each owning 500 peers, 1000 heartbeats per peer
    // (2,000,000 in all), while a fifth thread ticks and a subscriber
    // drains events. Each peer has its own interval, so a heartbeat
    // recorded on the wrong peer would show in its statistics.
    const THREADS: u64 = 4;
    const PEERS_PER_THREAD: u64 = 500;
    const BEATS: u64 = 1000;
    let config = Config::builder()
        .max_sample_size(1024)
        .acceptable_pause(Duration::from_secs(3600))
        .build()
        .unwrap();
    let m: Arc<Monitor<u64>> = Arc::new(
        Monitor::builder()
            .config(config)
            .no_pause_guard()
            .build()
            .unwrap(),
    );
    let rx = m.subscribe();
    let interval_us = |peer: u64| 1_000 + peer; // distinct per peer
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ticker = {
        let (m, stop) = (Arc::clone(&m), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut t = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && t < 1_000_000 {
                m.tick(Timestamp::from_micros(t * 100));
                t += 1;
                std::thread::yield_now();
            }
        })
    };
    let workers: Vec<_> = (0..THREADS)
        .map(|w| {
            let m = Arc::clone(&m);
            std::thread::spawn(move || {
                for k in 0..BEATS {
                    for i in 0..PEERS_PER_THREAD {
                        let peer = w * PEERS_PER_THREAD + i;
                        let at = Timestamp::from_micros(k * interval_us(peer));
                        m.heartbeat(&peer, at).expect("in order");
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    ticker.join().unwrap();
    drop(rx);
    assert_eq!(m.len() as u64, THREADS * PEERS_PER_THREAD);
    for peer in 0..THREADS * PEERS_PER_THREAD {
        let stats = m.stats(&peer).unwrap();
        // Two bootstrap samples plus one interval per heartbeat after the first.
        assert_eq!(stats.samples as u64, 2 + BEATS - 1, "peer {peer}");
        assert_eq!(
            stats.last_heartbeat,
            Some(Timestamp::from_micros((BEATS - 1) * interval_us(peer)))
        );
        // Mean of {750 ms, 1250 ms, (BEATS-1) × interval}: exact integers.
        let total_us = 2_000_000 + (BEATS - 1) * interval_us(peer);
        let mean = Duration::from_nanos(total_us * 1000 / (BEATS + 1));
        assert!(
            stats.mean.abs_diff(mean) <= Duration::from_micros(1),
            "peer {peer}"
        );
    }
}

#[test]
fn monitor_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Monitor<String>>();
    check::<Monitor<u64>>();
    check::<Driver>();
}

/// The peer an event is about (`None` for monitor-wide events).
fn event_peer(e: &Event<u64>) -> Option<u64> {
    match e {
        Event::Suspected(s) => Some(s.peer),
        Event::Recovered(r) => Some(r.peer),
        Event::Removed(r) => Some(r.peer),
        Event::IntervalWarning(w) => Some(w.peer),
        _ => None,
    }
}

/// `heartbeat_batch` has the effect of one `heartbeat` call per entry, in
/// order: same outcome for each entry (duplicates and out-of-order arrivals
/// included), same events for each peer in the same order, same state
/// afterwards. Two monitors get the same pseudo-random traffic (40 peers,
/// jittery intervals, silences long enough to be suspected at two levels,
/// repeated and stale timestamps, ticks between batches), one entry at a
/// time and in batches of 1 to 64.
#[test]
fn a_batch_of_heartbeats_is_the_same_as_one_call_each() {
    let build = || -> Monitor<u64> {
        Monitor::builder()
            .thresholds([3.0, 8.0])
            .no_pause_guard()
            .shards(8)
            .build()
            .unwrap()
    };
    let (one, batched) = (build(), build());
    let (rx_one, rx_batched) = (one.subscribe(), batched.subscribe());
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    let mut last = [0u64; 40];
    let mut now = 0u64;
    let (mut entries, mut errors) = (0, 0);
    for _ in 0..300 {
        let len = 1 + next(64) as usize;
        let mut batch: Vec<(u64, Timestamp)> = Vec::with_capacity(len);
        for _ in 0..len {
            let peer = next(40);
            let p = peer as usize;
            last[p] = match next(50) {
                0 => last[p],                           // duplicate
                1 => last[p].saturating_sub(5_000_000), // out of order
                2 => last[p] + 20_000_000_000,          // long silence
                _ => last[p] + 900_000_000 + next(200_000_000),
            };
            now = now.max(last[p]);
            batch.push((peer, Timestamp::from_nanos(last[p])));
        }
        let expected: Vec<_> = batch.iter().map(|(p, t)| one.heartbeat(p, *t)).collect();
        let refs: Vec<(&u64, Timestamp)> = batch.iter().map(|(p, t)| (p, *t)).collect();
        let mut got = vec![None; batch.len()];
        batched.heartbeat_batch(&refs, |i, outcome| got[i] = Some(outcome));
        for (i, e) in expected.iter().enumerate() {
            assert_eq!(got[i].as_ref(), Some(e), "entry {i} of {:?}", batch);
            errors += usize::from(e.is_err());
        }
        entries += batch.len();
        let tick = Timestamp::from_nanos(now.saturating_sub(next(3_000_000_000)));
        one.tick(tick);
        batched.tick(tick);
    }
    // The traffic did exercise what it says.
    assert!(
        errors > 0 && entries > 5_000,
        "{errors} errors in {entries}"
    );
    let (events_one, events_batched) = (drain(&rx_one), drain(&rx_batched));
    assert!(events_one
        .iter()
        .any(|e| matches!(e, Event::Suspected(s) if s.level == 1)));
    for peer in 0..40u64 {
        let of = |events: &[Event<u64>]| -> Vec<Event<u64>> {
            events
                .iter()
                .filter(|e| event_peer(e) == Some(peer))
                .cloned()
                .collect()
        };
        assert_eq!(of(&events_one), of(&events_batched), "peer {peer}");
        assert_eq!(one.stats(&peer), batched.stats(&peer), "peer {peer}");
        for later in [0, 500_000_000, 5_000_000_000] {
            let t = Timestamp::from_nanos(now + later);
            assert_eq!(one.phi(&peer, t), batched.phi(&peer, t), "peer {peer}");
        }
    }
    assert_eq!(events_one.len(), events_batched.len());
}

#[test]
fn a_tick_with_many_peers_due_in_one_shard_announces_exactly_the_passed_levels() {
    // One shard, so that a tick pops hundreds of entries from one queue
    // (in groups whose records are fetched together), among them stale
    // entries: of removed peers, and of peers whose deadline moved earlier
    // (bootstrap estimate, then fast heartbeats) or later (heartbeats).
    // Expected: every level whose deadline (`level_deadline`, computed from
    // the detector state, not from the queue) is at or before the tick and
    // was not announced yet, once, in increasing order per peer.
    let config = Config::for_interval(Duration::from_millis(100))
        .and_then(|c| c.to_builder().max_sample_size(10).build())
        .unwrap();
    let m = Monitor::<u32>::builder()
        .config(config)
        .thresholds([1.0, 3.0, 8.0])
        .shards(1)
        .no_pause_guard()
        .build()
        .unwrap();
    let rx = m.subscribe();
    const PEERS: u32 = 300;
    // Peer p sends (p % 13) + 2 heartbeats, every 20 to 140 ms depending
    // on p, starting at p ms, and then falls silent.
    for p in 0..PEERS {
        let period = 20 + u64::from(p % 7) * 20;
        for k in 0..u64::from(p % 13) + 2 {
            m.heartbeat(&p, ms(u64::from(p) + k * period)).unwrap();
        }
    }
    for p in (0..PEERS).filter(|p| p % 10 == 3) {
        assert!(m.remove(&p));
    }
    drain(&rx);
    let mut announced: Vec<(u32, usize)> = Vec::new();
    for now_ms in (400..6_000).step_by(150) {
        let now = ms(now_ms);
        let mut expected: Vec<(u32, usize)> = Vec::new();
        for p in 0..PEERS {
            let Some(level) = m.level(&p) else { continue };
            for j in level..3 {
                if m.level_deadline(&p, j).is_some_and(|d| d <= now) {
                    expected.push((p, j));
                }
            }
        }
        let count = m.tick(now);
        let events: Vec<(u32, usize)> = drain(&rx)
            .iter()
            .map(|e| match e {
                Event::Suspected(s) => (s.peer, s.level),
                other => panic!("unexpected event {other:?}"),
            })
            .collect();
        assert_eq!(count, events.len());
        // Per peer, levels in increasing order.
        for p in 0..PEERS {
            let levels: Vec<usize> = events.iter().filter(|e| e.0 == p).map(|e| e.1).collect();
            assert!(
                levels.windows(2).all(|w| w[0] < w[1]),
                "peer {p}: {levels:?}"
            );
        }
        let mut got = events.clone();
        got.sort_unstable();
        expected.sort_unstable();
        assert_eq!(got, expected, "tick at {now_ms} ms");
        announced.extend(events);
    }
    // Every remaining peer ends up suspected at every level, exactly once.
    announced.sort_unstable();
    let remaining = (0..PEERS).filter(|p| p % 10 != 3).count();
    assert_eq!(announced.len(), remaining * 3);
    announced.dedup();
    assert_eq!(announced.len(), remaining * 3);
}
