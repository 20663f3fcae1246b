//! The literature's other estimators (Chen, 2W-FD, Bertier, empirical), checked
//! against values worked out by hand from each paper's formulas.
//!
//! Every scenario uses a window of 3 or 4 intervals, a first heartbeat
//! estimate of 100 ms (so the bootstrap seeds are 75 ms and 125 ms) and no
//! acceptable pause unless stated, so the numbers can be followed on paper.

use accrual::{Config, ConfigError, Detector, Learning, Model, Timestamp};
use std::time::Duration;

fn ms(t: f64) -> Timestamp {
    Timestamp::from_nanos((t * 1e6).round() as u64)
}

fn detector(model: Model, window: usize, threshold: f64) -> Detector {
    detector_with(model, window, threshold, |b| b)
}

fn detector_with(
    model: Model,
    window: usize,
    threshold: f64,
    tweak: impl FnOnce(accrual::ConfigBuilder) -> accrual::ConfigBuilder,
) -> Detector {
    let builder = Config::builder()
        .model(model)
        .max_sample_size(window)
        .threshold(threshold)
        .first_heartbeat_estimate(Duration::from_millis(100))
        .min_std_deviation(Duration::from_millis(10))
        .acceptable_pause(Duration::ZERO);
    Detector::new(tweak(builder).build().unwrap())
}

fn feed(d: &mut Detector, times_ms: &[f64]) {
    for &t in times_ms {
        d.heartbeat(ms(t)).unwrap();
    }
}

/// Nanoseconds from the last heartbeat to the suspicion deadline.
fn deadline_after_last(d: &Detector) -> u64 {
    d.suspicion_deadline().unwrap().as_nanos() - d.last_heartbeat().unwrap().as_nanos()
}

#[test]
fn chen_expected_arrival_by_hand() {
    // Arrivals 0, 100, 300, 400 ms: the window (3) holds 100, 200, 100.
    // With the 100 ms period of the configuration, the 200 ms interval is
    // a lost heartbeat: sequence numbers 0, 1, 3, 4, η = 400/4 = 100 ms,
    // A_i − η·I_i = 0 throughout, EA = 5η = 500 ms: 100 ms after the last
    // arrival. Threshold = margin α = 500 ms, wide enough that every
    // interval is learnt.
    let mut d = detector(Model::Chen, 3, 500.0);
    feed(&mut d, &[0.0, 100.0, 300.0, 400.0]);
    assert_eq!(deadline_after_last(&d), 600_000_000);
    // Another margin: 8 ms.
    let eight = d.threshold(8.0).unwrap();
    let at = d.deadline_for(&eight).unwrap();
    assert_eq!(at.as_nanos() - ms(400.0).as_nanos(), 108_000_000);
    // The level is the lateness past EA, in ms.
    assert!((d.phi(ms(400.0 + 100.0 + 10.0)) - 10.0).abs() < 1e-6);
    assert_eq!(d.phi(ms(400.0 + 90.0)), 0.0);
    assert!(!d.is_available(ms(400.0 + 600.0)));
    assert!(d.is_available(ms(400.0 + 599.99)));
    // With a configured period of 1 s every interval counts as one: η is
    // the mean, 400/3 ms, A_i − η·I_i = 0, −100/3, 100/3, 0 (mean 0), and
    // EA = 4η = 533.33 ms, 133.33 ms after the last arrival.
    let mut d = detector_with(Model::Chen, 3, 500.0, |b| {
        b.first_heartbeat_estimate(Duration::from_secs(1))
    });
    feed(&mut d, &[0.0, 100.0, 300.0, 400.0]);
    // ⌈133 333 333.3 + 500 000 000⌉ ns.
    assert_eq!(deadline_after_last(&d), 633_333_334);
}

#[test]
fn chen_expects_one_interval_on_a_regular_link() {
    let mut d = detector(Model::Chen, 10, 20.0);
    let times: Vec<f64> = (0..30).map(|i| f64::from(i) * 50.0).collect();
    feed(&mut d, &times);
    // EA = last + 50 ms; suspected 20 ms later.
    assert_eq!(deadline_after_last(&d), 70_000_000);
}

