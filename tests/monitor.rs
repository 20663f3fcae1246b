//! The multi-peer monitor as a registry: Akka's FailureDetectorRegistrySpec
//! where ours match, unknown peers, removal and reset, listing, the builder,
//! and subscribers that call back. Events and levels on a fake clock are in
//! `monitor_levels.rs`, the observer pause guard and the driver in
//! `monitor_guard.rs`, concurrency and batches in `monitor_concurrency.rs`.

#[path = "monitor/support.rs"]
mod support;

use accrual::monitor::{
    Availability, Driver, Event, Monitor, MonitorBuilder, MonitorError, PauseGuard,
};
use accrual::{Config, Model};
use std::sync::Arc;
use std::time::Duration;
use support::{drain, monitor, ms, steady, summary};

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
// The registry's life cycle and its API.

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

#[test]
fn monitor_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Monitor<String>>();
    check::<Monitor<u64>>();
    check::<Driver>();
}
