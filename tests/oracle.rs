//! The engine against a plain detector written for reading
//! (`tests/oracle/plain.rs`: Akka's algorithm, O(window), recomputed in `f64`
//! at every query), for the models it covers: normal, Akka, exponential,
//! Chen and deadline. Over random configurations (windows of 1 to 200 samples,
//! thresholds, pauses, floors and first estimates over many magnitudes) and
//! arrival sequences (jitter, late and lost heartbeats, gaps of up to 70
//! minutes, sub-microsecond gaps, duplicates, out-of-order arrivals), after
//! every heartbeat:
//!
//! * the `Arrival` (first, recorded, skipped after a suspicion, recorded
//!   after a suspicion, duplicate) is the oracle's, with the same interval
//!   and warning, and the window's statistics agree;
//! * `phi` agrees at several query times, within the tolerance below;
//! * `is_available` agrees with "oracle phi < threshold";
//! * `suspicion_deadline` is where the oracle's phi crosses the threshold.
//!
//! # Tolerance
//!
//! Both sides store the same whole microseconds (the oracle rounds
//! explicitly, as the engine documents), so they differ only by `f64`
//! rounding, of two kinds:
//!
//! * In the standardised silence y = (t − location) / scale. The location
//!   (mean + pause, or Chen's expected arrival + pause) and the scale are
//!   rounded differently on each side: the engine works from exact integer
//!   sums, the oracle from an `f64` sum and a corrected two-pass variance
//!   (relative error about n·2⁻⁵³ ≈ 2e-14 for n ≤ 200), Chen's sums cancel
//!   down to an absolute error near Σx·n·2⁻⁵³. A relative error in y is not
//!   a relative error in phi (in the normal left tail phi's relative slope
//!   grows like |y|), so it is allowed for as a *time slack*: the engine's
//!   phi at silence t must lie between the oracle's at t − δ and t + δ, with
//!   δ = [`SLACK`] · (t + pause + Σx + max(σ, min σ)), 50 times the worst
//!   case above.
//! * In the phi function, relative [`rho`]: 1e-9 for the normal model, the
//!   crate's requirement for its tail (`src/model/normal_tail.rs` measures
//!   4.0e-16 against a 50-digit reference; the oracle's `statrs` erfc adds
//!   about 1e-13 through its e^(−z²)), 1e-12 for Akka's logistic, the
//!   crate's requirement (`src/model/akka.rs`: 2.7e-16 for the evaluation,
//!   the rest is the rounding of u, which the slack covers), and 1e-12 for
//!   the exponential, Chen and deadline formulas, which are a subtraction
//!   and a division. Plus an absolute 1e-300, for subnormal phi, where both sides
//!   are only absolutely accurate.
//!
//! The normal model's phi is compared only for |z| ≤ 37 (oracle phi between
//! 1e-299 and 299), where `statrs`'s erfc is in the normal range of `f64`;
//! availability, recording and deadlines are compared everywhere, since
//! beyond that range the oracle's 0 or ∞ still orders correctly against any
//! threshold. When the threshold falls inside the tolerance band at a
//! query or an arrival, the two may legitimately disagree by a rounding, so
//! that comparison is skipped and, at an arrival, the oracle follows the
//! engine's decision so that both keep the same window.

// In `tests/oracle/`, so that cargo does not build it as a test of its own.
#[path = "oracle/plain.rs"]
mod plain;

use accrual::{
    ArrivalKind, Bootstrap, Config, Detector, HeartbeatError, Learning, Model, Period, Timestamp,
};
use plain::Plain;
use proptest::prelude::*;
use std::time::Duration;

/// Relative time slack for the rounding of location and scale (see above).
const SLACK: f64 = 1e-12;

/// Relative tolerance of each model's phi function (see above).
fn rho(model: Model) -> f64 {
    match model {
        Model::Normal => 1e-9,
        _ => 1e-12,
    }
}

/// The band the engine's phi after `silence_ns` must fall in.
fn band(oracle: &Plain, silence_ns: u64) -> (f64, f64) {
    let config = oracle.config();
    let (n, mean, std) = oracle.stats();
    let (n, t) = (n as f64, silence_ns as f64);
    let pause = config.acceptable_pause().as_nanos() as f64;
    let min_std = config.min_std_deviation().as_nanos() as f64;
    let delta = SLACK * (t + pause + n * mean + std.max(min_std));
    let rho = rho(config.model());
    let lo = oracle.phi_after(t - delta) * (1.0 - rho) - 1e-300;
    let hi = oracle.phi_after(t + delta) * (1.0 + rho) + 1e-300;
    (lo, hi)
}

