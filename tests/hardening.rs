//! The fuzz targets' invariants as property tests on stable: one detector
//! driven by any heartbeats and queries, and a monitor against one plain
//! detector per peer. The checks themselves live in `fuzz/src/check/`
//! (read their module docs for what is promised), shared with the fuzz
//! targets, so that `cargo test` and `cargo +nightly fuzz run` hold the
//! crate to one set of rules. Here the inputs come from proptest, in
//! ordinary ranges (every configuration `build` accepts, from nanosecond
//! to minute scales), and the inputs issue 14 reports run as regressions.
//! Snapshots: `tests/hardening_snapshot.rs`; traces and tuning:
//! `tests/hardening_tools.rs`.

#[path = "../fuzz/src/check/detector.rs"]
mod detector;
#[path = "../fuzz/src/check/monitor.rs"]
mod monitor;
#[path = "../fuzz/src/check/spec.rs"]
mod spec;

use proptest::prelude::*;
use spec::ConfigSpec;
use std::time::Duration;

/// Nanoseconds: sub-microsecond to `max`, mostly under two seconds.
fn nanos(max: u64) -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => 0u64..2_000_000_000,
        2 => 0..max,
    ]
}

/// A minute: the ordinary tests' longest interval, pause and σ floor.
const MINUTE: u64 = 60_000_000_000;

/// A year in nanoseconds: the ordinary tests' clocks start within a day,
/// the far ones up to decades out, with durations up to a year.
const DAY: u64 = 86_400_000_000_000;
const YEAR: u64 = 365 * DAY;

/// Knobs in ordinary ranges (durations up to `max` ns); most
/// configurations `build` accepts, some it refuses (the checks skip those).
fn config(max: u64) -> impl Strategy<Value = ConfigSpec> {
    let duration = move || nanos(max).prop_map(Duration::from_nanos);
    (
        (
            0usize..8,
            0.01f64..50.0,
            1usize..64,
            duration(),
            duration(),
            duration(),
        ),
        (
            0.05f64..2.0,
            1usize..8,
            0.0f64..4.0,
            0.0f64..8.0,
            0.01f64..1.0,
        ),
        (0usize..2, 0usize..2, 0usize..2),
    )
        .prop_map(|(a, b, c)| ConfigSpec {
            model: a.0,
            threshold: a.1,
            max_sample_size: a.2,
            min_std_deviation: a.3,
            acceptable_pause: a.4,
            first_heartbeat_estimate: a.5,
            interval_warning_fraction: b.0,
            short_window: b.1,
            bertier: [b.2, b.3, b.4],
            learning: c.0,
            period: c.1,
            bootstrap: c.2,
        })
}

fn at(max: u64) -> impl Strategy<Value = detector::At> {
    prop_oneof![
        3 => nanos(max).prop_map(detector::At::After),
        1 => nanos(max).prop_map(detector::At::Before),
    ]
}

/// Operations whose steps go up to `max` ns.
fn detector_op(max: u64) -> impl Strategy<Value = detector::Op> {
    use detector::Op;
    prop_oneof![
        6 => nanos(max).prop_map(Op::Heartbeat),
        1 => nanos(max).prop_map(Op::Late),
        1 => (nanos(max), 0u64..3).prop_map(|(after, step)| Op::Numbered { after, step }),
        2 => at(max).prop_map(Op::Phi),
        2 => at(max).prop_map(Op::IsAvailable),
        1 => Just(Op::Deadline),
        1 => (0.01f64..40.0).prop_map(Op::DeadlineFor),
        1 => Just(Op::Reset),
    ]
}

fn monitor_op() -> impl Strategy<Value = monitor::Op> {
    use monitor::Op;
    let peer = 0..monitor::PEERS;
    prop_oneof![
        6 => (peer.clone(), nanos(MINUTE)).prop_map(|(p, d)| Op::Beat(p, d)),
        1 => (peer.clone(), nanos(MINUTE)).prop_map(|(p, d)| Op::Late(p, d)),
        3 => (peer.clone(), nanos(MINUTE), 0u64..3)
            .prop_map(|(peer, after, step)| Op::Numbered { peer, after, step }),
        3 => nanos(MINUTE).prop_map(Op::Tick),
        1 => nanos(MINUTE).prop_map(Op::LateTick),
        1 => peer.clone().prop_map(Op::Watch),
        1 => peer.prop_map(Op::Remove),
        1 => Just(Op::Reset),
    ]
}

fn setup() -> impl Strategy<Value = monitor::Setup> {
    (
        config(MINUTE),
        prop::collection::vec(0.01f64..40.0, 1..4),
        nanos(MINUTE).prop_map(Duration::from_nanos),
        0u8..4,
        0..DAY,
    )
        .prop_map(
            |(config, thresholds, expected, shards_log2, start)| monitor::Setup {
                config,
                thresholds,
                expected_response_after: expected,
                shards_log2,
                start,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn detector_keeps_its_promises(
        spec in config(MINUTE),
        start in 0..DAY,
        ops in prop::collection::vec(detector_op(MINUTE), 0..60),
    ) {
        detector::check(&spec, start, &ops);
    }

    /// The same with durations up to a year on a clock up to decades from
    /// its origin, where nanosecond times outgrow the 53 bits of an `f64`.
    #[test]
    fn detector_keeps_its_promises_far_from_the_origin(
        spec in config(YEAR),
        start in 0..50 * YEAR,
        ops in prop::collection::vec(detector_op(YEAR), 0..60),
    ) {
        detector::check(&spec, start, &ops);
    }

    #[test]
    fn monitor_events_match_plain_detectors(
        setup in setup(),
        ops in prop::collection::vec(monitor_op(), 0..60),
    ) {
        monitor::check(&setup, &ops);
    }
}

/// Runs the detector regressions of issue 14's item `item`.
fn detector_item(item: u32) {
    let cases: Vec<_> = detector::regressions()
        .into_iter()
        .filter(|c| c.1 == item)
        .collect();
    assert!(!cases.is_empty(), "no detector regression for item {item}");
    for (name, _, spec, start, ops) in cases {
        eprintln!("{name}");
        detector::check(&spec, start, &ops);
    }
}

/// Runs the monitor regressions of issue 14's item `item`.
fn monitor_item(item: u32) {
    let cases: Vec<_> = monitor::regressions()
        .into_iter()
        .filter(|c| c.1 == item)
        .collect();
    assert!(!cases.is_empty(), "no monitor regression for item {item}");
    for (name, _, setup, ops) in cases {
        eprintln!("{name}");
        monitor::check(&setup, &ops);
    }
}

#[test]
fn detector_with_an_overflowing_configuration() {
    detector_item(1);
}

#[test]
fn a_query_does_not_change_what_a_late_heartbeat_teaches() {
    detector_item(2);
}

#[test]
fn detector_at_the_end_of_the_clock() {
    detector_item(8);
}

#[test]
fn monitor_with_an_overflowing_configuration() {
    monitor_item(1);
}

#[test]
fn monitor_at_the_end_of_the_clock() {
    monitor_item(8);
}
