//! The promise at the edges of time: at every instant, including
//! [`Timestamp::MAX`] and after silences of years, `phi(t) >= threshold`
//! exactly when `t >= suspicion_deadline()`, `is_available(t)` exactly when
//! `phi(t) < threshold`, and a monitor's suspicion events carry a phi at or
//! above their threshold.

use accrual::monitor::Event;
use accrual::{Config, Detector, Model, Monitor, Timestamp};
use proptest::prelude::*;
use std::time::Duration;

/// Checks the promise at `t`; `what` names the case in a failure.
fn agree_at(d: &Detector, t: Timestamp, what: &str) -> Result<(), TestCaseError> {
    let threshold = d.config().threshold();
    let phi = d.phi(t);
    let deadline = d.suspicion_deadline();
    prop_assert_eq!(
        d.is_available(t),
        phi < threshold,
        "{}: is_available at {:?}, phi {}",
        what,
        t,
        phi
    );
    prop_assert_eq!(
        deadline.is_some_and(|dl| t >= dl),
        phi >= threshold,
        "{}: deadline {:?} at {:?}, phi {}",
        what,
        deadline,
        t,
        phi
    );
    Ok(())
}

/// The promise at the deadline, a nanosecond before it, and at both ends
/// of the axis after the last heartbeat.
fn agree_everywhere(d: &Detector, what: &str) -> Result<(), TestCaseError> {
    let last = d.last_heartbeat().expect("monitoring");
    for t in [last, Timestamp::MAX] {
        agree_at(d, t, what)?;
    }
    if let Some(deadline) = d.suspicion_deadline() {
        agree_at(d, deadline, what)?;
        if deadline > last {
            agree_at(d, Timestamp::from_nanos(deadline.as_nanos() - 1), what)?;
        }
    }
    Ok(())
}

#[test]
fn a_deadline_past_the_axis_is_none_and_the_end_stays_available() {
    // The last heartbeat 1 s before the end of the axis: phi at
    // Timestamp::MAX is that of a 1 s silence, far below 8 for the default
    // configuration (1 s interval, 3 s pause), so no deadline lies on the
    // axis. It used to saturate to Timestamp::MAX, where phi denied it.
    let mut d = Detector::default();
    let last = Timestamp::MAX - Duration::from_secs(1);
    d.heartbeat(last).unwrap();
    assert!(d.phi(Timestamp::MAX) < 8.0);
    assert_eq!(d.suspicion_deadline(), None);
    assert!(d.is_available(Timestamp::MAX));
}

#[test]
fn a_tick_at_the_end_of_the_axis_suspects_only_what_phi_suspects() {
    // Two peers: one silent for ten minutes at the end of the axis (phi far
    // above 8), one heard 1 s before it (phi far below). Only the first is
    // suspected; a tick at Timestamp::MAX used to suspect both, the second
    // with its phi of about 0.
    let m: Monitor<&str> = Monitor::new(Config::default());
    let rx = m.subscribe();
    m.heartbeat(&"silent", Timestamp::MAX - Duration::from_secs(600))
        .unwrap();
    m.heartbeat(&"fresh", Timestamp::MAX - Duration::from_secs(1))
        .unwrap();
    assert_eq!(m.tick(Timestamp::MAX), 1);
    let events: Vec<_> = rx.try_iter().collect();
    assert_eq!(events.len(), 1, "{events:?}");
    let Event::Suspected(s) = &events[0] else {
        panic!("{events:?}");
    };
    assert_eq!(s.peer, "silent");
    assert!(s.phi >= s.threshold, "{s:?}");
    assert_eq!(m.is_available(&"fresh", Timestamp::MAX), Some(true));
    assert_eq!(m.suspicion_deadline(&"fresh"), None);
}

