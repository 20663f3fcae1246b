//! The detector's behaviour through its public API: Akka's and Cassandra's
//! published expectations, hand-calculated deadlines, and the rules for bad
//! input.

use super::*;

fn ms(t: u64) -> Timestamp {
    Timestamp::from_millis(t)
}

/// The configuration of Akka's `PhiAccrualFailureDetectorSpec`
/// (`createFailureDetector` defaults): threshold 8, 1000 samples,
/// min σ 10 ms, no acceptable pause, first estimate 1 s.
fn akka_spec(threshold: f64, pause: Duration) -> Detector {
    Detector::new(
        Config::builder()
            .model(Model::Akka)
            .threshold(threshold)
            .min_std_deviation(Duration::from_millis(10))
            .acceptable_pause(pause)
            .build()
            .unwrap(),
    )
}

fn feed(d: &mut Detector, times_ms: &[u64]) {
    for &t in times_ms {
        d.heartbeat(ms(t)).unwrap();
    }
}

#[test]
fn before_any_heartbeat_phi_is_zero_and_the_peer_is_available() {
    let d = Detector::default();
    assert_eq!(d.phi(ms(1_000_000)), 0.0);
    assert!(d.is_available(ms(1_000_000)));
    assert!(!d.is_monitoring());
    assert_eq!(d.suspicion_deadline(), None);
    assert_eq!(d.last_heartbeat(), None);
}

#[test]
fn first_heartbeat_seeds_the_window_from_the_estimate() {
    let mut d = Detector::default();
    assert_eq!(d.heartbeat(ms(5)).unwrap().kind(), ArrivalKind::First);
    assert!(d.is_monitoring());
    let s = d.stats();
    // Seeds 750 ms and 1250 ms: mean 1000 ms, population σ 250 ms.
    assert_eq!(s.samples, 2);
    assert_eq!(s.mean, Duration::from_millis(1000));
    assert_eq!(s.std_deviation, Duration::from_millis(250));
    assert_eq!(s.last_heartbeat, Some(ms(5)));
}

#[test]
fn akka_phi_based_on_the_guess_after_one_heartbeat() {
    // Akka spec "return phi based on guess when only one heartbeat":
    // phi 1 s after the heartbeat is 0.3 ± 0.2, after 2 s 4.5 ± 0.3,
    // after 3 s above 15.
    let mut d = akka_spec(8.0, Duration::ZERO);
    d.heartbeat(ms(0)).unwrap();
    assert!((d.phi(ms(1000)) - 0.3).abs() < 0.2);
    assert!((d.phi(ms(2000)) - 4.5).abs() < 0.3);
    assert!(d.phi(ms(3000)) > 15.0);
}

#[test]
fn akka_realistic_phi_values() {
    // Akka spec "return realistic phi values": with mean 1000 ms and
    // σ 100 ms, phi at 0/500/1000/1200/1400/1600/1700 ms is
    // 0.0/0.1/0.3/1.6/4.7/10.8/15.3 (± 0.1). A window of alternating
    // 900/1100 ms intervals has exactly that mean and σ.
    let mut d = Detector::new(
        Config::builder()
            .model(Model::Akka)
            .threshold(100.0)
            .max_sample_size(2)
            .min_std_deviation(Duration::from_millis(1))
            .acceptable_pause(Duration::ZERO)
            .build()
            .unwrap(),
    );
    feed(&mut d, &[0, 900, 2000]);
    let s = d.stats();
    assert_eq!(
        (s.mean, s.std_deviation),
        (Duration::from_millis(1000), Duration::from_millis(100))
    );
    for (elapsed, expected) in [
        (0, 0.0),
        (500, 0.1),
        (1000, 0.3),
        (1200, 1.6),
        (1400, 4.7),
        (1600, 10.8),
        (1700, 15.3),
    ] {
        let phi = d.phi(ms(2000 + elapsed));
        assert!((phi - expected).abs() < 0.1, "at +{elapsed} ms: {phi}");
    }
}

