//! Other systems' failure-detector settings carried over to `accrual`, each
//! mapping checked against the other system's own formula, computed here
//! independently of the crate, or against the numbers of its own tests.
//! The README's "Migrating from Akka, Pekko, Cassandra, Hazelcast,
//! chitchat" section lists the same mappings as tables.
//!
//! Sources (see also `shared/research/jvm-anchors.md` in the project
//! notes): Akka's `reference.conf` and `PhiAccrualFailureDetector.scala` /
//! `DeadlineFailureDetector.scala` (Pekko is numerically identical);
//! Cassandra's `gms/FailureDetector.java` and `ArrivalWindowTest`;
//! Hazelcast's `internal/cluster/fd` and `PhiAccrualFailureDetectorTest`;
//! chitchat's `failure_detector.rs`.

use accrual::{Config, Detector, Model, Timestamp};
use std::f64::consts::LN_10;
use std::time::Duration;

fn ms(t: u64) -> Timestamp {
    Timestamp::from_millis(t)
}

fn millis(t: u64) -> Duration {
    Duration::from_millis(t)
}

/// Silence from the last heartbeat to the suspicion deadline, in ns.
fn deadline_ns(d: &Detector) -> u64 {
    d.suspicion_deadline().unwrap().as_nanos() - d.last_heartbeat().unwrap().as_nanos()
}

/// Akka's phi, transcribed from `PhiAccrualFailureDetector.phi`: the
/// logistic approximation of the normal CDF, with the branch that avoids
/// computing 1 − F by cancellation. `mean` and `std` are the history's,
/// already shifted by the pause and floored by min σ, in ms.
fn akka_phi(time_diff_ms: f64, mean_ms: f64, std_ms: f64) -> f64 {
    let y = (time_diff_ms - mean_ms) / std_ms;
    let e = (-y * (1.5976 + 0.070566 * y * y)).exp();
    if time_diff_ms > mean_ms {
        -(e / (1.0 + e)).log10()
    } else {
        -(1.0 - 1.0 / (1.0 + e)).log10()
    }
}

/// `akka.cluster.failure-detector` as our configuration: each key is one
/// builder call, and `Model::Akka` is Akka's formula.
fn akka_cluster() -> Config {
    Config::builder()
        .model(Model::Akka)
        .threshold(8.0) // threshold = 8.0
        .max_sample_size(1000) // max-sample-size = 1000
        .min_std_deviation(millis(100)) // min-std-deviation = 100 ms
        .acceptable_pause(Duration::from_secs(3)) // acceptable-heartbeat-pause = 3 s
        .first_heartbeat_estimate(Duration::from_secs(1)) // heartbeat-interval = 1 s
        .build()
        .unwrap()
}

#[test]
fn akka_cluster_keys_are_our_defaults_with_akkas_model() {
    assert_eq!(
        akka_cluster(),
        Config::default()
            .to_builder()
            .model(Model::Akka)
            .build()
            .unwrap()
    );
}

#[test]
fn akka_phi_matches_akkas_formula_by_hand() {
    // One heartbeat: Akka's bootstrap history [750, 1250] ms (the heartbeat
    // interval ± a quarter), mean 1000, σ 250 (above the 100 ms floor);
    // μ' = mean + pause = 4000 ms.
    let mut d = Detector::new(akka_cluster());
    d.heartbeat(ms(10_000)).unwrap();
    // Both of Akka's branches: y = 4 (5 s of silence) and y = −1 (3.75 s).
    for (silence_ms, y) in [(5_000u64, 4.0), (3_750, -1.0)] {
        let want = akka_phi(silence_ms as f64, 4_000.0, 250.0);
        // The same number written out: e = exp(−y·(1.5976 + 0.070566·y²)).
        let e = (-y * (1.5976f64 + 0.070566 * y * y)).exp();
        let by_hand = if y > 0.0 {
            -(e / (1.0 + e)).log10()
        } else {
            -(1.0 - 1.0 / (1.0 + e)).log10()
        };
        assert_eq!(want, by_hand);
        let got = d.phi(ms(10_000 + silence_ms));
        assert!(
            (got - want).abs() <= 1e-12 * want,
            "silence {silence_ms} ms: ours {got}, Akka's {want}"
        );
    }
    // y = 4: e = exp(−10.906624) = 1.8325e-5, phi = 4.73669458...
    assert!((d.phi(ms(15_000)) - 4.736_694_582_705).abs() < 1e-9);
}