#[test]
fn two_window_takes_the_later_expected_arrival() {
    // Window (3) holds 100, 100, 140 after arrivals 0, 100, 200, 340: the
    // link just slowed down. All one period each; η = 340/3 ms.
    // Long window: A_i − η·I_i = 0, −13.33, −26.67, 0, mean −10, so
    // EA = −10 + 4η = 443.33 ms, 103.33 ms after the last arrival (Chen).
    // Short window of 1 arrival: EA − A = η = 113.33 ms. 2W-FD takes the
    // later. Margin 500 ms, so that every interval is learnt.
    let times = [0.0, 100.0, 200.0, 340.0];
    let mut chen = detector(Model::Chen, 3, 500.0);
    feed(&mut chen, &times);
    assert_eq!(deadline_after_last(&chen), 603_333_334);
    let mut two = detector(Model::TwoWindow, 3, 500.0);
    feed(&mut two, &times);
    assert_eq!(deadline_after_last(&two), 613_333_334);
    // Short window of 2 arrivals (the 140 ms interval alone):
    // EA − A = η·(1 + 1/2) − 140/2 = 170 − 70 = 100 ms; the long window's
    // 103.33 ms is then the later one, as for Chen.
    let mut two = detector_with(Model::TwoWindow, 3, 500.0, |b| b.short_window(2));
    feed(&mut two, &times);
    assert_eq!(deadline_after_last(&two), 603_333_334);
}

/// A Bertier detector with a σ floor of 1 µs, so that the margin's own
/// variation term is the scale, learning every interval (the second
/// heartbeat below comes after the first deadline).
fn bertier(window: usize, threshold: f64, constants: [f64; 3]) -> Detector {
    detector_with(Model::Bertier, window, threshold, |b| {
        b.min_std_deviation(Duration::from_micros(1))
            .learning(Learning::All)
            .bertier(constants[0], constants[1], constants[2])
    })
}

#[test]
fn bertier_margin_follows_jacobson() {
    // β = 1, φ = 4, γ = 0.1 (the paper's). Window 3.
    // The seeds 75, 125 ms are not heartbeats: no error is learnt from
    // them, so delay = var = 0 and the scale is the 1 µs floor. Window
    // [75, 125]: η = 100, R = 75 + 2·125 = 325, EA − A = 100·2 − 325/3 =
    // 275/3 = 91.6667 ms. Threshold 1: 91.6667 + 0.001 ms.
    let mut d = bertier(3, 1.0, [1.0, 4.0, 0.1]);
    feed(&mut d, &[0.0]);
    assert_eq!(deadline_after_last(&d), 91_667_667);
    // Heartbeat 100 ms later: error = 100 − 275/3 − 0 = 25/3, delay =
    // var = 5/6 ms. Window [75, 125, 100]: R = 75 + 250 + 300 = 625,
    // EA − A = 250 − 625/4 = 93.75 ms. Location EA + β·delay = 93.75 + 5/6
    // = 1135/12 ms, scale φ·var = 10/3 ms: deadline 1175/12 = 97.9167 ms.
    feed(&mut d, &[100.0]);
    assert_eq!(deadline_after_last(&d), 97_916_667);
    // Threshold 3 triples the variation term only: 1135/12 + 10 ms =
    // 104.5833 ms.
    let mut d3 = bertier(3, 3.0, [1.0, 4.0, 0.1]);
    feed(&mut d3, &[0.0, 100.0]);
    assert_eq!(deadline_after_last(&d3), 104_583_334);
}

#[test]
fn bertier_constants_are_configurable() {
    // β = 0, φ = 2, after the same two heartbeats (delay = var = 5/6 ms):
    // location 93.75 ms without the delay, scale 2·5/6 = 5/3 ms: deadline
    // 95.4167 ms (the paper's constants gave 97.9167 above).
    let mut d = bertier(3, 1.0, [0.0, 2.0, 0.1]);
    feed(&mut d, &[0.0, 100.0]);
    assert_eq!(deadline_after_last(&d), 95_416_667);
    // γ = 0.5 learns half of the error: delay = var = 25/6 ms, deadline
    // 93.75 + 25/6 + 4·25/6 = 114.5833 ms.
    let mut d = bertier(3, 1.0, [1.0, 4.0, 0.5]);
    feed(&mut d, &[0.0, 100.0]);
    assert_eq!(deadline_after_last(&d), 114_583_334);
}

#[test]
fn empirical_phi_counts_the_window() {
    // Window (4) holds 75, 125, 100, 200 ms. n = 4.
    let mut d = detector(Model::Empirical, 4, 1.0);
    feed(&mut d, &[0.0, 100.0, 300.0]);
    let last = 300.0;
    let phi = |silence: f64| d.phi(ms(last + silence));
    assert_eq!(phi(50.0), 0.0); // all 4 at least as long: log10(5/5)
    assert!((phi(110.0) - (5.0f64 / 3.0).log10()).abs() < 1e-12); // 125, 200
    assert!((phi(150.0) - (5.0f64 / 2.0).log10()).abs() < 1e-12); // 200
    assert!((phi(200.0) - (5.0f64 / 2.0).log10()).abs() < 1e-12); // 200 ≥ 200
                                                                  // Beyond the longest: log10(5) + (t − 200 ms) / (mean · ln 10), with
                                                                  // mean 125 ms above the 10 ms floor.
    let tail = 5.0f64.log10() + 100.0 / (125.0 * std::f64::consts::LN_10);
    assert!((phi(300.0) - tail).abs() < 1e-9);
}