#[test]
fn akka_default_scenario_deadlines() {
    // Steady 1 s heartbeats, σ floored at 100 ms, pause 3 s, threshold 8:
    // phi reaches 8 at y with 0.070566·y³ + 1.5976·y = 8·ln 10 (18.4207),
    // y = 5.2257 (hand calculation), so at 4000 + 522.57 = 4522.6 ms.
    let mut d = Detector::new(Config::builder().model(Model::Akka).build().unwrap());
    d.heartbeat(ms(0)).unwrap();
    // Only the bootstrap (mean 1 s, σ 250 ms): 4000 + 5.2257·250 = 5306.4 ms.
    let boot = d.suspicion_deadline().unwrap().as_millis_f64();
    assert!((boot - 5306.4).abs() < 0.1, "{boot}");
    for s in 1..=2000 {
        d.heartbeat(ms(s * 1000)).unwrap();
    }
    let last = 2_000_000.0;
    let steady = d.suspicion_deadline().unwrap().as_millis_f64() - last;
    assert!((steady - 4522.6).abs() < 0.1, "{steady}");
}

#[test]
fn akka_remote_watch_defaults_deadline() {
    // Remote-watch defaults: pause 10 s, threshold 10, steady 1 s.
    // y solves 0.070566·y³ + 1.5976·y = 10·ln 10 (23.026): y = 5.7995, so
    // the deadline is 11000 + 580 = 11580 ms after the last heartbeat.
    let mut d = Detector::new(
        Config::builder()
            .model(Model::Akka)
            .threshold(10.0)
            .acceptable_pause(Duration::from_secs(10))
            .build()
            .unwrap(),
    );
    for s in 0..=1000 {
        d.heartbeat(ms(s * 1000)).unwrap();
    }
    let after = d.suspicion_deadline().unwrap().as_millis_f64() - 1_000_000.0;
    assert!((after - 11_580.0).abs() < 1.0, "{after}");
}

#[test]
fn normal_model_default_scenario_deadline() {
    // Normal model, steady 1 s heartbeats, σ floor 100 ms, pause 3 s,
    // threshold 8: Q(z) = 1e-8 at z = 5.612001 (standard normal table),
    // so the deadline is 4000 + 561.2 ms after the last heartbeat.
    let mut d = Detector::default();
    for s in 0..=1000 {
        d.heartbeat(ms(s * 1000)).unwrap();
    }
    let after = d.suspicion_deadline().unwrap().as_millis_f64() - 1_000_000.0;
    assert!((after - 4561.2).abs() < 0.1, "{after}");
}

#[test]
fn akka_accepts_missing_heartbeats_within_the_pause() {
    // Akka spec "accept some configured missing heartbeats": heartbeats
    // at 0, 1, 2, 3 s, then a 4 s gap, then 1 s again, pause 3 s.
    let mut d = akka_spec(8.0, Duration::from_secs(3));
    feed(&mut d, &[0, 1000, 2000, 3000]);
    assert!(d.is_available(ms(7000)));
    d.heartbeat(ms(7000)).unwrap();
    feed(&mut d, &[8000, 9000]);
    assert!(d.is_available(ms(9000)));
}

#[test]
fn akka_fails_after_the_configured_missing_heartbeats() {
    // After Akka's spec "fail after configured acceptable missing
    // heartbeats": 1 s heartbeats, then 500 ms ones, pause 3 s. Window
    // [750, 1250, 1000 ×5, 500 ×2]: mean 888.9 ms, σ 238.95 ms, so
    // phi reaches 8 at 888.9 + 3000 + 5.2257·238.95 = 5137.6 ms of
    // silence (hand calculation).
    let mut d = akka_spec(8.0, Duration::from_secs(3));
    feed(&mut d, &[0, 1000, 2000, 3000, 4000, 5000, 5500, 6000]);
    assert!(d.is_available(ms(6000)));
    assert!(d.is_available(ms(6000 + 5137)));
    assert!(!d.is_available(ms(6000 + 5138)));
}

#[test]
fn akka_marks_dead_when_heartbeats_stop() {
    // Akka spec "mark node as dead if heartbeat are missed", threshold 3:
    // heartbeats at 0, 1000, 1100, 1200 ms, then 7 s of silence.
    let mut d = akka_spec(3.0, Duration::ZERO);
    feed(&mut d, &[0, 1000, 1100, 1200]);
    assert!(d.is_available(ms(1200)));
    assert!(!d.is_available(ms(8200)));
}