#[test]
fn akka_detection_times_match_the_jvm_to_the_millisecond() {
    // Akka works in whole ms: the first ms at which its phi reaches the
    // threshold. Derived from Akka's formula (jvm-anchors.md, section 1):
    // 5307 ms after a single heartbeat (σ 250 ms from the bootstrap),
    // 4523 ms on a steady 1 s link (σ floored at 100 ms), and 11580 ms for
    // akka.remote.watch-failure-detector (threshold 10, 200 samples,
    // pause 10 s).
    let first_ms_reaching = |d: &Detector| deadline_ns(d).div_ceil(1_000_000);
    let mut d = Detector::new(akka_cluster());
    d.heartbeat(ms(0)).unwrap();
    assert_eq!(first_ms_reaching(&d), 5_307);
    for i in 1..=1_001 {
        d.heartbeat(ms(i * 1_000)).unwrap();
    }
    assert_eq!(first_ms_reaching(&d), 4_523);
    let watch = akka_cluster()
        .to_builder()
        .threshold(10.0)
        .max_sample_size(200)
        .acceptable_pause(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut d = Detector::new(watch);
    for i in 0..=201 {
        d.heartbeat(ms(i * 1_000)).unwrap();
    }
    assert_eq!(first_ms_reaching(&d), 11_580);
}

#[test]
fn akkas_deadline_detector_is_the_deadline_model() {
    // DeadlineFailureDetector: isAvailable ⇔ last + (pause + interval) > now.
    let (interval, pause) = (Duration::from_secs(1), Duration::from_secs(3));
    let akka_available = |last: u64, now: u64| last + (pause + interval).as_nanos() as u64 > now;
    let mut d = Detector::new(Config::deadline(interval, pause).unwrap());
    let last = 7_000_000_123;
    d.heartbeat(Timestamp::from_nanos(last)).unwrap();
    for offset in [
        0,
        1,
        3_999_999_999,
        4_000_000_000,
        4_000_000_001,
        60_000_000_000,
    ] {
        let now = last + offset;
        assert_eq!(
            d.is_available(Timestamp::from_nanos(now)),
            akka_available(last, now),
            "{offset} ns after the heartbeat"
        );
    }
}

#[test]
// 0.4342 is copied from Cassandra's test (it is log10 e, phi one mean
// interval after the last heartbeat, to four places).
#[allow(clippy::approx_constant)]
fn cassandra_phi_is_the_exponential_model_exactly() {
    // Cassandra: phi = PHI_FACTOR · (now − tLast) / mean, PHI_FACTOR = 1/ln 10.
    const PHI_FACTOR: f64 = 1.0 / LN_10;
    let cassandra_phi = |silence_ms: f64, mean_ms: f64| PHI_FACTOR * silence_ms / mean_ms;
    // ArrivalWindowTest: a window of 4, reports at 111, 222, 333, 444 and
    // 555 ms; the raw t/mean is 1.0 at 666 ms and 22.03 at 3000 ms, the
    // scaled phi (the test's older version) 0.4342 and 9.566.
    let config = Config::cassandra(8.0)
        .unwrap()
        .to_builder()
        .max_sample_size(4)
        .build()
        .unwrap();
    let mut d = Detector::new(config);
    for t in [111, 222, 333, 444, 555] {
        d.heartbeat(ms(t)).unwrap();
    }
    for (at, scaled) in [(666u64, 0.4342), (3_000, 9.566)] {
        let want = cassandra_phi((at - 555) as f64, 111.0);
        let got = d.phi(ms(at));
        assert!((got - want).abs() <= 1e-12 * want, "{at}: {got} vs {want}");
        assert!(
            (got - scaled).abs() < 1e-3,
            "{at}: {got} vs the test's {scaled}"
        );
    }
    // Convicted once PHI_FACTOR · t / mean passes 8: t = 8 · ln 10 · 111 ms
    // = 2044.6956 ms.
    let want = 8.0 * LN_10 * 111e6;
    assert!(
        (deadline_ns(&d) as f64 - want).abs() <= 1.0,
        "{}",
        deadline_ns(&d)
    );
}

#[test]
fn cassandra_first_interval_convicts_after_36_8_seconds() {
    // fd_initial_value_ms = 2 × the 1 s gossip interval: with only that
    // interval known, 8 · ln 10 · 2 s = 36.84 s (jvm-anchors.md, section 1).
    let mut d = Detector::new(Config::cassandra(8.0).unwrap());
    d.heartbeat(ms(0)).unwrap();
    let want = 8.0 * LN_10 * 2e9;
    assert!((deadline_ns(&d) as f64 - want).abs() <= 1.0);
    assert_eq!(deadline_ns(&d).div_ceil(1_000_000), 36_842);
}

/// `hazelcast.heartbeat.phiaccrual.failuredetector.*` with
/// `hazelcast.heartbeat.failuredetector.type = phi-accrual`: Akka's port.
fn hazelcast_phi() -> Config {
    Config::builder()
        .model(Model::Akka)
        .threshold(10.0) // ….threshold = 10
        .max_sample_size(200) // ….sample.size = 200
        .min_std_deviation(millis(100)) // ….min.std.dev.millis = 100
        .acceptable_pause(Duration::from_secs(60)) // hazelcast.max.no.heartbeat.seconds = 60
        .first_heartbeat_estimate(Duration::from_secs(5)) // hazelcast.heartbeat.interval.seconds = 5
        .build()
        .unwrap()
}

#[test]
fn hazelcast_phi_keys_map_to_akkas_model() {
    // Steady 5 s heartbeats, σ floored at 100 ms: suspected at
    // 5 s + 60 s + y*(10)·100 ms, Akka's formula at threshold 10 giving
    // 11580 ms for 1 s + 10 s, so 65580 ms here.
    let mut d = Detector::new(hazelcast_phi());
    for i in 0..=201 {
        d.heartbeat(ms(i * 5_000)).unwrap();
    }
    assert_eq!(deadline_ns(&d).div_ceil(1_000_000), 65_580);
    let last = d.last_heartbeat().unwrap().as_nanos() / 1_000_000;
    let want = akka_phi(65_000.0 + 500.0, 65_000.0, 100.0);
    let got = d.phi(ms(last + 65_500));
    assert!((got - want).abs() <= 1e-12 * want, "{got} vs {want}");
}

#[test]
fn hazelcasts_own_phi_test_passes() {
    // PhiAccrualFailureDetectorTest: threshold 1, 100 samples, min σ 100 ms,
    // pause 1000 ms, estimate 100 ms. Alive with phi 0 at the heartbeat,
    // phi below 1 at +500 ms, not alive with phi at least 1 at +2000 ms.
    let config = Config::builder()
        .model(Model::Akka)
        .threshold(1.0)
        .max_sample_size(100)
        .min_std_deviation(millis(100))
        .acceptable_pause(millis(1_000))
        .first_heartbeat_estimate(millis(100))
        .build()
        .unwrap();
    let mut d = Detector::new(config);
    d.heartbeat(ms(1_000)).unwrap();
    assert!(d.is_available(ms(1_000)));
    // Hazelcast asserts phi = 0: at y = −11 its 1 − 1/(1 + e) rounds to
    // 1. Ours is computed in log space and keeps the true value, about
    // 1.6e-49 (1/(1 + e) with e = exp(111.5), divided by ln 10).
    let at_heartbeat = d.phi(ms(1_000));
    assert!(at_heartbeat < 1e-48, "{at_heartbeat}");
    assert_eq!(akka_phi(0.0, 1_100.0, 100.0), 0.0);
    assert!(d.phi(ms(1_500)) < 1.0);
    assert!(!d.is_available(ms(3_000)) && d.phi(ms(3_000)) >= 1.0);
    // Bootstrap [75, 125] ms: σ 25 floored to 100, μ' = 100 + 1000 ms.
    let want = akka_phi(2_000.0, 1_100.0, 100.0);
    assert!((d.phi(ms(3_000)) - want).abs() <= 1e-12 * want);
}

#[test]
fn hazelcasts_deadline_detector_is_the_deadline_model() {
    // DeadlineClusterFailureDetector: isAlive ⇔ hb + maxNoHeartbeatMillis
    // > now, with hazelcast.max.no.heartbeat.seconds = 60 s, given as the
    // 5 s heartbeat interval plus a 55 s pause.
    let mut d =
        Detector::new(Config::deadline(Duration::from_secs(5), Duration::from_secs(55)).unwrap());
    let hb = 123_456u64;
    d.heartbeat(ms(hb)).unwrap();
    for now in [hb, hb + 59_999, hb + 60_000, hb + 60_001] {
        assert_eq!(d.is_available(ms(now)), hb + 60_000 > now, "{now}");
    }
}

#[test]
fn chitchat_threshold_8_is_3_47_in_the_exponential_model() {
    // chitchat's phi is elapsed / mean (no log10): its threshold 8 is
    // 8 mean intervals. Ours is elapsed / (mean · ln 10), so the same
    // detector has threshold 8 / ln 10 = 8 / 2.302585093 = 3.474355855.
    let config = Config::chitchat(8.0).unwrap();
    assert!((config.threshold() - 3.474_355_855).abs() < 1e-9);
    // chitchat's test_sampling_window: intervals 2 s and 3 s, mean 2.5 s;
    // phi 0.4 after 1 s. A window of 2 holds the same two intervals.
    let chitchat_phi = |elapsed_s: f64| elapsed_s / 2.5;
    let config = config.to_builder().max_sample_size(2).build().unwrap();
    let mut d = Detector::new(config);
    for t in [0, 2_000, 5_000] {
        d.heartbeat(ms(t)).unwrap();
    }
    for elapsed_s in [1.0, 2.5, 10.0, 20.0] {
        let ours = d.phi(ms(5_000 + (elapsed_s * 1e3) as u64));
        let theirs = chitchat_phi(elapsed_s);
        assert!(
            (ours * LN_10 - theirs).abs() <= 1e-12 * theirs,
            "{elapsed_s} s: {ours} · ln 10 vs {theirs}"
        );
    }
    // chitchat declares the node dead once phi passes 8: 8 × 2.5 s = 20 s.
    assert!(
        (deadline_ns(&d) as f64 - 20e9).abs() <= 1.0,
        "{}",
        deadline_ns(&d)
    );
}
