//! Events print as one line each, and phi prints with a sensible precision.
//! The events come from a real monitor; every expected number is worked
//! out in the comment beside it.

use accrual::monitor::{Event, Monitor, PauseGuard};
use accrual::{Config, Model, PhiDisplay, Timestamp};
use std::time::Duration;

const LN_10: f64 = std::f64::consts::LN_10;

/// Cassandra's model with no acceptable pause, heartbeats expected every
/// second: phi after a silence of `t` ms is t / (1000 · ln 10) as long as
/// the window's mean stays 1000 ms (the bootstrap seeds 750 and 1250 ms,
/// then steady 1 s intervals).
fn exponential() -> Config {
    Config::builder()
        .model(Model::Exponential)
        .acceptable_pause(Duration::ZERO)
        .first_heartbeat_estimate(Duration::from_secs(1))
        .build()
        .expect("a valid configuration")
}

fn lines(events: &crossbeam_channel::Receiver<Event<String>>) -> Vec<String> {
    events.try_iter().map(|e| e.to_string()).collect()
}

#[test]
fn a_suspicion_its_recovery_and_a_removal_print_one_line_each() {
    let monitor = Monitor::<String>::builder()
        .config(exponential())
        .no_pause_guard()
        .build()
        .expect("a monitor");
    let events = monitor.subscribe();
    for s in 0..10 {
        monitor
            .heartbeat("nodeC", Timestamp::from_millis(s * 1_000))
            .expect("in order");
    }
    // 20 s after the last heartbeat (at 9 s): phi = 20 000 / (1000 · ln 10)
    // = 8.6859 → 8.69; threshold 8 (the default) at level 0.
    monitor.tick(Timestamp::from_millis(29_000));
    assert_eq!(
        lines(&events),
        ["suspected nodeC level=0 threshold=8 phi=8.69 silence_ms=20000"]
    );
    // phi reached 8 at 9 s + 8 · 1000 · ln 10 ms = 27 420.68 ms; a heartbeat
    // at 30 s ends a suspicion of 2 579.32 ms, printed as 2579.
    assert!((8000.0 * LN_10 - 18_420.68).abs() < 0.01);
    monitor
        .heartbeat("nodeC", Timestamp::from_millis(30_000))
        .expect("in order");
    assert_eq!(
        lines(&events),
        ["recovered nodeC level=0 threshold=8 down_ms=2579"]
    );
    monitor.remove("nodeC");
    assert_eq!(lines(&events), ["removed nodeC level=0"]);
    monitor.reset();
    assert_eq!(lines(&events), ["reset"]);
}

#[test]
fn a_peer_that_never_answered_says_so() {
    let monitor = Monitor::<String>::builder()
        .config(exponential())
        .thresholds([3.0, 8.0])
        .expected_response_after(Duration::from_secs(1))
        .no_pause_guard()
        .build()
        .expect("a monitor");
    let events = monitor.subscribe();
    monitor.watch("nodeW", Timestamp::ZERO);
    // Detection starts from a virtual heartbeat at 1 s; at 21 s phi is
    // 20 000 / (1000 · ln 10) = 8.69 again, above both thresholds, and the
    // silence counts from the watch: 21 000 ms.
    monitor.tick(Timestamp::from_millis(21_000));
    assert_eq!(
        lines(&events),
        [
            "suspected nodeW level=0 threshold=3 phi=8.69 silence_ms=21000 never_heard=true",
            "suspected nodeW level=1 threshold=8 phi=8.69 silence_ms=21000 never_heard=true",
        ]
    );
}

#[test]
fn a_late_heartbeat_prints_its_interval() {
    // Defaults: acceptable pause 3 s, warning at 2/3 of it = 2 s; the
    // normal model suspects only 4.56 s after the last heartbeat.
    let monitor = Monitor::<String>::builder()
        .no_pause_guard()
        .build()
        .expect("a monitor");
    let events = monitor.subscribe();
    for s in 0..10 {
        monitor
            .heartbeat("nodeL", Timestamp::from_millis(s * 1_000))
            .expect("in order");
    }
    // 11.5 s − 9 s = 2 500 ms.
    monitor
        .heartbeat("nodeL", Timestamp::from_millis(11_500))
        .expect("in order");
    assert_eq!(lines(&events), ["late nodeL interval_ms=2500"]);
}

#[test]
fn an_observer_pause_prints_its_gap_and_hold_and_debugs_briefly() {
    let guard =
        PauseGuard::new(Duration::from_secs(1), Duration::from_millis(500)).expect("a valid guard");
    let monitor = Monitor::<u64>::builder()
        .pause_guard(guard)
        .build()
        .expect("a monitor");
    let events = monitor.subscribe();
    monitor.tick(Timestamp::from_millis(1_000));
    // 3.5 s − 1 s = 2 500 ms > 1 s: a pause, suspicions held 500 ms.
    monitor.tick(Timestamp::from_millis(3_500));
    let event = events.try_recv().expect("one event");
    assert_eq!(event.to_string(), "observer-paused gap_ms=2500 hold_ms=500");
    let Event::ObserverPaused(pause) = event else {
        panic!("{event:?}");
    };
    assert_eq!(
        format!("{pause:?}"),
        "ObserverPause { at: 3.500000s, gap: 2.5s, hold: 500ms }"
    );
}