/// Where the oracle puts a silence against a threshold.
#[derive(Debug, PartialEq)]
enum Side {
    Below,
    AtOrAbove,
    /// Within the tolerance band: either answer is right.
    TooClose,
}

fn side(oracle: &Plain, silence_ns: u64, threshold: f64) -> Side {
    let (lo, hi) = band(oracle, silence_ns);
    if hi < threshold {
        Side::Below
    } else if lo >= threshold {
        Side::AtOrAbove
    } else {
        Side::TooClose
    }
}

/// One step of an arrival sequence, in units of the peer's rhythm where
/// that makes sense.
#[derive(Clone, Debug)]
enum Step {
    /// An on-time heartbeat: the rhythm times a factor near 1.
    Jitter(f64),
    /// A late or lost heartbeat: the rhythm times 1.5 to 20.
    Late(f64),
    /// A gap of a second to 70 minutes (or to two hours: longer than the
    /// 71.6 minutes a window sample holds, see [`LONGEST_GAP_NS`]).
    Long(u64),
    /// Nanoseconds: 0 (a duplicate delivery) or up to 2 µs (stored as 0, 1
    /// or 2 µs).
    Tiny(u64),
    /// An arrival earlier than the last one by this many nanoseconds.
    Back(u64),
}

/// The longest gap the main tests draw: 70 minutes, just below the 71.6
/// minutes a window sample holds. Longer silences, which the window stores
/// as its largest sample, are drawn by
/// `silences_past_the_largest_sample_match_the_plain_detector`.
const LONGEST_GAP_NS: u64 = 70 * 60 * 1_000_000_000;

fn steps(longest_gap_ns: u64) -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        prop_oneof![
            8 => (0.7f64..1.3).prop_map(Step::Jitter),
            3 => (1.5f64..20.0).prop_map(Step::Late),
            1 => (1_000_000_000u64..longest_gap_ns).prop_map(Step::Long),
            1 => prop_oneof![Just(0u64), 1u64..2_000].prop_map(Step::Tiny),
            1 => (1u64..u64::MAX).prop_map(Step::Back),
        ],
        1..150,
    )
}

/// 10^x for x drawn uniformly from `range`: values spread over magnitudes.
fn log_uniform(range: std::ops::Range<f64>) -> impl Strategy<Value = f64> {
    range.prop_map(|x| 10f64.powf(x))
}

/// A random valid configuration for `model`, with the peer's real rhythm
/// (which may be a quarter to four times the configured estimate), in ns.
fn config(model: Model) -> impl Strategy<Value = (Config, f64)> {
    // Phi thresholds from 0.05 to 30; Chen's is a margin in ms, 0.01 ms to 5 s.
    let threshold = if model == Model::Chen {
        -2.0..3.7
    } else {
        -1.3..1.48
    };
    (
        1usize..=200,
        log_uniform(threshold),
        log_uniform(0.0..9.3),                          // min σ: 1 ns to 2 s
        prop_oneof![Just(0.0), log_uniform(3.0..10.0)], // pause: 0, 1 µs to 10 s
        log_uniform(3.0..9.7),                          // estimate: 1 µs to 5 s
        log_uniform(-0.6..0.6),                         // rhythm / estimate
        (
            prop::sample::select(Learning::ALL.to_vec()),
            prop::sample::select(Period::ALL.to_vec()),
            prop::sample::select(Bootstrap::ALL.to_vec()),
        ),
    )
        .prop_map(
            move |(samples, threshold, min_std, pause, estimate, rhythm, rules)| {
                let (learning, period, bootstrap) = rules;
                let config = Config::builder()
                    .learning(learning)
                    .period(period)
                    .bootstrap(bootstrap)
                    .model(model)
                    .threshold(threshold)
                    .max_sample_size(samples)
                    .min_std_deviation(Duration::from_nanos(min_std as u64))
                    .acceptable_pause(Duration::from_nanos(pause as u64))
                    .first_heartbeat_estimate(Duration::from_nanos(estimate as u64))
                    .build()
                    .expect("the strategy yields valid configurations");
                (config, estimate * rhythm)
            },
        )
}

