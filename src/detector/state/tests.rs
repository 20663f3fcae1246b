//! The state's heartbeat path against the exact rule: the sure horizon never
//! passes the exact deadline, stays close to it, and arrivals either side of
//! it decide as the exact availability test does.

use super::*;
use crate::config::{Config, Learning, Period};
use crate::detector::horizon::HORIZON_MAX_NS;
use crate::model::Model;
use crate::window::MAX_SAMPLE_SIZE;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The `i`-th of the eight combinations of the engine's rules, so that a
/// test cycling through its cases draws each combination in turn without
/// multiplying its cases by eight.
fn rules(i: usize) -> (Learning, Period, Bootstrap) {
    (
        [Learning::SkipSuspected, Learning::All][i % 2],
        [Period::Estimated, Period::Fixed][i / 2 % 2],
        [Bootstrap::Seeds, Bootstrap::Growing][i / 4 % 2],
    )
}

/// The sure horizon never reaches the exact deadline, and stays close to
/// what its construction promises (so that the heartbeat path is the
/// common one), for every model, window sizes 1 to 1000, regular and
/// irregular intervals (outliers leaving the window included), and
/// thresholds down to ones whose standardised value is negative.
///
/// While the window fills, and always for windows under 64 samples, the
/// horizon is the exact deadline less the margins: within 10 ns. Once a
/// larger window is full, the horizon is
/// the bound of [`QuickBound::refresh`], recomputed here in floating
/// point from the samples themselves: the exact mean, plus the pause,
/// plus `y*·max(σ_R, min σ)` with σ_R² = SSD(R)/n over the samples R
/// that were not among the `K` oldest at the refresh (normal, Akka), or
/// the pause plus `y*·mean` (exponential).
#[test]
#[cfg_attr(miri, ignore)]
fn the_horizon_is_below_the_deadline_and_close_to_it() {
    let mut rng = StdRng::seed_from_u64(0x9E37_79B9_7F4A_7C15);
    let mut next = move |m: u64| rng.next_u64() % m;
    let mut amortized_checks = 0u64;
    let mut case = 0;
    for model in Model::ALL {
        for window in [1, 2, 3, 8, 10, 64, 1000] {
            for threshold in [0.01, 0.3, 1.0, 8.0, 40.0] {
                for (pause, min_std) in [(0, 1), (3_000_000_000, 100_000_000), (0, 1_000)] {
                    let (learning, period, bootstrap) = rules(case);
                    case += 1;
                    let config = Config::builder()
                        .learning(learning)
                        .period(period)
                        .bootstrap(bootstrap)
                        .model(model)
                        .max_sample_size(window)
                        .threshold(threshold)
                        .acceptable_pause(Duration::from_nanos(pause))
                        .min_std_deviation(Duration::from_nanos(min_std))
                        .first_heartbeat_estimate(Duration::from_millis(100))
                        .build()
                        .unwrap();
                    let params = Params::new(config);
                    let y = params.y_threshold;
                    let budget_len = params.quick.budget_len;
                    let mut state = State::new(&params);
                    let mut t = 1_000_000u64;
                    // The samples that stay in every window until the
                    // next refresh (R), in µs.
                    let mut retained: Vec<f64> = Vec::new();
                    for i in 0..1_500u64 {
                        // Regular, jittery, sub-microsecond and long gaps.
                        t += match i % 7 {
                            0 => 100_000_000,
                            1 => 90_000_000 + next(20_000_000),
                            2 => next(2_000),
                            3 => next(400_000_000),
                            _ => 100_000_000 + next(1_000),
                        };
                        let arrival = state.heartbeat(&params, Timestamp::from_nanos(t));
                        let horizon = state.cache.horizon();
                        let fit = state.fit(&params);
                        let exact = state.elapsed_at(&params, &fit, params.y_threshold);
                        assert!(
                            horizon <= exact,
                            "{model} w{window} phi {threshold}: {horizon} > {exact}"
                        );
                        // Models with a history have no bound from the
                        // sums (horizon 0): only the cached deadline.
                        // After an arrival that was not learnt the
                        // horizon is the exact deadline its test cached.
                        if state.history().is_some()
                            || y < 0.0
                            || exact >= HORIZON_MAX_NS
                            || !arrival.unwrap().is_recorded()
                        {
                            continue;
                        }
                        let samples: Vec<f64> = state.window.iter().map(f64::from).collect();
                        let refreshed = state.budget == 0;
                        if state.budget == budget_len && model != Model::Exponential {
                            retained = samples[budget_len as usize..].to_vec();
                        }
                        let reference = if refreshed {
                            exact as f64
                        } else {
                            let n = samples.len() as f64;
                            let mean_ns = samples.iter().sum::<f64>() / n * 1e3;
                            let spread = if model == Model::Exponential {
                                y * mean_ns
                            } else {
                                let m = retained.len() as f64;
                                let mean_r = retained.iter().sum::<f64>() / m.max(1.0);
                                let ssd: f64 = retained.iter().map(|x| (x - mean_r).powi(2)).sum();
                                let sigma_ns = (ssd / n).sqrt() * 1e3;
                                mean_ns + y * sigma_ns.max(min_std as f64)
                            };
                            amortized_checks += 1;
                            pause as f64 + spread
                        };
                        // The margins (10 ns), and the base's `f32`
                        // rounding down: 2^-21 of it at most.
                        let slack = reference - horizon as f64;
                        assert!(
                            slack <= 10.0 + 4.8e-7 * reference,
                            "{model} w{window} phi {threshold} #{i}: slack {slack} of {reference} \
                             (budget {})",
                            state.budget
                        );
                    }
                }
            }
        }
    }
    // The amortised horizon was checked, not only the refreshed one.
    assert!(amortized_checks > 10_000, "{amortized_checks}");
}

