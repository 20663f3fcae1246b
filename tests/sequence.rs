//! Sequence numbers and the engine's rules as settings: expected arrivals
//! computed by hand from Chen, Toueg and Aguilera (2002),
//! `EA_{l+1} = (1/n)·Σ(A_i − η·s_i) + η·(l+1)`, and Bertier et al.'s
//! margin, against the detector.

use accrual::{
    ArrivalKind, Bootstrap, Config, Detector, HeartbeatError, Learning, Model, Monitor, Period,
    Timestamp,
};
use std::time::Duration;

fn ms(x: u64) -> Timestamp {
    Timestamp::from_millis(x)
}

/// Chen's detector with the margin α = `alpha_ms` (the threshold), no
/// pause, a 100 ms period, in "paper mode" unless `period` says otherwise.
fn chen(alpha_ms: f64, period: Period) -> Detector {
    Detector::new(
        Config::builder()
            .model(Model::Chen)
            .threshold(alpha_ms)
            .acceptable_pause(Duration::ZERO)
            .first_heartbeat_estimate(Duration::from_millis(100))
            .learning(Learning::All)
            .period(period)
            .bootstrap(Bootstrap::Growing)
            .build()
            .unwrap(),
    )
}

fn deadline_ms(d: &Detector) -> f64 {
    d.suspicion_deadline().unwrap().as_nanos() as f64 / 1e6
}

#[test]
fn chen_with_sequence_numbers_counts_the_lost_heartbeats() {
    // Numbers 1, 2, 5 at 0, 100, 360 ms (3 and 4 lost), η = 100 ms fixed:
    // A_i − η·s_i = −100, −100, −140, mean −340/3; EA_6 = −340/3 + 600
    // = 486.667 ms; the deadline is EA + α = 496.667 ms.
    let mut d = chen(10.0, Period::Fixed);
    for (t, s) in [(0, 1), (100, 2), (360, 5)] {
        d.heartbeat_seq(ms(t), s).unwrap();
    }
    assert!((deadline_ms(&d) - (600.0 - 340.0 / 3.0 + 10.0)).abs() < 1e-6);

    // Without numbers the 260 ms interval counts ⌊260/100 + 1/4⌋ = 2
    // periods: s = 1, 2, 4, A − η·s = −100, −100, −40, mean −80, EA_5 =
    // −80 + 500 = 420 ms, deadline 430 ms.
    let mut plain = chen(10.0, Period::Fixed);
    for t in [0, 100, 360] {
        plain.heartbeat(ms(t)).unwrap();
    }
    assert!((deadline_ms(&plain) - 430.0).abs() < 1e-6);
}

#[test]
fn chen_with_an_estimated_period_divides_by_the_numbers() {
    // As above with η = Σx/Σs = 360/4 = 90 ms: A − η·s = −90, −80, −90,
    // mean −260/3; EA_6 = −260/3 + 6·90 = 453.333 ms, deadline 463.333 ms.
    let mut d = chen(10.0, Period::Estimated);
    for (t, s) in [(0, 1), (100, 2), (360, 5)] {
        d.heartbeat_seq(ms(t), s).unwrap();
    }
    assert!((deadline_ms(&d) - (540.0 - 260.0 / 3.0 + 10.0)).abs() < 1e-6);
}

#[test]
fn growing_bootstrap_answers_from_the_estimate_before_the_first_interval() {
    // Chen: one estimate (100 ms) after the first heartbeat, plus α.
    let mut d = chen(10.0, Period::Fixed);
    d.heartbeat_seq(ms(1_000), 7).unwrap();
    assert_eq!(d.stats().samples, 0);
    assert!((deadline_ms(&d) - 1_110.0).abs() < 1e-6);

    // Normal: location = estimate + pause (100 ms), scale = min σ (10 ms).
    // phi = −log10 Q(y): Q(0) = 1/2, Q(1) = 0.158655 (normal tables).
    let mut d = Detector::new(
        Config::builder()
            .acceptable_pause(Duration::ZERO)
            .min_std_deviation(Duration::from_millis(10))
            .first_heartbeat_estimate(Duration::from_millis(100))
            .bootstrap(Bootstrap::Growing)
            .build()
            .unwrap(),
    );
    d.heartbeat(ms(0)).unwrap();
    assert!(d.is_monitoring());
    assert_eq!(d.stats().samples, 0);
    assert!((d.phi(ms(100)) - 2f64.log10()).abs() < 1e-9);
    assert!((d.phi(ms(110)) - -(0.158_655_253_931_457_f64).log10()).abs() < 1e-9);
    // The first real interval starts the window: no seeds.
    d.heartbeat(ms(120)).unwrap();
    assert_eq!(d.stats().samples, 1);
    assert_eq!(d.stats().mean, Duration::from_millis(120));
}

