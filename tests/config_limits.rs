//! A configuration that `build()` accepts never panics later: every
//! duration the detector and the monitor derive from it is checked when the
//! configuration is built, and a snapshot carrying a configuration that
//! would overflow is refused, never restored into a panic.
#![cfg(feature = "serde")]

use accrual::monitor::{Monitor, Snapshot};
use accrual::{Bootstrap, Config, ConfigError, Detector, Model, Timestamp};
use std::time::Duration;

/// A pause of about 3 170 years and a fraction of 10⁹ (the largest that
/// `interval_warning_limit` used to apply): the warning limit,
/// `pause × fraction`, is some 10²⁰ s, past `Duration::MAX` (about
/// 1.8 × 10¹⁹ s). `Detector::new` panicked on it.
fn overflowing() -> accrual::ConfigBuilder {
    Config::builder()
        .acceptable_pause(Duration::from_secs(100_000_000_000))
        .interval_warning_fraction(1e9)
}

#[test]
fn a_warning_limit_past_any_duration_is_refused_by_build() {
    let err = overflowing().build().unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::Overflow {
                field: "interval_warning_fraction",
                ..
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("interval_warning_fraction") && msg.contains("acceptable_pause"),
        "{msg}"
    );
    // The longest pause with a fraction above 1.
    let err = Config::builder()
        .acceptable_pause(Duration::MAX)
        .interval_warning_fraction(1.5)
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("interval_warning_fraction"),
        "{err}"
    );
    // The largest pause with a fraction below 1 is fine; with 1 itself,
    // `Duration::MAX` in f64 seconds rounds up to 2⁶⁴ s, just past it.
    let err = Config::builder()
        .acceptable_pause(Duration::MAX)
        .interval_warning_fraction(1.0)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("below 1e0"), "{err}");
    let edge = Config::builder()
        .acceptable_pause(Duration::MAX)
        .interval_warning_fraction(0.999)
        .build()
        .unwrap();
    assert!(edge.interval_warning_limit().is_some());
    Detector::new(edge);
}

/// The snapshot of the issue: about 400 bytes of JSON whose configuration
/// (the overflowing one above, written as numbers) passed every check and
/// then panicked in `Monitor::restore`.
const OVERFLOWING_SNAPSHOT: &str = r#"{"version":1,"config":{"model":"normal","threshold":8.0,"max_sample_size":1000,"min_std_deviation":{"secs":0,"nanos":100000000},"acceptable_pause":{"secs":100000000000,"nanos":0},"first_heartbeat_estimate":{"secs":1,"nanos":0},"interval_warning_fraction":1e9},"thresholds":[8.0],"expected_response_after":{"secs":1,"nanos":0},"pause_guard":null,"peers":[{"peer":"a","last":0,"samples":[1000000],"never_heard":false}]}"#;

#[test]
fn a_snapshot_carrying_an_overflowing_configuration_is_refused() {
    assert!(OVERFLOWING_SNAPSHOT.len() < 450);
    let err = match serde_json::from_str::<Snapshot<String>>(OVERFLOWING_SNAPSHOT) {
        Err(e) => e.to_string(),
        Ok(snapshot) => match Monitor::restore(snapshot, Timestamp::from_millis(10_000)) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("an overflowing configuration was restored"),
        },
    };
    assert!(err.contains("interval_warning_fraction"), "{err}");
}

/// Every combination of extreme durations and fractions, under every model
/// and both bootstraps: either `build()` names a field, or everything a
/// detector and a monitor do with the configuration, snapshot and restore
/// included, runs without a panic (overflow checks are on in tests).
#[test]
fn every_configuration_build_accepts_is_usable() {
    let durations = [
        Duration::from_nanos(1),
        Duration::from_secs(1),
        Duration::from_nanos(u64::MAX),
        Duration::MAX,
    ];
    let fractions = [1e-300, 2.0 / 3.0, 1.0, 2.0, 1e9, 1e300];
    let mut accepted = 0;
    for model in Model::ALL {
        for bootstrap in [Bootstrap::Seeds, Bootstrap::Growing] {
            for &pause in [Duration::ZERO].iter().chain(&durations) {
                for &fraction in &fractions {
                    for &estimate in &durations {
                        for &min_std in &[durations[0], durations[3]] {
                            let built = Config::builder()
                                .model(model)
                                .bootstrap(bootstrap)
                                .max_sample_size(4)
                                .acceptable_pause(pause)
                                .interval_warning_fraction(fraction)
                                .first_heartbeat_estimate(estimate)
                                .min_std_deviation(min_std)
                                .build();
                            let Ok(config) = built else { continue };
                            accepted += 1;
                            exercise(config);
                        }
                    }
                }
            }
        }
    }
    // Most of the grid is accepted: only a fraction of 1 or more with the
    // longest pause is refused (see the first test).
    assert!(accepted > 1500, "{accepted}");
}

fn exercise(config: Config) {
    let _ = config.interval_warning_limit();
    let mut detector = Detector::new(config.clone());
    for t in [0, 1, 1_000_000_000, u64::MAX / 2, u64::MAX] {
        let at = Timestamp::from_nanos(t);
        let _ = detector.heartbeat(at);
        let _ = detector.phi(at);
        let _ = detector.is_available(at);
        let _ = detector.suspicion_deadline();
    }
    let monitor = Monitor::<u8>::new(config);
    let _ = monitor.heartbeat(&1, Timestamp::from_nanos(5));
    let _ = monitor.heartbeat(&1, Timestamp::from_millis(5_000));
    monitor.watch(&2, Timestamp::from_millis(1_000));
    monitor.tick(Timestamp::from_millis(100_000));
    let json = serde_json::to_string(&monitor.snapshot(Timestamp::from_millis(100_000))).unwrap();
    let snapshot: Snapshot<u8> = serde_json::from_str(&json).unwrap();
    let restored = Monitor::restore(snapshot, Timestamp::from_millis(100_000)).unwrap();
    restored.tick(Timestamp::MAX);
    let _ = restored.phi(&1, Timestamp::MAX);
}