/// The amortised horizon stays sure when the spread collapses: a window
/// whose only spread comes from outliers about to be evicted. Each
/// eviction cuts σ sharply, and the horizon must follow before the
/// next arrival is judged.
#[test]
fn the_horizon_follows_a_collapsing_spread() {
    for model in [Model::Normal, Model::Akka] {
        let config = Config::builder()
            .model(model)
            .max_sample_size(16)
            .acceptable_pause(Duration::ZERO)
            .min_std_deviation(Duration::from_nanos(1))
            .first_heartbeat_estimate(Duration::from_millis(100))
            .build()
            .unwrap();
        let params = Params::new(config);
        let mut state = State::new(&params);
        let mut t = 0u64;
        let mut deadlines = Vec::new();
        // Outliers first (1 ms and 1 s), then a perfectly regular 100 ms.
        let gaps = (0..8u64)
            .map(|i| if i % 2 == 0 { 1_000_000 } else { 1_000_000_000 })
            .chain(std::iter::repeat_n(100_000_000, 40));
        for (i, gap) in gaps.enumerate() {
            t += gap;
            state.heartbeat(&params, Timestamp::from_nanos(t)).unwrap();
            let horizon = state.cache.horizon();
            let exact = state.deadline_ns(&params);
            assert!(horizon <= exact, "{model} #{i}: {horizon} > {exact}");
            deadlines.push(exact);
        }
        // The scenario does what it says: the deadline falls from over
        // three intervals to a hair above one (the 1 s gaps come after
        // a suspicion, so only every other one is learnt).
        assert!(deadlines[10] > 300_000_000, "{:?}", deadlines);
        assert!(*deadlines.last().unwrap() < 100_001_000, "{:?}", deadlines);
    }
}