#[test]
fn empirical_deadlines_by_hand() {
    // Threshold 8, far past the data, so that every interval is learnt;
    // the window (4) holds 75, 125, 100, 200 ms.
    let mut d = detector(Model::Empirical, 4, 8.0);
    feed(&mut d, &[0.0, 100.0, 300.0]);
    let after_last = |phi: f64| {
        let at = d.deadline_for(&d.threshold(phi).unwrap()).unwrap();
        // Phi and deadline agree to the nanosecond.
        assert!(d.phi(at) >= phi);
        assert!(d.phi(Timestamp::from_nanos(at.as_nanos() - 1)) < phi);
        at.as_nanos() - ms(300.0).as_nanos()
    };
    // Phi 0.3 needs (5 / (c + 1)) ≥ 10^0.3 ≈ 1.995, so at most c = 1
    // interval as long as the silence: just past the second longest
    // (125 ms).
    assert_eq!(after_last(0.3), 125_000_001);
    // Phi 0.2: 5 / (c + 1) ≥ 1.585 allows c = 2: past the third longest.
    assert_eq!(after_last(0.2), 100_000_001);
    // Phi 1 is past the data: log10 5 + x / (125 ms · ln 10) = 1 gives
    // x = 125 ms · ln 2 beyond the longest interval (200 ms).
    let want = 200e6 + 125e6 * std::f64::consts::LN_2;
    let got = after_last(1.0) as f64;
    assert!((got - want).abs() <= 1.0, "{got} vs {want}");
}

#[test]
fn empirical_matches_a_sorted_copy_of_the_window() {
    // The sorted mirror must follow the ring through evictions: compare
    // with the fraction computed naively from the intervals fed.
    let mut d = detector(Model::Empirical, 50, 3.0);
    let mut x: u64 = 88_172_645_463_325_252;
    let mut t = 0u64;
    let mut intervals: Vec<u64> = vec![75_000, 125_000]; // µs, the seeds
    d.heartbeat(Timestamp::from_nanos(t)).unwrap();
    for step in 0..2_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let gap_us = 80_000 + x % 40_000; // 80 to 120 ms, whole µs
        t += gap_us * 1_000;
        if d.heartbeat(Timestamp::from_nanos(t)).unwrap().is_recorded() {
            intervals.push(gap_us);
        }
        let window = &intervals[intervals.len().saturating_sub(50)..];
        for probe_us in [79_000, 95_500, 100_000, 110_250, 119_999] {
            let at_least = window.iter().filter(|&&v| v >= probe_us).count();
            let n = window.len() as f64;
            let got = d.phi(Timestamp::from_nanos(t + probe_us * 1_000));
            if at_least > 0 {
                let want = ((n + 1.0) / (at_least as f64 + 1.0)).log10();
                assert!((got - want).abs() < 1e-12, "step {step} probe {probe_us}");
            } else {
                // Past the longest interval: the tail starts above log10(n + 1).
                assert!(got > (n + 1.0).log10(), "step {step} probe {probe_us}");
            }
        }
    }
}

#[test]
fn margin_and_empirical_models_reject_bad_settings_with_typed_errors() {
    let err = Config::builder().short_window(0).build().unwrap_err();
    assert!(matches!(
        err,
        ConfigError::OutOfRange {
            field: "short_window",
            ..
        }
    ));
    let err = Config::builder()
        .max_sample_size(10)
        .short_window(11)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("short_window"), "{err}");
    for (beta, phi, gamma, field) in [
        (f64::NAN, 4.0, 0.1, "bertier_beta"),
        (-1.0, 4.0, 0.1, "bertier_beta"),
        (1.0, f64::INFINITY, 0.1, "bertier_phi"),
        (1.0, 4.0, 0.0, "bertier_gamma"),
        (1.0, 4.0, 1.5, "bertier_gamma"),
        (1.0, 4.0, f64::NAN, "bertier_gamma"),
    ] {
        let err = Config::builder()
            .bertier(beta, phi, gamma)
            .build()
            .unwrap_err();
        assert!(err.to_string().contains(field), "{err}");
    }
    assert_eq!("2W-FD".parse::<Model>().unwrap(), Model::TwoWindow);
    assert_eq!("empirical".parse::<Model>().unwrap(), Model::Empirical);
    let err = "weibull".parse::<Model>().unwrap_err().to_string();
    assert!(err.contains("bertier") && err.contains("2w-fd"), "{err}");
}

