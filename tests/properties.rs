//! Property tests: the detector's invariants over random configurations,
//! arrival sequences and query times.

use accrual::{
    ArrivalKind, Bootstrap, Config, Detector, HeartbeatError, Learning, Model, Period, Timestamp,
};
use proptest::prelude::*;
use std::time::Duration;

fn model() -> impl Strategy<Value = Model> {
    prop::sample::select(Model::ALL.to_vec())
}

/// Every combination of the engine's rules (learning, period, bootstrap).
fn rules() -> impl Strategy<Value = (Learning, Period, Bootstrap)> {
    (
        prop::sample::select(Learning::ALL.to_vec()),
        prop::sample::select(Period::ALL.to_vec()),
        prop::sample::select(Bootstrap::ALL.to_vec()),
    )
}

/// Random but valid configurations, from microsecond to minute scales,
/// under every combination of rules.
fn config() -> impl Strategy<Value = Config> {
    (
        model(),
        0.01f64..50.0,
        1usize..64,
        1u64..2_000_000_000,
        0u64..10_000_000_000,
        1u64..5_000_000_000,
        rules(),
    )
        .prop_map(
            |(model, threshold, samples, min_std, pause, estimate, rules)| {
                let (learning, period, bootstrap) = rules;
                Config::builder()
                    .learning(learning)
                    .period(period)
                    .bootstrap(bootstrap)
                    .model(model)
                    .threshold(threshold)
                    .max_sample_size(samples)
                    .min_std_deviation(Duration::from_nanos(min_std))
                    .acceptable_pause(Duration::from_nanos(pause))
                    .first_heartbeat_estimate(Duration::from_nanos(estimate))
                    .build()
                    .expect("strategy yields valid configurations")
            },
        )
}

/// Increasing arrival times (gaps of 0 included: duplicates), starting anywhere.
fn arrivals() -> impl Strategy<Value = Vec<u64>> {
    (
        0u64..u64::MAX / 4,
        prop::collection::vec(
            prop_oneof![
                4 => 50_000_000u64..150_000_000, // jittery 100 ms
                1 => 0u64..1_000,                // near-duplicates
                1 => 0u64..60_000_000_000,       // anything up to a minute
            ],
            0..80,
        ),
    )
        .prop_map(|(start, gaps)| {
            let mut t = start;
            let mut out = vec![t];
            for g in gaps {
                t = t.saturating_add(g);
                out.push(t);
            }
            out
        })
}