/// Arrivals one nanosecond either side of the horizon take different
/// paths (one comparison, or the exact test) and must both follow the
/// exact rule.
#[test]
fn arrivals_at_the_horizon_follow_the_exact_rule() {
    for (case, model) in Model::ALL.iter().copied().enumerate() {
        for (w, window) in [1, 2, 1000].into_iter().enumerate() {
            let (learning, period, bootstrap) = rules(case * 3 + w);
            let config = Config::builder()
                .learning(learning)
                .period(period)
                .bootstrap(bootstrap)
                .model(model)
                .max_sample_size(window)
                .acceptable_pause(Duration::ZERO)
                .min_std_deviation(Duration::from_millis(1))
                // A fixed period is the mean of the gaps below (106 ms):
                // with a wrong one Chen's expected arrival drifts before
                // the last arrival and the deadline is 0, no horizon to test.
                .first_heartbeat_estimate(Duration::from_millis(match period {
                    Period::Fixed => 106,
                    _ => 100,
                }))
                .build()
                .unwrap();
            let params = Params::new(config);
            let mut state = State::new(&params);
            let mut t = 0;
            for i in 0..50u64 {
                t += 100_000_000 + (i % 5) * 3_000_000;
                state.heartbeat(&params, Timestamp::from_nanos(t)).unwrap();
            }
            let horizon = state.cache.horizon();
            let deadline = state.deadline_ns(&params);
            assert!(horizon <= deadline, "{model} w{window}");
            // Models with a history have no sure horizon: the fast path
            // then runs on the exact deadline a query cached, and must
            // keep the history in step (checked against `state` below).
            let horizon = if state.history().is_some() {
                // 0, or the exact deadline the last arrival's own
                // exact test cached.
                assert!(horizon == 0 || horizon == deadline, "{model} w{window}");
                deadline
            } else {
                assert!(horizon > 0, "{model} w{window}");
                horizon
            };
            for elapsed in [
                horizon - 1,
                horizon,
                horizon + 1,
                deadline - 1,
                deadline,
                deadline + 1,
            ] {
                let mut s = state.clone();
                // A clone has no horizon; give it the original's.
                s.cache.invalidate_to(horizon);
                let at = Timestamp::from_nanos(t + elapsed);
                let available = state.is_available(&params, at);
                let arrival = s.heartbeat(&params, at).unwrap();
                assert_eq!(
                    arrival.is_recorded(),
                    params.learns(available, state.skipped_last),
                    "{model} w{window} +{elapsed}"
                );
                assert_eq!(available, elapsed < deadline);
                // The same arrival on the exact path leaves the same
                // state, history included.
                let mut r = state.clone();
                r.cache.invalidate_to(0);
                r.heartbeat(&params, at).unwrap();
                assert!(r == s, "{model} w{window} +{elapsed}");
                let later = Timestamp::from_nanos(t + elapsed + 60_000_000);
                assert_eq!(
                    r.phi(&params, later).to_bits(),
                    s.phi(&params, later).to_bits(),
                    "{model} w{window} +{elapsed}"
                );
            }
        }
    }
}

/// Intervals at the 71.6-minute storage limit: the horizon is capped
/// there, the heartbeat path stores the largest value, and longer
/// intervals saturate on the exact path.
#[test]
fn intervals_at_the_storage_limit() {
    let config = Config::builder().threshold(1e12).build().unwrap();
    let params = Params::new(config);
    let mut state = State::new(&params);
    state.heartbeat(&params, Timestamp::ZERO).unwrap();
    assert_eq!(state.cache.horizon(), HORIZON_MAX_NS);
    let mut t = 0;
    for (elapsed, stored) in [
        (HORIZON_MAX_NS - 1, u32::MAX),
        (HORIZON_MAX_NS - 1_000, u32::MAX - 1),
        (HORIZON_MAX_NS, u32::MAX),
        (HORIZON_MAX_NS + 1, u32::MAX),
        (7_200_000_000_000, u32::MAX),
    ] {
        t += elapsed;
        let arrival = state.heartbeat(&params, Timestamp::from_nanos(t)).unwrap();
        assert!(arrival.is_recorded(), "{elapsed}");
        assert_eq!(state.window.iter().last(), Some(stored), "{elapsed}");
    }
    let samples: Vec<u32> = state.window.iter().collect();
    let sum: u64 = samples.iter().map(|&x| u64::from(x)).sum();
    assert_eq!(state.window.sum_micros(), sum);
}

/// The largest window: the horizon of a window that is far from full
/// (the unit is divided, not precomputed) still decides like the exact
/// rule.
#[test]
fn largest_window_decides_like_the_exact_rule() {
    let config = Config::builder()
        .max_sample_size(MAX_SAMPLE_SIZE)
        .acceptable_pause(Duration::ZERO)
        .min_std_deviation(Duration::from_millis(1))
        .build()
        .unwrap();
    let params = Params::new(config);
    let mut state = State::new(&params);
    let mut t = 0;
    state.heartbeat(&params, Timestamp::from_nanos(t)).unwrap();
    for i in 0..2_000u64 {
        // Mostly about 1 s, with a long silence now and then.
        let gap = if i % 97 == 96 {
            20_000
        } else {
            1_000 + i * 7_919 % 200
        };
        t += gap * 1_000_000;
        // The exact deadline, without caching it (it would become the
        // horizon and hide the heartbeat path).
        let deadline = state.fit(&params).elapsed_at(params.y_threshold);
        assert!(state.cache.horizon() <= deadline);
        let arrival = state.heartbeat(&params, Timestamp::from_nanos(t)).unwrap();
        assert_eq!(arrival.is_recorded(), gap * 1_000_000 < deadline, "{i}");
    }
    assert_eq!(state.window.capacity(), MAX_SAMPLE_SIZE);
    assert!(state.window.len() > 1_900);
}