#[test]
fn phi_prints_three_significant_digits_by_default() {
    let cases = [
        (8.412345, "8.41"),
        (12.345, "12.3"),
        (123.456, "123"),
        (8.0, "8"),
        (0.5, "0.5"),
        (0.123456, "0.123"),
        // At most three decimals: 0.0123 → 0.012.
        (0.0123, "0.012"),
        (0.0006, "0.001"),
        // Below 0.0005 nothing is left at three decimals.
        (0.0004, "0"),
        (2.8e-58, "0"),
        (0.0, "0"),
        (-0.0, "0"),
        // Rounding carries into the next digit: 9.996 → 10.00 → 10.
        (9.996, "10"),
        (999_999.0, "999999"),
        // From 10^6 on, scientific: 1.234 56 · 10^6 → 1.23e6.
        (1_234_560.0, "1.23e6"),
        (1e6, "1e6"),
        (123_456_789.0, "1.23e8"),
        (-8.412345, "-8.41"),
        (f64::NAN, "NaN"),
        (f64::INFINITY, "inf"),
    ];
    for (phi, text) in cases {
        assert_eq!(PhiDisplay::new(phi).to_string(), text, "{phi:e}");
    }
}

#[test]
fn phi_precision_sets_the_significant_digits_and_width_pads() {
    let phi = PhiDisplay::new(8.412345);
    assert_eq!(format!("{phi:.5}"), "8.4123");
    assert_eq!(format!("{phi:.1}"), "8");
    assert_eq!(format!("{:.5}", PhiDisplay::new(0.000123456)), "0.00012");
    assert_eq!(format!("{:.5}", PhiDisplay::new(123_456_789.0)), "1.2346e8");
    assert_eq!(format!("{phi:>7}|"), "   8.41|");
    assert_eq!(format!("{phi:<7}|"), "8.41   |");
    assert_eq!(format!("{phi:07}"), "0008.41");
    assert_eq!(format!("{phi:+}"), "+8.41");
}

#[test]
fn exact_phi_round_trips_and_never_prints_a_long_zero() {
    let cases = [
        (8.412345, "8.412345"),
        (1.0 / LN_10, "0.43429448190325176"),
        (0.0, "0"),
        (2.8e-58, "2.8e-58"),
        (0.0005, "5e-4"),
        (123_456_789.0, "1.23456789e8"),
    ];
    for (phi, text) in cases {
        let printed = PhiDisplay::exact(phi).to_string();
        assert_eq!(printed, text);
        assert_eq!(printed.parse::<f64>(), Ok(phi));
    }
}

/// A `tracing` subscriber that keeps every event's level, target and
/// fields (as `name=value` strings), enough to check what the monitor
/// emits without another dependency.
#[cfg(feature = "tracing")]
mod capture {
    use std::fmt;
    use std::sync::{Arc, Mutex};
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Level, Metadata, Subscriber};

    /// One captured event.
    #[derive(Debug)]
    pub struct Captured {
        pub level: Level,
        pub target: String,
        pub fields: Vec<String>,
    }

    #[derive(Clone, Default)]
    pub struct Capture(pub Arc<Mutex<Vec<Captured>>>);

    struct Fields(Vec<String>);

    impl Visit for Fields {
        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            self.0.push(format!("{}={value:?}", field.name()));
        }
    }

    impl Subscriber for Capture {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            let mut fields = Fields(Vec::new());
            event.record(&mut fields);
            self.0.lock().expect("not poisoned").push(Captured {
                level: *event.metadata().level(),
                target: event.metadata().target().to_owned(),
                fields: fields.0,
            });
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }
}

#[cfg(feature = "tracing")]
#[test]
fn a_suspicion_is_also_a_structured_tracing_event() {
    use capture::Capture;
    let capture = Capture::default();
    let monitor = Monitor::<String>::builder()
        .config(exponential())
        .no_pause_guard()
        .build()
        .expect("a monitor");
    // Nobody subscribed: tracing alone makes the monitor build its events.
    monitor.trace_events(true);
    tracing::subscriber::with_default(capture.clone(), || {
        for s in 0..10 {
            monitor
                .heartbeat("nodeC", Timestamp::from_millis(s * 1_000))
                .expect("in order");
        }
        // As in the first test: 20 s of silence, phi = 20 000 / (1000 · ln 10).
        monitor.tick(Timestamp::from_millis(29_000));
    });
    let captured = capture.0.lock().expect("not poisoned");
    assert_eq!(captured.len(), 1, "{captured:?}");
    let event = &captured[0];
    assert_eq!(event.level, tracing::Level::WARN);
    assert_eq!(event.target, "accrual");
    let [message, peer, level, threshold, phi, silence, never_heard] = &event.fields[..] else {
        panic!("{:?}", event.fields);
    };
    assert_eq!(
        [message, peer, level, threshold, silence, never_heard],
        [
            "message=suspected",
            "peer=\"nodeC\"",
            "level=0",
            "threshold=8.0",
            "silence_ms=20000",
            "never_heard=false",
        ]
    );
    // phi at full precision: 20 000 / (1000 · ln 10) = 8.685889638065…,
    // to the last few bits (the model computes it in another order).
    let phi: f64 = phi
        .strip_prefix("phi=")
        .and_then(|v| v.parse().ok())
        .expect("phi=<f64>");
    assert!((phi - 20_000.0 / (1_000.0 * LN_10)).abs() < 1e-12, "{phi}");
}

#[cfg(feature = "tracing")]
#[test]
fn tracing_can_be_turned_off_again() {
    use capture::Capture;
    let capture = Capture::default();
    let monitor = Monitor::<u64>::builder()
        .no_pause_guard()
        .build()
        .expect("a monitor");
    monitor.trace_events(true);
    monitor.trace_events(false);
    tracing::subscriber::with_default(capture.clone(), || {
        monitor
            .heartbeat(&1, Timestamp::ZERO)
            .expect("a first heartbeat");
        monitor.remove(&1);
    });
    assert!(capture.0.lock().expect("not poisoned").is_empty());
}