/// Feeds `steps` to the engine and the oracle from `start`, comparing them
/// after every heartbeat at the query times `fractions` of the deadline and
/// a few fixed ones.
fn compare(
    (config, rhythm): (Config, f64),
    start: u64,
    steps: &[Step],
    fractions: &[f64],
) -> Result<(), TestCaseError> {
    let threshold = config.threshold();
    let mut engine = Detector::new(config.clone());
    let mut oracle = Plain::new(config.clone());

    // Before the first heartbeat: phi 0, available, no deadline.
    prop_assert_eq!(engine.phi(Timestamp::from_nanos(start)), 0.0);
    prop_assert!(engine.is_available(Timestamp::from_nanos(start)));
    prop_assert_eq!(engine.suspicion_deadline(), None);

    let first = engine.heartbeat(Timestamp::from_nanos(start)).unwrap();
    prop_assert_eq!(Ok(first.kind()), oracle.heartbeat(start, true));
    check_queries(&engine, &oracle, fractions)?;

    for step in steps {
        let last = oracle
            .last_ns()
            .expect("monitoring since the first heartbeat");
        let at = match *step {
            Step::Jitter(f) | Step::Late(f) => last + (rhythm * f) as u64,
            Step::Long(gap) | Step::Tiny(gap) => last + gap,
            Step::Back(back) => last - back.min(last),
        };
        if at < last {
            let before = engine.clone();
            let err = engine.heartbeat(Timestamp::from_nanos(at)).unwrap_err();
            let out_of_order = HeartbeatError::OutOfOrder {
                last: Timestamp::from_nanos(last),
                at: Timestamp::from_nanos(at),
            };
            prop_assert_eq!(err, out_of_order);
            prop_assert_eq!(&engine, &before, "a rejected heartbeat changes nothing");
            prop_assert_eq!(oracle.heartbeat(at, true), Err(()));
            continue;
        }
        let judged = side(&oracle, at - last, threshold);
        let arrival = engine.heartbeat(Timestamp::from_nanos(at)).unwrap();
        let available = match judged {
            Side::Below => true,
            Side::AtOrAbove => false,
            // Within rounding of the threshold: take the engine's decision,
            // so that both keep learning the same window.
            Side::TooClose => arrival.kind() == ArrivalKind::Recorded,
        };
        let expected = oracle.heartbeat(at, available).unwrap();
        prop_assert_eq!(
            arrival.kind(),
            expected,
            "{:?} at silence {} ns ({:?})",
            step,
            at - last,
            judged
        );
        if at > last {
            prop_assert_eq!(arrival.interval(), Some(Duration::from_nanos(at - last)));
        }
        let recorded = matches!(
            expected,
            ArrivalKind::Recorded | ArrivalKind::RecordedAfterSuspicion
        );
        let warning = recorded
            && config
                .interval_warning_limit()
                .is_some_and(|l| l <= Duration::from_nanos(at - last));
        prop_assert_eq!(arrival.is_warning(), warning);
        check_queries(&engine, &oracle, fractions)?;
    }
    Ok(())
}

/// Compares the window's statistics, then phi, availability and the
/// deadline at the query times.
fn check_queries(
    engine: &Detector,
    oracle: &Plain,
    fractions: &[f64],
) -> Result<(), TestCaseError> {
    let threshold = engine.config().threshold();
    let model = engine.config().model();
    let last = oracle.last_ns().unwrap();
    prop_assert_eq!(engine.last_heartbeat(), Some(Timestamp::from_nanos(last)));

    // The engine reports its statistics rounded to the nanosecond.
    let (samples, mean, std) = oracle.stats();
    let stats = engine.stats();
    prop_assert_eq!(stats.samples, samples);
    let close =
        |got: Duration, want: f64| (got.as_nanos() as f64 - want).abs() <= 1.0 + 1e-12 * want;
    prop_assert!(
        close(stats.mean, mean),
        "mean {:?}, oracle {} ns",
        stats.mean,
        mean
    );
    prop_assert!(
        close(stats.std_deviation, std),
        "σ {:?}, oracle {} ns",
        stats.std_deviation,
        std
    );

    // Before the last heartbeat: phi 0 and available.
    if last > 0 {
        let before = Timestamp::from_nanos(last - 1);
        prop_assert_eq!(engine.phi(before), 0.0);
        prop_assert!(engine.is_available(before));
    }

    // The deadline: the oracle's phi reaches the threshold there and not a
    // nanosecond earlier (each within the band).
    let deadline = engine.suspicion_deadline().unwrap();
    prop_assert!(deadline.as_nanos() >= last);
    let reach = deadline.as_nanos() - last;
    if deadline == Timestamp::MAX {
        prop_assert_ne!(
            side(oracle, reach, threshold),
            Side::AtOrAbove,
            "never, though the oracle reaches it"
        );
    } else {
        prop_assert_ne!(
            side(oracle, reach, threshold),
            Side::Below,
            "deadline {} ns too early",
            reach
        );
        if reach > 0 {
            prop_assert_ne!(
                side(oracle, reach - 1, threshold),
                Side::AtOrAbove,
                "deadline {} ns too late",
                reach
            );
        }
    }

    let mut silences = vec![0, reach.saturating_sub(1), reach, 1_000_000_000_000_000];
    silences.extend(
        fractions
            .iter()
            .map(|f| (reach.min(1 << 50) as f64 * f) as u64),
    );
    for silence in silences {
        let Some(now) = last.checked_add(silence) else {
            continue;
        };
        let now = Timestamp::from_nanos(now);
        let (lo, hi) = band(oracle, silence);
        let phi = engine.phi(now);
        // |z| ≤ 37 for the normal model: where the oracle's erfc is accurate.
        if model != Model::Normal || (lo >= 1e-299 && hi <= 299.0) {
            prop_assert!(
                lo <= phi && phi <= hi,
                "phi {} after {} ns, oracle {}..{}",
                phi,
                silence,
                lo,
                hi
            );
        }
        match side(oracle, silence, threshold) {
            Side::Below => prop_assert!(engine.is_available(now), "suspected after {} ns", silence),
            Side::AtOrAbove => {
                prop_assert!(!engine.is_available(now), "available after {} ns", silence)
            }
            Side::TooClose => {}
        }
    }
    Ok(())
}