#[test]
fn bertier_predicts_the_heartbeat_that_came_after_a_gap() {
    // Numbers 1, 2, 4 at 0, 100, 300 ms: periodic, number 3 lost. The
    // interval of 200 ms (two periods) was predicted at EA + η = 200 ms
    // after the last arrival: error 0, so delay = var = 0 and the margin
    // is its floor, min σ = 5 ms. EA_5 = −100 + 500 = 400 ms; threshold 1
    // is the published detector: deadline EA + 5 = 405 ms.
    let config = |learning| {
        Config::builder()
            .model(Model::Bertier)
            .threshold(1.0)
            .acceptable_pause(Duration::ZERO)
            .min_std_deviation(Duration::from_millis(5))
            .first_heartbeat_estimate(Duration::from_millis(100))
            .learning(learning)
            .period(Period::Fixed)
            .bootstrap(Bootstrap::Growing)
            .build()
            .unwrap()
    };
    let mut d = Detector::new(config(Learning::All));
    for (t, s) in [(0, 1), (100, 2), (300, 4)] {
        d.heartbeat_seq(ms(t), s).unwrap();
    }
    assert!((deadline_ms(&d) - 405.0).abs() < 1e-6);
    // Without numbers the 200 ms interval was predicted at 100 ms: error
    // 100, delay = var = γ·100 = 10, α = β·10 + φ·10 = 50 ms (β = 1, φ = 4,
    // γ = 0.1); the expected arrival is the same 400 ms.
    let mut plain = Detector::new(config(Learning::All));
    for t in [0, 100, 300] {
        plain.heartbeat(ms(t)).unwrap();
    }
    assert!((deadline_ms(&plain) - 450.0).abs() < 1e-6);
}

#[test]
fn a_stale_or_repeated_number_is_refused_and_changes_nothing() {
    let mut d = chen(10.0, Period::Fixed);
    d.heartbeat_seq(ms(0), 5).unwrap();
    d.heartbeat_seq(ms(100), 6).unwrap();
    let before = d.clone();
    assert_eq!(
        d.heartbeat_seq(ms(150), 6),
        Err(HeartbeatError::StaleSequence { last: 6, seq: 6 })
    );
    assert_eq!(
        d.heartbeat_seq(ms(150), 2),
        Err(HeartbeatError::StaleSequence { last: 6, seq: 2 })
    );
    assert_eq!(d, before);
    let msg = HeartbeatError::StaleSequence { last: 6, seq: 2 }.to_string();
    assert!(msg.contains('6') && msg.contains('2'), "{msg}");
    // A plain heartbeat breaks the count: any number is accepted after it.
    d.heartbeat(ms(200)).unwrap();
    d.heartbeat_seq(ms(300), 1).unwrap();
}

#[test]
fn a_numbered_heartbeat_at_the_same_instant_is_a_new_one() {
    let mut d = chen(10.0, Period::Fixed);
    d.heartbeat_seq(ms(0), 1).unwrap();
    let a = d.heartbeat_seq(ms(0), 2).unwrap();
    assert_eq!(a.kind(), ArrivalKind::Recorded);
    assert_eq!(d.stats().samples, 1);
    // Without numbers it is a duplicate.
    assert_eq!(d.heartbeat(ms(0)).unwrap().kind(), ArrivalKind::Duplicate);
}

#[test]
fn learning_all_learns_the_interval_that_ends_a_suspicion() {
    let build = |learning| {
        Detector::new(
            Config::builder()
                .first_heartbeat_estimate(Duration::from_millis(100))
                .acceptable_pause(Duration::ZERO)
                .min_std_deviation(Duration::from_millis(10))
                .learning(learning)
                .build()
                .unwrap(),
        )
    };
    for (learning, learnt) in [(Learning::SkipSuspected, false), (Learning::All, true)] {
        let mut d = build(learning);
        for i in 0..10 {
            d.heartbeat(ms(i * 100)).unwrap();
        }
        // Five seconds of silence: suspected, then the heartbeat comes.
        assert!(!d.is_available(ms(5_900)));
        let a = d.heartbeat(ms(5_900)).unwrap();
        assert_eq!(a.is_recorded(), learnt, "{learning}");
    }
}