#[test]
fn akka_outliers_keep_their_precision() {
    // Akka spec "handle outliers without losing precision": phi(10, 0, 1)
    // ≈ 38 (± 1) and phi(−25, 0, 1) = 0. Here: y = 10 and y = −25.
    assert!((Model::Akka.phi_from_y(10.0) - 38.0).abs() < 1.0);
    assert_eq!(Model::Akka.phi_from_y(-25.0), 0.0);
}

#[test]
fn akka_cdf_is_close_to_the_normal_cdf() {
    // Akka spec "use good enough cumulative distribution function":
    // 1 − 10^−phi(y) is the normal CDF within 0.001. Φ values from a
    // standard normal table.
    for (y, cdf) in [
        (0.0, 0.5),
        (0.6, 0.7257),
        (1.5, 0.9332),
        (2.0, 0.97725),
        (2.5, 0.99379),
        (3.5, 0.99977),
        (4.0, 0.99997),
    ] {
        let approx = 1.0 - 10f64.powf(-Model::Akka.phi_from_y(y));
        assert!((approx - cdf).abs() < 0.001, "y {y}: {approx} vs {cdf}");
    }
}

#[test]
fn cassandra_arrival_window_numbers() {
    // Cassandra ArrivalWindowTest: window of 4, heartbeats at 111, 222,
    // 333, 444, 555 ms; raw phi (silence/mean) at 666 ms is 1.0 and at
    // 3000 ms is 22.03. Cassandra's reported phi multiplies by
    // PHI_FACTOR = 1/ln 10: 0.4343 and 9.566.
    let mut d = Detector::new(
        Config::builder()
            .model(Model::Exponential)
            .max_sample_size(4)
            .acceptable_pause(Duration::ZERO)
            .build()
            .unwrap(),
    );
    feed(&mut d, &[111, 222, 333, 444, 555]);
    let raw = |phi: f64| phi * std::f64::consts::LN_10;
    assert!((raw(d.phi(ms(666))) - 1.0).abs() < 0.01);
    assert!((raw(d.phi(ms(3000))) - 22.03).abs() < 0.01);
    // 1/ln 10 = log10(e) = 0.43429 (the older Cassandra test's 0.4342).
    assert!((d.phi(ms(666)) - std::f64::consts::LOG10_E).abs() < 1e-4);
    assert!((d.phi(ms(3000)) - 9.566).abs() < 1e-3);
}

#[test]
fn exponential_pause_shifts_the_time_axis() {
    let mut d = Detector::new(
        Config::builder()
            .model(Model::Exponential)
            .acceptable_pause(Duration::from_millis(500))
            .first_heartbeat_estimate(Duration::from_millis(100))
            .min_std_deviation(Duration::from_millis(1))
            .build()
            .unwrap(),
    );
    d.heartbeat(ms(0)).unwrap();
    assert_eq!(d.phi(ms(500)), 0.0);
    // Mean 100 ms: phi = (600 − 500) / (100 · ln 10).
    let expected = 1.0 / std::f64::consts::LN_10;
    assert!((d.phi(ms(600)) - expected).abs() < 1e-12);
}

#[test]
fn rejected_heartbeat_leaves_state_unchanged() {
    let mut d = Detector::default();
    feed(&mut d, &[1000, 2000, 3000]);
    let before = d.clone();
    let err = d.heartbeat(ms(2500)).unwrap_err();
    assert_eq!(
        err,
        HeartbeatError::OutOfOrder {
            last: ms(3000),
            at: ms(2500)
        }
    );
    assert_eq!(d, before);
    assert!(err.to_string().contains("earlier"));
}

#[test]
fn duplicate_heartbeat_is_ignored() {
    let mut d = Detector::default();
    feed(&mut d, &[1000, 2000]);
    let before = d.clone();
    let dup = d.heartbeat(ms(2000)).unwrap();
    assert_eq!((dup.kind(), dup.interval()), (ArrivalKind::Duplicate, None));
    assert_eq!(d, before);
}