fn case(
    model: Model,
    longest_gap_ns: u64,
) -> impl Strategy<Value = ((Config, f64), u64, Vec<Step>, Vec<f64>)> {
    (
        config(model),
        1u64..1 << 62,
        steps(longest_gap_ns),
        prop::collection::vec(0.0f64..2.0, 3),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn normal_matches_the_plain_detector((config, start, steps, fractions) in case(Model::Normal, LONGEST_GAP_NS)) {
        compare(config, start, &steps, &fractions)?;
    }

    #[test]
    fn akka_matches_the_plain_detector((config, start, steps, fractions) in case(Model::Akka, LONGEST_GAP_NS)) {
        compare(config, start, &steps, &fractions)?;
    }

    #[test]
    fn exponential_matches_the_plain_detector((config, start, steps, fractions) in case(Model::Exponential, LONGEST_GAP_NS)) {
        compare(config, start, &steps, &fractions)?;
    }

    #[test]
    fn chen_matches_the_plain_detector((config, start, steps, fractions) in case(Model::Chen, LONGEST_GAP_NS)) {
        compare(config, start, &steps, &fractions)?;
    }

    #[test]
    fn deadline_matches_the_plain_detector((config, start, steps, fractions) in case(Model::Deadline, LONGEST_GAP_NS)) {
        compare(config, start, &steps, &fractions)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// The five models with gaps up to two hours, longer than a window
    /// sample holds.
    #[test]
    fn silences_past_the_largest_sample_match_the_plain_detector(
        (config, start, steps, fractions) in prop::sample::select(vec![Model::Normal, Model::Akka, Model::Exponential, Model::Chen, Model::Deadline])
            .prop_flat_map(|model| case(model, 2 * 60 * 60 * 1_000_000_000))
    ) {
        compare(config, start, &steps, &fractions)?;
    }
}

/// A silence longer than a window sample holds (4 294 967 295 µs, 71.6
/// minutes) is stored as that largest sample, also when a query has cached
/// a deadline beyond it. A heartbeat path that took any silence below the
/// cached deadline for a storable one would keep two hours as
/// 7 200 000 000 mod 2^32 = 2 905 032 704 µs (48 minutes).
#[test]
fn a_silence_past_the_largest_sample_saturates_after_a_query() {
    // Default settings but a three-hour pause, so the deadline lies beyond
    // the 71.6 minutes.
    let config = Config::builder()
        .acceptable_pause(Duration::from_secs(3 * 60 * 60))
        .build()
        .unwrap();
    let mut engine = Detector::new(config.clone());
    let mut oracle = Plain::new(config);
    let seconds = |s: u64| s * 1_000_000_000;
    for at in [0, seconds(1), seconds(1 + 2 * 60 * 60)] {
        // The query caches the deadline, about three hours away.
        let deadline = engine.suspicion_deadline();
        assert!(deadline.is_none_or(|d| d.as_nanos() > at));
        let arrival = engine.heartbeat(Timestamp::from_nanos(at)).unwrap();
        assert_eq!(Ok(arrival.kind()), oracle.heartbeat(at, true));
    }
    // Seeds 750 and 1250 ms, then 1 s and the largest sample.
    let (samples, mean, _) = oracle.stats();
    assert_eq!(samples, 4);
    assert_eq!(
        mean,
        (750_000.0 + 1_250_000.0 + 1_000_000.0 + 4_294_967_295.0) / 4.0 * 1e3
    );
    assert_eq!(engine.stats().samples, 4);
    assert_eq!(
        engine.stats().mean,
        Duration::from_nanos(mean.round() as u64)
    );
}