#[test]
fn the_monitor_refuses_a_stale_number_without_an_event() {
    let monitor: Monitor<u32> = Monitor::new(
        Config::builder()
            .model(Model::Chen)
            .first_heartbeat_estimate(Duration::from_millis(100))
            .build()
            .unwrap(),
    );
    let events = monitor.subscribe();
    monitor.heartbeat_seq(&1, ms(0), 10).unwrap();
    monitor.heartbeat_seq(&1, ms(100), 11).unwrap();
    let deadline = monitor.suspicion_deadline(&1);
    assert_eq!(
        monitor.heartbeat_seq(&1, ms(10_000), 11),
        Err(HeartbeatError::StaleSequence { last: 11, seq: 11 })
    );
    assert_eq!(monitor.suspicion_deadline(&1), deadline);
    assert!(events.try_recv().is_err());
    monitor.heartbeat_seq(&1, ms(200), 13).unwrap();
}

#[test]
fn settings_parse_and_round_trip_through_the_builder() {
    let c = Config::builder()
        .learning("all".parse().unwrap())
        .period("fixed".parse().unwrap())
        .bootstrap("growing".parse().unwrap())
        .build()
        .unwrap();
    assert_eq!(
        (c.learning(), c.period(), c.bootstrap()),
        (Learning::All, Period::Fixed, Bootstrap::Growing)
    );
    assert_eq!(c.to_builder().build().unwrap(), c);
    let d = Config::default();
    assert_eq!(
        (d.learning(), d.period(), d.bootstrap()),
        (Learning::SkipSuspected, Period::Estimated, Bootstrap::Seeds)
    );
    assert!("sometimes".parse::<Period>().is_err());
}

#[cfg(feature = "serde")]
#[test]
fn settings_round_trip_through_serde_and_old_configs_keep_todays_rules() {
    let c = Config::builder()
        .learning(Learning::All)
        .period(Period::Fixed)
        .bootstrap(Bootstrap::Growing)
        .build()
        .unwrap();
    let json = serde_json::to_string(&c).unwrap();
    assert!(json.contains("\"learning\":\"all\""), "{json}");
    assert!(json.contains("\"bootstrap\":\"growing\""), "{json}");
    assert_eq!(serde_json::from_str::<Config>(&json).unwrap(), c);
    // A configuration saved before these settings existed keeps the rules
    // it ran under, Akka's learning rule included, even for Chen's model,
    // whose default is now to learn every interval.
    for model in [Model::Normal, Model::Chen] {
        let fresh = Config::builder().model(model).build().unwrap();
        let mut old: serde_json::Value = serde_json::to_value(&fresh).unwrap();
        for key in ["learning", "period", "bootstrap"] {
            old.as_object_mut().unwrap().remove(key);
        }
        let old = serde_json::from_value::<Config>(old).unwrap();
        assert_eq!(
            (old.learning(), old.period(), old.bootstrap()),
            (Learning::SkipSuspected, Period::Estimated, Bootstrap::Seeds),
            "{model}"
        );
    }
    assert_eq!(
        Config::builder()
            .model(Model::Chen)
            .build()
            .unwrap()
            .learning(),
        Learning::All
    );
}

#[cfg(feature = "serde")]
#[test]
fn a_growing_window_with_no_interval_yet_survives_a_snapshot() {
    let config = Config::builder()
        .first_heartbeat_estimate(Duration::from_millis(100))
        .bootstrap(Bootstrap::Growing)
        .build()
        .unwrap();
    let monitor: Monitor<u32> = Monitor::new(config);
    monitor.heartbeat(&1, ms(1_000)).unwrap();
    let phi = monitor.phi(&1, ms(1_150)).unwrap();
    let snapshot = monitor.snapshot(ms(1_100));
    let restored = Monitor::restore(snapshot, ms(5_100)).unwrap();
    assert_eq!(
        restored.phi(&1, ms(5_150)).unwrap().to_bits(),
        phi.to_bits()
    );
}
