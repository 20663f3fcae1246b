//! The one-pass threshold sweep must score exactly like a straightforward
//! replay of the detector, threshold by threshold.

use accrual::qos::{score, score_numbered, sweep, sweep_split_numbered};
use accrual::{Bootstrap, Config, Learning, Model, Period, Timestamp};
use proptest::prelude::*;
use std::time::Duration;

/// Arrivals of a 100 ms heartbeat with jitter, occasional losses (gaps of
/// several intervals) and rare long outages, so that low thresholds suspect
/// and stop learning while high ones do not.
fn arrivals() -> impl Strategy<Value = Vec<Timestamp>> {
    prop::collection::vec(
        prop_oneof![
            20 => 80_000_000u64..120_000_000,
            3 => 150_000_000u64..450_000_000,
            1 => 1_000_000_000u64..20_000_000_000,
            1 => 0u64..2,
        ],
        0..400,
    )
    .prop_map(|gaps| {
        let mut t = 5_000_000_000u64;
        let mut out = vec![Timestamp::from_nanos(t)];
        for g in gaps {
            t += g;
            out.push(Timestamp::from_nanos(t));
        }
        out
    })
}

/// Every model under every combination of the engine's rules (with
/// `Learning::All` no threshold ever declines an interval).
fn base() -> impl Strategy<Value = Config> {
    (
        prop::sample::select(Model::ALL.to_vec()),
        2usize..40,
        0u64..300,
        1u64..30,
        prop::sample::select(Learning::ALL.to_vec()),
        prop::sample::select(Period::ALL.to_vec()),
        prop::sample::select(Bootstrap::ALL.to_vec()),
    )
        .prop_map(
            |(model, window, pause_ms, min_std_ms, learning, period, bootstrap)| {
                Config::builder()
                    .learning(learning)
                    .period(period)
                    .bootstrap(bootstrap)
                    .model(model)
                    .max_sample_size(window)
                    .acceptable_pause(Duration::from_millis(pause_ms))
                    .min_std_deviation(Duration::from_millis(min_std_ms))
                    .first_heartbeat_estimate(Duration::from_millis(100))
                    .build()
                    .unwrap()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn sweep_equals_one_replay_per_threshold(
        arrivals in arrivals(),
        base in base(),
        thresholds in prop::collection::vec(0.05f64..20.0, 1..12),
        warmup in 0usize..20,
    ) {
        let swept = sweep(&arrivals, &base, &thresholds, warmup).unwrap();
        for (k, &th) in thresholds.iter().enumerate() {
            let config = base.to_builder().threshold(th).build().unwrap();
            let reference = score(&arrivals, &config, warmup);
            prop_assert_eq!(swept[k], reference, "threshold {}", th);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    /// The same with the senders' sequence numbers: gaps of lost
    /// heartbeats, and repeated or reordered numbers that are refused.
    #[test]
    fn numbered_sweep_equals_one_numbered_replay_per_threshold(
        arrivals in arrivals(),
        base in base(),
        steps in prop::collection::vec(prop_oneof![8 => Just(1i64), 2 => 2i64..5, 1 => -3i64..1], 400),
        thresholds in prop::collection::vec(0.05f64..20.0, 1..8),
        warmup in 0usize..20,
    ) {
        let mut seq = 100i64;
        let seqs: Vec<u64> = steps[..arrivals.len()]
            .iter()
            .map(|s| {
                seq += s;
                seq as u64
            })
            .collect();
        let split = arrivals.len();
        let swept = sweep_split_numbered(
            &arrivals, Some(&seqs), &base, &thresholds, warmup, split, &|_| {},
        )
        .unwrap();
        for (k, &th) in thresholds.iter().enumerate() {
            let config = base.to_builder().threshold(th).build().unwrap();
            let reference = score_numbered(&arrivals, Some(&seqs), &config, warmup);
            prop_assert_eq!(swept[k].fit, reference, "threshold {}", th);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    /// Arrivals out of order (a stale copy of an earlier arrival now and
    /// then) are skipped: the sweep and the replay both score the slice
    /// without them.
    #[test]
    fn arrivals_out_of_order_are_skipped_by_the_sweep_and_the_replay(
        arrivals in arrivals(),
        stale in prop::collection::vec((0usize..400, 1u64..5_000_000_000), 0..20),
        base in base(),
        thresholds in prop::collection::vec(0.05f64..20.0, 1..6),
    ) {
        let mut unsorted = arrivals.clone();
        for &(at, back) in &stale {
            let at = at.min(unsorted.len());
            let latest = unsorted[..at].iter().max().map_or(0, |t| t.as_nanos());
            if latest > back {
                unsorted.insert(at, Timestamp::from_nanos(latest - back));
            }
        }
        let kept: Vec<Timestamp> = unsorted
            .iter()
            .scan(0u64, |latest, t| {
                let keep = t.as_nanos() >= *latest;
                *latest = (*latest).max(t.as_nanos());
                Some(keep.then_some(*t))
            })
            .flatten()
            .collect();
        let swept = sweep(&unsorted, &base, &thresholds, 0).unwrap();
        for (k, &th) in thresholds.iter().enumerate() {
            let config = base.to_builder().threshold(th).build().unwrap();
            let expected = score(&kept, &config, 0);
            prop_assert_eq!(score(&unsorted, &config, 0), expected, "threshold {}", th);
            prop_assert_eq!(swept[k], expected, "sweep, threshold {}", th);
        }
    }
}

#[test]
fn sweep_handles_unsorted_and_repeated_thresholds() {
    let arrivals: Vec<Timestamp> = (0..2000u64)
        .map(|i| Timestamp::from_millis(i * 100 + if i % 97 == 0 { 350 } else { 0 }))
        .collect();
    let base = Config::for_interval(Duration::from_millis(100)).unwrap();
    let thresholds = [8.0, 1.0, 8.0, 0.5, 16.0];
    let swept = sweep(&arrivals, &base, &thresholds, 10).unwrap();
    for (k, &th) in thresholds.iter().enumerate() {
        let config = base.to_builder().threshold(th).build().unwrap();
        assert_eq!(swept[k], score(&arrivals, &config, 10), "threshold {th}");
    }
    // More mistakes at lower thresholds on the same trace.
    assert!(swept[3].mistakes >= swept[1].mistakes);
    assert!(swept[1].mistakes >= swept[0].mistakes);
    assert!(swept[0].mistakes >= swept[4].mistakes);
}

/// Two thresholds whose windows become identical by different routes, one
/// having just left an interval out and the other not, must not be merged:
/// under `Learning::SkipSuspected` the next late interval is learnt by the
/// first and declined by the second. A window of one interval makes equal
/// windows easy to reach; the sweep looks for identical groups every 64
/// arrivals, hence the 62 duplicates that bring the late interval to
/// arrival 64, where a sweep that merged the groups anyway would score
/// threshold 0.1 differently from its replay.
#[test]
fn groups_that_differ_only_in_the_skipped_flag_stay_apart() {
    let mut arrivals = vec![Timestamp::from_millis(5_000); 62];
    arrivals.extend([5_100, 5_200, 5_300, 5_500, 5_500].map(Timestamp::from_millis));
    let base = Config::builder()
        .learning(Learning::SkipSuspected)
        .bootstrap(Bootstrap::Growing)
        .model(Model::Normal)
        .max_sample_size(1)
        .acceptable_pause(Duration::ZERO)
        .min_std_deviation(Duration::from_millis(10))
        .first_heartbeat_estimate(Duration::from_millis(100))
        .build()
        .unwrap();
    let thresholds = [0.5, 0.1];
    let swept = sweep(&arrivals, &base, &thresholds, 0).unwrap();
    for (k, &th) in thresholds.iter().enumerate() {
        let config = base.to_builder().threshold(th).build().unwrap();
        assert_eq!(swept[k], score(&arrivals, &config, 0), "threshold {th}");
    }
}

/// `score` skips an arrival earlier than one before it, as the detector
/// refuses it: the result is that of the slice without it. Before this was
/// so, the gap to the stale arrival was scored as 0 (hiding the mistake of
/// the real gap) and the observed time ran backwards (about 0 mistakes per
/// hour, or an overflow in a debug build).
#[test]
fn arrivals_out_of_order_are_skipped_as_if_absent() {
    // A 100 ms heartbeat with a 2 s outage every 50 arrivals; during each
    // outage, a stale copy of an arrival from 1 s before it comes late.
    let mut unsorted = Vec::new();
    let mut kept = Vec::new();
    let mut t = 1_000u64;
    for i in 0..500u64 {
        if i % 50 == 49 {
            unsorted.push(Timestamp::from_millis(t - 1_000));
            t += 2_000;
        } else {
            t += 100;
        }
        unsorted.push(Timestamp::from_millis(t));
        kept.push(Timestamp::from_millis(t));
    }
    let base = Config::for_interval(Duration::from_millis(100)).unwrap();
    let thresholds = [1.0, 8.0];
    let swept = sweep(&unsorted, &base, &thresholds, 0).unwrap();
    for (k, &th) in thresholds.iter().enumerate() {
        let config = base.to_builder().threshold(th).build().unwrap();
        let expected = score(&kept, &config, 0);
        // Each of the ten 2 s outages is a mistake at either threshold: the
        // deadlines of a 100 ms heartbeat stay below 0.5 s.
        assert_eq!(expected.mistakes, 10, "threshold {th}: {expected:?}");
        assert_eq!(score(&unsorted, &config, 0), expected, "threshold {th}");
        assert_eq!(swept[k], expected, "sweep, threshold {th}");
    }
}