#[test]
fn constant_intervals_do_not_collapse_the_variance() {
    // Five thousand heartbeats exactly 100 ms apart: σ = 0, floored.
    let mut d = Detector::new(Config::for_interval(Duration::from_millis(100)).unwrap());
    for i in 0..5000 {
        d.heartbeat(ms(i * 100)).unwrap();
    }
    assert_eq!(d.stats().std_deviation, Duration::ZERO);
    let last = 499_900;
    let mut previous = 0.0;
    for extra in [0, 50, 100, 200, 400, 450, 500, 1000, 10_000] {
        let phi = d.phi(ms(last + extra));
        assert!(phi.is_finite() && phi >= previous, "+{extra}: {phi}");
        previous = phi;
    }
    assert!(d.is_available(ms(last + 400)));
    assert!(!d.is_available(ms(last + 1000)));
}

#[test]
fn query_before_the_last_heartbeat_gives_zero() {
    let mut d = Detector::default();
    feed(&mut d, &[1000, 2000]);
    assert_eq!(d.phi(ms(1500)), 0.0);
    assert!(d.is_available(ms(1500)));
}

#[test]
fn interval_after_a_suspicion_is_not_recorded() {
    let mut d = Detector::new(Config::for_interval(Duration::from_millis(100)).unwrap());
    for i in 0..100 {
        d.heartbeat(ms(i * 100)).unwrap();
    }
    let before = d.stats();
    let arrival = d.heartbeat(ms(9_900 + 60_000)).unwrap();
    assert_eq!(arrival.kind(), ArrivalKind::AfterSuspicion);
    assert_eq!(arrival.interval(), Some(Duration::from_secs(60)));
    assert!(arrival.is_recovery());
    let after = d.stats();
    assert_eq!((after.samples, after.mean), (before.samples, before.mean));
    assert_eq!(after.last_heartbeat, Some(ms(69_900)));
    // The next regular heartbeat is learnt again.
    let next = d.heartbeat(ms(70_000)).unwrap();
    assert!(next.is_recorded());
    assert_eq!(next.interval(), Some(Duration::from_millis(100)));
}

#[test]
fn warning_flags_intervals_near_the_pause() {
    // Pause 3 s, fraction 2/3: intervals of 2 s or more are flagged.
    let mut d = Detector::default();
    d.heartbeat(ms(0)).unwrap();
    assert!(!d.heartbeat(ms(1000)).unwrap().is_warning());
    assert!(!d.heartbeat(ms(2999)).unwrap().is_warning());
    assert!(d.heartbeat(ms(4999)).unwrap().is_warning());
}

#[test]
fn a_single_heartbeat_is_eventually_suspected() {
    for model in Model::ALL {
        let mut d = Detector::new(Config::builder().model(model).build().unwrap());
        d.heartbeat(ms(0)).unwrap();
        let deadline = d.suspicion_deadline().unwrap();
        assert!(deadline < ms(60_000), "{model}: {deadline}");
        assert!(!d.is_available(deadline));
        assert!(d.phi(deadline) >= 8.0);
    }
}

#[test]
fn phi_is_finite_for_extreme_silences() {
    for model in Model::ALL {
        let mut d = Detector::new(Config::builder().model(model).build().unwrap());
        feed(&mut d, &[0, 1000, 2000]);
        let mut previous = 0.0;
        for t in [3000, 10_000, 100_000, 10_000_000, u64::MAX / 1_000_000] {
            let phi = d.phi(ms(t));
            assert!(phi.is_finite() && phi >= previous, "{model} at {t}: {phi}");
            previous = phi;
        }
        assert!(d.phi(Timestamp::MAX).is_finite());
    }
}