#[test]
fn a_deadline_years_away_agrees_with_phi_to_the_nanosecond() {
    // A threshold of 1e9 on the normal model with intervals alternating
    // between 100 s and 4 000 s: y* is about 6.8e4 (phi ≈ y²/2 · log10 e),
    // σ about 1 950 s, so the deadline lies about 1.3e8 s (four years)
    // after the last heartbeat: far above 2^53 ns (104 days), where
    // neighbouring nanoseconds share an f64 and the closed form is off by
    // thousands of them.
    let config = Config::builder()
        .model(Model::Normal)
        .threshold(1e9)
        .build()
        .unwrap();
    let mut d = Detector::new(config);
    let mut t = Timestamp::ZERO;
    for i in 0..50u64 {
        t += Duration::from_secs(if i % 2 == 0 { 100 } else { 4_000 });
        d.heartbeat(t).unwrap();
    }
    let deadline = d.suspicion_deadline().expect("on the axis");
    assert!(
        deadline - t > Duration::from_secs(365 * 86_400),
        "{deadline}"
    );
    agree_everywhere(&d, "two years")
        .map_err(|e| e.to_string())
        .unwrap();
}

fn model() -> impl Strategy<Value = Model> {
    prop::sample::select(Model::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_promise_holds_at_huge_timestamps_and_gaps(
        model in model(),
        threshold in prop_oneof![0.01f64..50.0, 50.0f64..1e9],
        start in prop_oneof![0u64..1_000, (u64::MAX - (1 << 50))..u64::MAX, any::<u64>()],
        gaps in prop::collection::vec(
            prop_oneof![1u64..10_000_000_000, 1u64..5_000_000_000_000, 1u64..(1 << 62)],
            1..8,
        ),
        probe in any::<u64>(),
    ) {
        let config = Config::builder().model(model).threshold(threshold).build().unwrap();
        let mut d = Detector::new(config);
        let mut t = start;
        d.heartbeat(Timestamp::from_nanos(t)).unwrap();
        for gap in gaps {
            let Some(next) = t.checked_add(gap) else { break };
            t = next;
            d.heartbeat(Timestamp::from_nanos(t)).unwrap();
        }
        agree_everywhere(&d, "after the heartbeats")?;
        agree_at(&d, Timestamp::from_nanos(t.saturating_add(probe)), "probe")?;
        agree_at(&d, Timestamp::from_nanos(probe), "anywhere")?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn monitor_levels_and_events_agree_with_phi_at_huge_timestamps(
        model in model(),
        mut thresholds in prop::collection::vec(prop_oneof![0.5f64..20.0, 20.0f64..1e6], 1..4),
        starts in prop::collection::vec(
            prop_oneof![0u64..1_000, (u64::MAX - (1 << 50))..u64::MAX, any::<u64>()],
            1..4,
        ),
        gap in prop_oneof![1u64..10_000_000_000, 1u64..(1 << 62)],
        ticks in prop::collection::vec(any::<u64>(), 1..6),
    ) {
        thresholds.sort_by(f64::total_cmp);
        thresholds.dedup();
        let m: Monitor<usize> = Monitor::builder()
            .config(Config::builder().model(model).build().unwrap())
            .thresholds(thresholds.iter().copied())
            .no_pause_guard()
            .build()
            .unwrap();
        let rx = m.subscribe();
        let mut latest = 0;
        for (peer, &start) in starts.iter().enumerate() {
            m.heartbeat(&peer, Timestamp::from_nanos(start)).unwrap();
            let second = start.saturating_add(gap);
            m.heartbeat(&peer, Timestamp::from_nanos(second)).unwrap();
            latest = latest.max(second);
        }
        // Ticks from the last heartbeat on, ending at the end of the axis.
        let mut times: Vec<u64> = ticks.iter().map(|&t| latest.saturating_add(t % (1 << 63))).collect();
        times.push(u64::MAX);
        times.sort_unstable();
        for &now in &times {
            let now = Timestamp::from_nanos(now);
            m.tick(now);
            for peer in 0..starts.len() {
                let phi = m.phi(&peer, now).unwrap();
                let crossed = m.thresholds().iter().filter(|&&t| phi >= t).count();
                prop_assert_eq!(m.level(&peer), Some(crossed), "peer {} at {:?}, phi {}", peer, now, phi);
                for level in 0..m.thresholds().len() {
                    let due = m.level_deadline(&peer, level).is_some_and(|d| d <= now);
                    prop_assert_eq!(due, level < crossed, "level {} of peer {} at {:?}", level, peer, now);
                }
            }
        }
        // Each suspicion carries the phi that caused it: at `at`, for the
        // state then (before the heartbeat, for one a heartbeat caught up).
        for event in rx.try_iter() {
            if let Event::Suspected(s) = event {
                prop_assert!(s.phi >= s.threshold, "{:?}", s);
            }
        }
    }
}
