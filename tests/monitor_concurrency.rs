//! The multi-peer monitor under concurrent use, and `heartbeat_batch`
//! against one `heartbeat` call per entry.

#[path = "monitor/support.rs"]
mod support;

use accrual::monitor::{Event, Monitor};
use accrual::{Config, Timestamp};
use std::sync::Arc;
use std::time::Duration;
use support::drain;

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