#[test]
fn every_model_suspects_a_silent_peer_and_stays_finite() {
    for model in Model::ALL {
        let mut d = detector(model, 100, 3.0);
        let times: Vec<f64> = (0..200).map(|i| f64::from(i) * 100.0).collect();
        feed(&mut d, &times);
        let last = d.last_heartbeat().unwrap();
        let mut previous = 0.0;
        for silence_s in [0.05, 0.1, 1.0, 10.0, 1e3, 1e6, 1e9] {
            let p = d.phi(last.saturating_add(Duration::from_secs_f64(silence_s)));
            assert!(
                p.is_finite() && p >= previous,
                "{model} at {silence_s} s: {p}"
            );
            previous = p;
        }
        assert!(!d.is_available(last.saturating_add(Duration::from_secs(60))));
    }
}

#[test]
fn a_slower_rhythm_is_learnt_instead_of_suspected_forever() {
    // 100 ms heartbeats, then 300 ms for good, no pause, a tight floor:
    // every 300 ms interval ends a suspicion. Skipping them all would
    // freeze the window on 100 ms and suspect a live peer forever; the
    // second late interval in a row is learnt, so the detector catches up.
    // (Akka's rule, set for every model: Chen's default learns every
    // interval.)
    for model in Model::ALL {
        let mut d = detector_with(model, 50, 8.0, |b| b.learning(Learning::SkipSuspected));
        let mut t = 0.0;
        for _ in 0..100 {
            t += 100.0;
            d.heartbeat(ms(t)).unwrap();
        }
        let mut kinds = Vec::new();
        for _ in 0..300 {
            t += 300.0;
            kinds.push(d.heartbeat(ms(t)).unwrap());
        }
        // Where the first slow heartbeat is late (all but the exponential
        // and empirical models, whose phi 8 lies beyond 300 ms here, and the
        // deadline model, whose level 8 is eight 100 ms timeouts), it is
        // an outage as far as the detector knows: not learnt. The next is.
        if !matches!(
            model,
            Model::Exponential | Model::Empirical | Model::Deadline
        ) {
            assert!(kinds[0].is_recovery() && !kinds[0].is_recorded(), "{model}");
            assert!(kinds[1].is_recorded(), "{model}");
        }
        // Never two skipped in a row.
        assert!(
            kinds
                .windows(2)
                .all(|w| w[0].is_recorded() || w[1].is_recorded()),
            "{model}"
        );
        if model.is_accrual() {
            // In the end the new rhythm is the normal one.
            assert!(kinds[250..].iter().all(|a| a.is_recorded()), "{model}");
            assert!(d.is_available(ms(t + 300.0 - 1.0)), "{model}");
        } else if model == Model::Deadline {
            // Every 300 ms interval is within eight timeouts, so learnt, and
            // nothing learnt moves a fixed timeout: the level is still the
            // silence in units of the 100 ms estimate (no pause).
            assert!(kinds.iter().all(|a| a.is_recorded()), "{model}");
            assert_eq!(d.phi(ms(t + 110.0)), 1.1, "{model}");
        } else {
            // Chen's expected arrival assumes the configured sending period
            // (100 ms): 300 ms intervals read as two lost heartbeats each,
            // and the next heartbeat is still expected 100 ms after the
            // last. Still learnt every other time, and still recovering at
            // every heartbeat; a new period needs a new configuration.
            let learnt = kinds[250..].iter().filter(|a| a.is_recorded()).count();
            assert!(learnt >= 25, "{model}: {learnt} of 50");
            if model != Model::Bertier {
                // 10 ms past an arrival expected 100 ms after the last.
                let level = d.phi(ms(t + 110.0));
                assert!((level - 10.0).abs() < 1.0, "{model}: {level}");
            }
        }
    }
}

#[test]
fn chen_with_a_small_margin_learns_from_its_bootstrap() {
    // The bootstrap seeds (75 and 125 ms) put the expected arrival at
    // 91.7 ms; with a 2 ms margin a steady 100 ms stream arrives "late" at
    // first. The detector must still converge to trusting it.
    let mut d = detector(Model::Chen, 10, 2.0);
    let mut last = None;
    for i in 0..200 {
        last = Some(d.heartbeat(ms(f64::from(i) * 100.0)).unwrap());
    }
    assert!(last.unwrap().is_recorded());
    assert_eq!(deadline_after_last(&d), 102_000_000);
}