#[test]
fn huge_timestamps_and_intervals_do_not_overflow() {
    let mut d = Detector::default();
    d.heartbeat(Timestamp::ZERO).unwrap();
    // A silence of centuries: not recorded (the peer was long suspected).
    let arrival = d.heartbeat(Timestamp::MAX).unwrap();
    assert!(arrival.is_recovery());
    // The deadline lies past the end of the axis: no instant on it has phi
    // at the threshold, which `None` says (a deadline saturated at
    // Timestamp::MAX claimed one there that phi denied).
    assert_eq!(d.suspicion_deadline(), None);
    assert!(d.is_available(Timestamp::MAX));
    assert_eq!(d.phi(Timestamp::MAX), d.phi(Timestamp::MAX));
    // With an enormous threshold, a two-hour interval is recorded and
    // saturates at the window's 71-minute maximum.
    let mut d = Detector::new(Config::builder().threshold(1e12).build().unwrap());
    d.heartbeat(ms(0)).unwrap();
    d.heartbeat(ms(7_200_000)).unwrap();
    let s = d.stats();
    let max = Duration::from_micros(u64::from(u32::MAX));
    assert_eq!(s.samples, 3);
    let expected = (Duration::from_millis(750) + Duration::from_millis(1250) + max) / 3;
    assert!(s.mean.abs_diff(expected) <= Duration::from_micros(1));
}

#[test]
fn deadline_and_phi_agree_to_the_nanosecond() {
    let mut d = Detector::default();
    feed(&mut d, &[0, 1010, 1990, 3005, 4000]);
    for phi in [0.5, 3.0, 8.0, 16.0] {
        let th = d.threshold(phi).unwrap();
        let t = d.deadline_for(&th).unwrap();
        assert!(d.phi(t) >= phi);
        assert!(d.phi(Timestamp::from_nanos(t.as_nanos() - 1)) < phi);
    }
    let t = d.suspicion_deadline().unwrap();
    assert!(!d.is_available(t));
    assert!(d.is_available(Timestamp::from_nanos(t.as_nanos() - 1)));
}

#[test]
fn a_threshold_prepared_for_another_model_still_works() {
    let mut d = Detector::new(Config::builder().model(Model::Exponential).build().unwrap());
    d.heartbeat(ms(0)).unwrap();
    let foreign = Threshold::new(Model::Normal, 8.0).unwrap();
    assert_eq!(d.deadline_for(&foreign), d.suspicion_deadline());
    assert!(Threshold::new(Model::Normal, 0.0).is_err());
    assert!(Threshold::new(Model::Normal, f64::NAN).is_err());
}

#[test]
fn window_size_bounds_the_memory_of_old_intervals() {
    // Akka spec "use maxSampleSize heartbeats": with a window of 3, phi
    // after three 100 ms intervals equals phi after three 500 ms
    // intervals, scaled, once the older samples are gone.
    let mut d = Detector::new(
        Config::builder()
            .max_sample_size(3)
            .acceptable_pause(Duration::ZERO)
            .min_std_deviation(Duration::from_millis(100))
            .first_heartbeat_estimate(Duration::from_millis(100))
            .build()
            .unwrap(),
    );
    feed(&mut d, &[0, 100, 200, 300]);
    // Window [100, 100, 100]: σ floored at 100 ms, y = (150 − 100)/100.
    let phi1 = d.phi(ms(450));
    feed(&mut d, &[800, 1300, 1800]);
    assert_eq!(d.stats().mean, Duration::from_millis(500));
    // Window [500, 500, 500]: y = (550 − 500)/100, the same 0.5.
    let phi2 = d.phi(ms(2350));
    assert!((phi1 - phi2).abs() < 1e-12, "{phi1} vs {phi2}");
}

#[test]
fn reset_forgets_everything() {
    let mut d = Detector::default();
    feed(&mut d, &[0, 1000]);
    d.reset();
    assert_eq!(d, Detector::default());
    assert_eq!(d.heartbeat(ms(5)).unwrap().kind(), ArrivalKind::First);
}

#[test]
fn instants_and_timestamps_mix() {
    let mut d = Detector::default();
    let now = std::time::Instant::now();
    d.heartbeat(now).unwrap();
    assert_eq!(d.last_heartbeat(), Some(Timestamp::from(now)));
    assert!(d.is_available(now + Duration::from_secs(1)));
    assert!(!d.is_available(now + Duration::from_secs(60)));
}

#[test]
fn detector_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Detector>();
}