/// A detector fed `times`. Half the sequences (by the parity of their
/// start) carry sequence numbers, with a lost heartbeat now and then (a
/// gap of two in the numbers).
fn fed(config: &Config, times: &[u64]) -> Detector {
    let mut d = Detector::new(config.clone());
    let numbered = times.first().is_some_and(|t| t % 2 == 1);
    let mut seq = 0u64;
    for &t in times {
        seq += 1 + u64::from(t / 7 % 5 == 0);
        let arrival = if numbered {
            d.heartbeat_seq(Timestamp::from_nanos(t), seq)
        } else {
            d.heartbeat(Timestamp::from_nanos(t))
        };
        arrival.expect("arrivals are non-decreasing and numbers increasing");
    }
    d
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn phi_is_finite_non_negative_and_never_nan(
        config in config(), times in arrivals(), offsets in prop::collection::vec(any::<u64>(), 1..20)
    ) {
        let d = fed(&config, &times);
        for o in offsets {
            let phi = d.phi(Timestamp::from_nanos(o));
            prop_assert!(phi.is_finite() && phi >= 0.0, "phi {} at {}", phi, o);
        }
    }

    #[test]
    fn phi_is_monotone_in_time(
        config in config(), times in arrivals(),
        a in 0u64..u64::MAX / 2, b in 0u64..u64::MAX / 2, scale in 0u32..64
    ) {
        let d = fed(&config, &times);
        let last = *times.last().unwrap();
        // Query offsets from the last heartbeat, spread over many magnitudes.
        let (a, b) = (a >> scale, b >> scale);
        let (early, late) = (a.min(b), a.max(b));
        let p1 = d.phi(Timestamp::from_nanos(last.saturating_add(early)));
        let p2 = d.phi(Timestamp::from_nanos(last.saturating_add(late)));
        prop_assert!(p1 <= p2, "phi({}) = {} > phi({}) = {}", early, p1, late, p2);
    }

    #[test]
    fn deadline_agrees_with_phi_and_availability(
        config in config(), times in arrivals(), extra in 0.01f64..40.0
    ) {
        let d = fed(&config, &times);
        let last = d.last_heartbeat().unwrap();
        let threshold = d.config().threshold();
        let deadline = d.suspicion_deadline().unwrap();
        prop_assert!(deadline >= last);
        if deadline < Timestamp::MAX {
            prop_assert!(d.phi(deadline) >= threshold);
            prop_assert!(!d.is_available(deadline));
        }
        if deadline > last {
            let before = Timestamp::from_nanos(deadline.as_nanos() - 1);
            prop_assert!(d.phi(before) < threshold, "phi {} just before the deadline", d.phi(before));
            prop_assert!(d.is_available(before));
        }
        // The same holds for any other prepared threshold.
        let other = d.threshold(extra).unwrap();
        let t = d.deadline_for(&other).unwrap();
        if t < Timestamp::MAX {
            prop_assert!(d.phi(t) >= extra);
        }
        if t > last {
            prop_assert!(d.phi(Timestamp::from_nanos(t.as_nanos() - 1)) < extra);
        }
    }

    #[test]
    fn availability_is_phi_below_threshold(
        config in config(), times in arrivals(), query in 0u64..120_000_000_000
    ) {
        let d = fed(&config, &times);
        let now = Timestamp::from_nanos(times.last().unwrap().saturating_add(query));
        prop_assert_eq!(d.is_available(now), d.phi(now) < d.config().threshold());
    }

    #[test]
    fn rejected_heartbeat_leaves_state_unchanged(
        config in config(), times in arrivals(), back in 1u64..u64::MAX
    ) {
        let mut d = fed(&config, &times);
        let last = *times.last().unwrap();
        prop_assume!(last > 0);
        let before = d.clone();
        let at = Timestamp::from_nanos(last - back.min(last));
        let err = d.heartbeat(at).unwrap_err();
        prop_assert_eq!(err, HeartbeatError::OutOfOrder { last: Timestamp::from_nanos(last), at });
        prop_assert_eq!(&d, &before);
    }

    #[test]
    fn a_stale_sequence_number_is_refused_and_never_learnt(
        config in config(), times in arrivals(), back in 0u64..5, later in 1u64..1_000_000_000
    ) {
        let mut d = Detector::new(config);
        for (i, &t) in times.iter().enumerate() {
            d.heartbeat_seq(Timestamp::from_nanos(t), 10 + i as u64).unwrap();
        }
        let last = 10 + times.len() as u64 - 1;
        let before = d.clone();
        // Repeated or older, at the same time or later: refused, unchanged.
        let seq = last - back;
        let at = Timestamp::from_nanos(times.last().unwrap().saturating_add(later));
        prop_assert_eq!(
            d.heartbeat_seq(at, seq).unwrap_err(),
            HeartbeatError::StaleSequence { last, seq }
        );
        prop_assert_eq!(&d, &before);
        // The next number is accepted.
        let next = d.heartbeat_seq(at, last + 1).unwrap();
        prop_assert!(next.kind() != ArrivalKind::First);
    }

    #[test]
    fn window_statistics_match_a_recomputation(times in arrivals(), samples in 1usize..16) {
        // Every recorded interval enters the window; with a huge threshold
        // every interval is recorded, so the window is the last `samples`
        // intervals (plus seeds while it is not full).
        let config = Config::builder()
            .threshold(1e12)
            .max_sample_size(samples)
            .build()
            .unwrap();
        let d = fed(&config, &times);
        // `fed` numbers half of the sequences; a numbered heartbeat at the
        // same time as the last one is a new heartbeat with a 0 interval,
        // not a duplicate.
        let numbered = times.first().is_some_and(|t| t % 2 == 1);
        let mut window: Vec<f64> = vec![750_000.0, 1_250_000.0];
        for w in times.windows(2) {
            if w[1] > w[0] || numbered {
                let micros = ((w[1] - w[0]) as f64 / 1e3).round().min(f64::from(u32::MAX));
                window.push(micros);
            }
        }
        let kept = &window[window.len().saturating_sub(samples)..];
        let mean = kept.iter().sum::<f64>() / kept.len() as f64;
        let stats = d.stats();
        prop_assert_eq!(stats.samples, kept.len());
        let got = stats.mean.as_secs_f64() * 1e6;
        prop_assert!((got - mean).abs() <= 1e-3 + 1e-9 * mean, "{} vs {}", got, mean);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The heartbeat path's shortcut (a sure horizon: a lower bound on the
    /// deadline, computed once per recorded interval) must decide exactly
    /// like the exact rule: an interval is recorded if and only if the peer
    /// was available at its arrival, or the previous interval was skipped
    /// (never two skipped in a row).
    #[test]
    fn recording_matches_availability_at_arrival(
        config in config(),
        gaps in prop::collection::vec(
            prop_oneof![
                8 => 90_000_000u64..110_000_000,
                2 => 1u64..400_000_000,
                1 => 1u64..5_000_000_000,
            ],
            1..600,
        ),
    ) {
        let mut d = Detector::new(config);
        let mut t = 1_000_000_000u64;
        d.heartbeat(Timestamp::from_nanos(t)).unwrap();
        let mut skipped = false;
        for g in gaps {
            t += g;
            let at = Timestamp::from_nanos(t);
            let available = d.clone().is_available(at);
            let arrival = d.heartbeat(at).unwrap();
            let learns = match d.config().learning() {
                Learning::All => true,
                _ => available || skipped,
            };
            prop_assert_eq!(arrival.is_recorded(), learns, "gap {}", g);
            prop_assert_eq!(arrival.is_recovery(), !available);
            skipped = !arrival.is_recorded();
        }
    }
}
