//! The deadline model (`Model::Deadline`): a fixed timeout of heartbeat
//! interval + acceptable pause, as Akka's `DeadlineFailureDetector` and
//! Hazelcast's `deadline` detector, through the detector, the monitor,
//! snapshots and tuning. Every expected deadline is worked out by hand from
//! those detectors' rule, `available ⇔ last heartbeat + timeout > now`.

use accrual::monitor::{Event, Monitor};
use accrual::{Config, Detector, Model, Timestamp};
use std::time::Duration;

fn ms(t: u64) -> Timestamp {
    Timestamp::from_millis(t)
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn akka_deadline_detector_by_hand() {
    // Akka's DeadlineFailureDetector with heartbeat-interval 1 s and
    // acceptable-heartbeat-pause 3 s: available while last + 4 s > now.
    let mut d = Detector::new(Config::deadline(secs(1), secs(3)).unwrap());
    // Before the first heartbeat: available, not monitoring (as Akka).
    assert!(d.is_available(ms(0)) && !d.is_monitoring());
    d.heartbeat(ms(10_000)).unwrap();
    assert_eq!(d.suspicion_deadline(), Some(ms(14_000)));
    assert!(d.is_available(Timestamp::from_nanos(13_999_999_999)));
    assert!(!d.is_available(ms(14_000)));
    // The level is the silence in timeouts of 4 s.
    assert_eq!(d.phi(ms(10_000)), 0.0);
    assert_eq!(d.phi(ms(12_000)), 0.5);
    assert_eq!(d.phi(ms(14_000)), 1.0);
    assert_eq!(d.phi(ms(22_000)), 3.0);
}

#[test]
fn the_timeout_ignores_the_rhythm_of_the_heartbeats() {
    // Whatever the intervals (fast, slow, jittery), the deadline stays
    // 4 s after the last heartbeat: nothing is learnt.
    let mut d = Detector::new(Config::deadline(secs(1), secs(3)).unwrap());
    let mut t = 0;
    for gap in [100, 3_900, 50, 1_000, 2_500, 7, 3_999, 1_000, 10_000, 250] {
        t += gap;
        d.heartbeat(ms(t)).unwrap();
        assert_eq!(d.suspicion_deadline(), Some(ms(t + 4_000)), "after {gap}");
    }
}

#[test]
fn other_published_deadline_settings_by_hand() {
    // Akka's multi-data-center cluster detector: interval 3 s, pause 10 s.
    // Pekko's classic transport detector: interval 4 s, pause 120 s (it
    // fires after about 124 s). Hazelcast's default detector: timeout
    // hazelcast.max.no.heartbeat.seconds = 60 s, given as the heartbeat
    // interval (5 s) plus the rest.
    for (interval, pause, timeout_ms) in [(3, 10, 13_000), (4, 120, 124_000), (5, 55, 60_000)] {
        let mut d = Detector::new(Config::deadline(secs(interval), secs(pause)).unwrap());
        d.heartbeat(ms(1_000)).unwrap();
        d.heartbeat(ms(2_000)).unwrap();
        assert_eq!(d.suspicion_deadline(), Some(ms(2_000 + timeout_ms)));
        let before = Timestamp::from_nanos(ms(2_000 + timeout_ms).as_nanos() - 1);
        assert!(d.is_available(before));
    }
}

#[test]
fn other_thresholds_are_multiples_of_the_timeout() {
    let mut d = Detector::new(Config::deadline(secs(1), secs(3)).unwrap());
    d.heartbeat(ms(10_000)).unwrap();
    for (level, deadline_ms) in [(0.5, 12_000), (2.0, 18_000), (2.5, 20_000), (10.0, 50_000)] {
        let threshold = d.threshold(level).unwrap();
        assert_eq!(d.deadline_for(&threshold), Some(ms(deadline_ms)), "{level}");
    }
    // The default threshold (8) with the deadline model waits eight
    // timeouts: Config::deadline sets 1.
    let eight = Config::builder()
        .model(Model::Deadline)
        .first_heartbeat_estimate(secs(1))
        .acceptable_pause(secs(3))
        .build()
        .unwrap();
    let mut d = Detector::new(eight);
    d.heartbeat(ms(0)).unwrap();
    assert_eq!(d.suspicion_deadline(), Some(ms(32_000)));
}

#[test]
fn the_name_is_deadline() {
    assert_eq!("deadline".parse::<Model>().unwrap(), Model::Deadline);
    assert_eq!(Model::Deadline.to_string(), "deadline");
    assert!(Model::ALL.contains(&Model::Deadline));
    assert!(!Model::Deadline.is_accrual());
}

#[test]
fn a_monitor_announces_each_level_at_its_timeout() {
    // Levels 1 and 2: one timeout (4 s) and two (8 s) after the last heartbeat.
    let m = Monitor::<String>::builder()
        .config(Config::deadline(secs(1), secs(3)).unwrap())
        .thresholds([1.0, 2.0])
        .no_pause_guard()
        .build()
        .unwrap();
    let rx = m.subscribe();
    for t in [0, 1_000, 2_000, 3_000] {
        m.heartbeat("a", ms(t)).unwrap();
    }
    // The configured threshold (1) is the first level.
    assert_eq!(m.suspicion_deadline("a"), Some(ms(7_000)));
    assert_eq!(m.level_deadline("a", 0), Some(ms(7_000)));
    assert_eq!(m.level_deadline("a", 1), Some(ms(11_000)));
    assert_eq!(m.tick(Timestamp::from_nanos(6_999_999_999)), 0);
    assert_eq!(m.tick(ms(7_000)), 1);
    assert_eq!(m.tick(ms(10_999)), 0);
    assert_eq!(m.tick(ms(11_000)), 1);
    let suspicions: Vec<(usize, f64, Duration)> = rx
        .try_iter()
        .filter_map(|e| match e {
            Event::Suspected(s) => Some((s.level, s.phi, s.silence)),
            _ => None,
        })
        .collect();
    assert_eq!(
        suspicions,
        [(0, 1.0, secs(4)), (1, 2.0, secs(8))],
        "level, phi, silence"
    );
    // A heartbeat recovers both levels, and the timeout restarts from it.
    m.heartbeat("a", ms(12_000)).unwrap();
    let recovered = rx
        .try_iter()
        .filter(|e| matches!(e, Event::Recovered(_)))
        .count();
    assert_eq!(recovered, 2);
    assert_eq!(m.level_deadline("a", 0), Some(ms(16_000)));
}

#[cfg(feature = "serde")]
#[test]
fn snapshots_keep_the_model_and_its_deadlines() {
    let m = Monitor::<String>::builder()
        .config(Config::deadline(secs(5), secs(55)).unwrap())
        .no_pause_guard()
        .build()
        .unwrap();
    m.heartbeat("a", ms(1_000)).unwrap();
    m.heartbeat("a", ms(6_000)).unwrap();
    let json = serde_json::to_string(&m.snapshot(ms(7_000))).unwrap();
    assert!(json.contains(r#""model":"deadline""#), "{json}");
    // Restored in a process whose clock reads 100 s at the same moment.
    let restored =
        Monitor::<String>::restore(serde_json::from_str(&json).unwrap(), ms(100_000)).unwrap();
    assert_eq!(restored.config().model(), Model::Deadline);
    // Last heartbeat 1 s before the snapshot, so 99 s on the new clock.
    assert_eq!(restored.suspicion_deadline("a"), Some(ms(159_000)));
    assert_eq!(restored.phi("a", ms(129_000)), Some(0.5));
}

#[cfg(feature = "tools")]
#[test]
fn tuning_scores_the_deadline_model_as_the_timeout_baseline() {
    // With no pause and the median interval as the first estimate (what
    // `accrual tune` uses), threshold k is a timeout of k median intervals:
    // the same scores as the fixed-timeout baseline at k × 100 ms.
    use accrual::trace::{NodeTrace, Trace};
    use accrual::tune::grid::DEFAULT_DEADLINE_THRESHOLDS;
    use accrual::tune::{self, Detection};
    let mut t = 0;
    let mut arrivals = Vec::new();
    for i in 0..400u64 {
        t += match i % 13 {
            0 => 450,
            5 => 230,
            7 => 130,
            _ => 100,
        };
        arrivals.push(ms(t));
    }
    let trace = Trace::new(vec![NodeTrace::new("a", arrivals).unwrap()]);
    assert_eq!(
        tune::median_interval(&trace),
        Some(Duration::from_millis(100))
    );
    let base = Config::builder()
        .first_heartbeat_estimate(Duration::from_millis(100))
        .acceptable_pause(Duration::ZERO)
        .build()
        .unwrap();
    let grid = tune::default_thresholds(Detection::Phi(Model::Deadline), 100.0);
    assert_eq!(grid, DEFAULT_DEADLINE_THRESHOLDS);
    let timeouts: Vec<f64> = grid.iter().map(|k| k * 100.0).collect();
    let deadline =
        tune::evaluate(&trace, &base, &[Detection::Phi(Model::Deadline)], &grid, 0).unwrap();
    let timeout = tune::evaluate(&trace, &base, &[Detection::Timeout], &timeouts, 0).unwrap();
    for (d, t) in deadline.iter().zip(&timeout) {
        assert_eq!(d.qos, t.qos, "threshold {}", d.threshold);
    }
    // The grid sees mistakes at the short timeouts and none at the long.
    assert!(deadline[0].qos.mistakes > 0);
    assert_eq!(deadline.last().unwrap().qos.mistakes, 0);
}
