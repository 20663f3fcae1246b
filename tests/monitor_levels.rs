//! The multi-peer monitor's events on a fake clock: suspicion and recovery,
//! escalation levels, watched peers, heartbeats that settle what no tick
//! announced yet, and a tick with many peers due in one shard.

#[path = "monitor/support.rs"]
mod support;

use accrual::monitor::{Availability, Event, Monitor};
use accrual::{Config, HeartbeatError, Timestamp};
use std::time::Duration;
use support::{before, drain, monitor, ms, ns, steady, summary};

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

// ---------------------------------------------------------------------------
// Many peers due at once.

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
