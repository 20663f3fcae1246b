//! Model-based check of the monitor's transitions: random heartbeats,
//! ticks, watches and removals on a few peers, compared event by event with
//! a reference built from plain single-peer `Detector`s and the documented
//! rules (a tick announces every level whose deadline has passed, in
//! increasing order, once; a heartbeat first announces what a tick at its
//! arrival would have, then recovers every announced level, highest first).
//!
//! The reference knows nothing of queues, stale entries or shards, so any
//! late, early, missing or duplicate event of the monitor shows up here.

use accrual::monitor::{Event, Monitor};
use accrual::{Config, Detector, Model, Timestamp};
use proptest::prelude::*;
use std::time::Duration;

const PEERS: usize = 4;
const THRESHOLDS: [f64; 3] = [1.0, 3.0, 8.0];
const EXPECTED_MS: u64 = 150;

#[derive(Clone, Debug)]
enum Op {
    /// Advance the clock by this many ms, then heartbeat from the peer.
    Beat(usize, u64),
    /// Advance the clock, then tick.
    Tick(u64),
    Watch(usize),
    Remove(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..PEERS, 0u64..400).prop_map(|(p, dt)| Op::Beat(p, dt)),
        3 => (0u64..1_500).prop_map(Op::Tick),
        1 => (0..PEERS).prop_map(Op::Watch),
        1 => (0..PEERS).prop_map(Op::Remove),
    ]
}

fn config(model: Model) -> Config {
    // Small window and pause, so that deadlines move both ways quickly
    // (the bootstrap estimate of 500 ms vs. intervals of 0–400 ms). The
    // thresholds are read in each model's units (phi, ms or margins).
    Config::builder()
        .model(model)
        .max_sample_size(8)
        .first_heartbeat_estimate(Duration::from_millis(500))
        .acceptable_pause(Duration::from_millis(100))
        .min_std_deviation(Duration::from_millis(20))
        .build()
        .unwrap()
}

/// The reference for one peer.
struct RefPeer {
    detector: Detector,
    level: usize,
    never_heard: bool,
}

impl RefPeer {
    fn deadline(&self, level: usize) -> Timestamp {
        let th = self.detector.threshold(THRESHOLDS[level]).unwrap();
        self.detector.deadline_for(&th).unwrap()
    }
}

/// (peer, kind, level, at) of an event.
type Ev = (usize, &'static str, usize, Timestamp);

fn compact(e: &Event<usize>) -> Ev {
    match e {
        Event::Suspected(s) => (s.peer, "suspected", s.level, s.at),
        Event::Recovered(r) => (r.peer, "recovered", r.level, r.at),
        Event::Removed(r) => (r.peer, "removed", r.level, Timestamp::ZERO),
        Event::IntervalWarning(w) => (w.peer, "warning", 0, w.at),
        other => panic!("unexpected event {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn events_match_the_reference(
        ops in prop::collection::vec(op(), 1..80),
        model in prop::sample::select(Model::ALL.to_vec()),
    ) {
        let monitor: Monitor<usize> = Monitor::builder()
            .config(config(model))
            .thresholds(THRESHOLDS)
            .expected_response_after(Duration::from_millis(EXPECTED_MS))
            .no_pause_guard()
            .shards(2)
            .build()
            .unwrap();
        let rx = monitor.subscribe();
        let mut reference: Vec<Option<RefPeer>> = (0..PEERS).map(|_| None).collect();
        let mut now = Timestamp::from_millis(1_000);
        let mut expected: Vec<Ev> = Vec::new();

        for op in ops {
            match op {
                Op::Beat(p, dt) => {
                    now = now.saturating_add(Duration::from_millis(dt));
                    let arrival = monitor.heartbeat(&p, now).unwrap();
                    match &mut reference[p] {
                        None => {
                            let mut d = Detector::new(config(model));
                            d.heartbeat(now).unwrap();
                            reference[p] = Some(RefPeer { detector: d, level: 0, never_heard: false });
                        }
                        Some(r) => {
                            let last = r.detector.last_heartbeat().unwrap();
                            if !r.never_heard && now <= last {
                                // Duplicate: nothing happens.
                                prop_assert_eq!(arrival.kind(), accrual::ArrivalKind::Duplicate);
                                continue;
                            }
                            // Catch-up: what a tick at `now` would announce.
                            while r.level < THRESHOLDS.len() && r.deadline(r.level) <= now {
                                expected.push((p, "suspected", r.level, now));
                                r.level += 1;
                            }
                            for level in (0..r.level).rev() {
                                expected.push((p, "recovered", level, now));
                            }
                            r.level = 0;
                            if r.never_heard {
                                r.detector.reset();
                                r.never_heard = false;
                            }
                            let reference_arrival = r.detector.heartbeat(now).unwrap();
                            prop_assert_eq!(arrival, reference_arrival);
                            if reference_arrival.is_warning() {
                                expected.push((p, "warning", 0, now));
                            }
                        }
                    }
                }
                Op::Tick(dt) => {
                    now = now.saturating_add(Duration::from_millis(dt));
                    let mut announced = 0;
                    for (p, r) in reference.iter_mut().enumerate() {
                        let Some(r) = r else { continue };
                        while r.level < THRESHOLDS.len() && r.deadline(r.level) <= now {
                            expected.push((p, "suspected", r.level, now));
                            r.level += 1;
                            announced += 1;
                        }
                    }
                    prop_assert_eq!(monitor.tick(now), announced);
                }
                Op::Watch(p) => {
                    let added = monitor.watch(&p, now);
                    prop_assert_eq!(added, reference[p].is_none());
                    if added {
                        let mut d = Detector::new(config(model));
                        d.heartbeat(now.saturating_add(Duration::from_millis(EXPECTED_MS))).unwrap();
                        reference[p] = Some(RefPeer { detector: d, level: 0, never_heard: true });
                    }
                }
                Op::Remove(p) => {
                    let removed = monitor.remove(&p);
                    prop_assert_eq!(removed, reference[p].is_some());
                    if let Some(r) = reference[p].take() {
                        expected.push((p, "removed", r.level, Timestamp::ZERO));
                    }
                }
            }
            // Queries agree with the reference at every step.
            for (p, r) in reference.iter().enumerate() {
                match r {
                    None => prop_assert_eq!(monitor.phi(&p, now), None),
                    Some(r) => {
                        prop_assert_eq!(monitor.phi(&p, now), Some(r.detector.phi(now)));
                        prop_assert_eq!(monitor.level(&p), Some(r.level));
                        for level in 0..THRESHOLDS.len() {
                            prop_assert_eq!(monitor.level_deadline(&p, level), Some(r.deadline(level)));
                        }
                    }
                }
            }
            // Per peer, the events so far are exactly the expected ones.
            let got: Vec<Ev> = rx.try_iter().map(|e| compact(&e)).collect();
            let mut want = std::mem::take(&mut expected);
            // Within one operation only one peer changes (a tick may touch
            // several, in shard order): compare per peer.
            let mut got_sorted = got.clone();
            got_sorted.sort_by_key(|e| e.0);
            want.sort_by_key(|e| e.0);
            prop_assert_eq!(got_sorted, want, "events {:?}", got);
        }
    }
}
