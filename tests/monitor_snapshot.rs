//! Snapshot and restore of a monitor (feature `serde`): exact round trips,
//! and typed errors, never panics, for corrupt or truncated snapshots.
#![cfg(feature = "serde")]

use accrual::monitor::{Monitor, PauseGuard, Snapshot, SnapshotError};
use accrual::{Config, Model, Timestamp};
use proptest::prelude::*;
use serde_json::Value;
use std::time::Duration;

fn ms(t: u64) -> Timestamp {
    Timestamp::from_millis(t)
}

/// A monitor with peers of varied histories, and the time of the snapshot.
fn populated() -> (Monitor<String>, Timestamp) {
    populated_with(Model::Akka)
}

fn populated_with(model: Model) -> (Monitor<String>, Timestamp) {
    let config = Config::builder()
        .model(model)
        .max_sample_size(64)
        .acceptable_pause(Duration::from_millis(500))
        .build()
        .unwrap();
    let m = Monitor::builder()
        .config(config)
        .thresholds([2.5, 8.0])
        .expected_response_after(Duration::from_millis(700))
        .pause_guard(PauseGuard::new(Duration::from_secs(4), Duration::from_secs(2)).unwrap())
        .build()
        .unwrap();
    // Ten peers, each with its own interval and jitter; one sends a single
    // heartbeat, one is only watched.
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for p in 0..10u64 {
        let mut t = 1_000_000_000 + p * 7_000_000;
        for _ in 0..100 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            t += 50_000_000 + p * 10_000_000 + x % 20_000_000;
            m.heartbeat(&format!("peer-{p}"), Timestamp::from_nanos(t))
                .unwrap();
        }
    }
    m.heartbeat("once", ms(5_000)).unwrap();
    m.watch("silent", ms(9_000));
    (m, ms(12_000))
}

#[test]
fn round_trip_preserves_phi_exactly() {
    // Every model: Bertier's estimates travel in the snapshot, the other
    // models' histories are rebuilt from the samples.
    for model in Model::ALL {
        round_trip_preserves_phi_exactly_with(model);
    }
}

fn round_trip_preserves_phi_exactly_with(model: Model) {
    let (before, old_ref) = populated_with(model);
    let json = serde_json::to_string(&before.snapshot(old_ref)).unwrap();
    let snapshot: Snapshot<String> = serde_json::from_str(&json).unwrap();
    assert_eq!(snapshot.len(), 12);
    // The new process's clock has another origin, earlier or later.
    for new_ref in [ms(12_000), ms(50_000), ms(987_654_321)] {
        let after = Monitor::restore(snapshot.clone(), new_ref).unwrap();
        assert_eq!(after.len(), before.len());
        assert_eq!(after.thresholds(), before.thresholds());
        assert_eq!(after.config(), before.config());
        assert_eq!(after.pause_guard(), before.pause_guard());
        assert_eq!(after.expected_response_after(), Duration::from_millis(700));
        let shift = |t: Timestamp| {
            Timestamp::from_nanos(t.as_nanos() + new_ref.as_nanos() - old_ref.as_nanos())
        };
        for peer in snapshot.peers() {
            for offset_ms in [0u64, 100, 333, 1_000, 2_500, 10_000, 100_000] {
                let old_t = old_ref.saturating_add(Duration::from_millis(offset_ms));
                let old_phi = before.phi(peer, old_t).unwrap();
                let new_phi = after.phi(peer, shift(old_t)).unwrap();
                assert_eq!(
                    old_phi.to_bits(),
                    new_phi.to_bits(),
                    "{model} {peer} +{offset_ms} ms"
                );
                assert_eq!(
                    before.availability(peer, old_t),
                    after.availability(peer, shift(old_t))
                );
            }
            for level in 0..2 {
                let old = before.level_deadline(peer, level).unwrap();
                let new = after.level_deadline(peer, level).unwrap();
                assert_eq!(new, shift(old), "{peer} level {level}");
            }
            assert_eq!(before.is_monitoring(peer), after.is_monitoring(peer));
            let (s0, s1) = (before.stats(peer).unwrap(), after.stats(peer).unwrap());
            assert_eq!(
                (s0.samples, s0.mean, s0.std_deviation),
                (s1.samples, s1.mean, s1.std_deviation)
            );
            assert_eq!(after.level(peer), Some(0));
        }
        // Restored peers are scheduled: silence leads to suspicions.
        let rx = after.subscribe();
        assert_eq!(after.tick(shift(ms(1_000_000))), 24);
        assert_eq!(rx.try_iter().count(), 24);
    }
}

#[test]
fn restored_monitor_learns_on() {
    let (before, old_ref) = populated();
    let snap = before.snapshot(old_ref);
    let after = Monitor::restore(snap, ms(100_000)).unwrap();
    // "once" sent its heartbeat 7 s before the old reference.
    let last = after.stats("once").unwrap().last_heartbeat.unwrap();
    assert_eq!(last, ms(93_000));
    // The next heartbeat continues the same detector (no fresh bootstrap).
    let samples = after.stats("peer-3").unwrap().samples;
    let t = after.stats("peer-3").unwrap().last_heartbeat.unwrap();
    after
        .heartbeat("peer-3", t.saturating_add(Duration::from_millis(80)))
        .unwrap();
    assert_eq!(after.stats("peer-3").unwrap().samples, samples.min(63) + 1);
    // A watched peer stays watched.
    assert!(!after.is_monitoring("silent") && after.contains("silent"));
}

fn valid_json() -> Value {
    let (m, r) = populated();
    serde_json::to_value(m.snapshot(r)).unwrap()
}

fn restore_value(v: Value) -> Result<Monitor<String>, String> {
    let snapshot: Snapshot<String> =
        serde_json::from_value(v).map_err(|e| format!("format: {e}"))?;
    Monitor::restore(snapshot, ms(100_000)).map_err(|e| format!("restore: {e}"))
}

fn restore_err(v: Value) -> SnapshotError {
    let snapshot: Snapshot<String> = serde_json::from_value(v).expect("well-formed");
    Monitor::restore(snapshot, ms(100_000)).expect_err("must be refused")
}

#[test]
fn corrupt_snapshots_are_typed_errors() {
    let good = valid_json();
    assert!(restore_value(good.clone()).is_ok());

    let mut v = good.clone();
    v["version"] = 2.into();
    assert_eq!(
        restore_err(v),
        SnapshotError::Version {
            found: 2,
            supported: 1
        }
    );

    let mut v = good.clone();
    v["peers"][3]["samples"] = Value::Array(vec![]);
    assert!(matches!(
        restore_err(v),
        SnapshotError::Window {
            index: 3,
            samples: 0,
            max: 64
        }
    ));

    let mut v = good.clone();
    v["peers"][4]["samples"] = Value::Array((0..65).map(|_| 1000.into()).collect());
    assert!(matches!(
        restore_err(v),
        SnapshotError::Window {
            index: 4,
            samples: 65,
            ..
        }
    ));

    let mut v = good.clone();
    let first = v["peers"][0]["peer"].clone();
    v["peers"][7]["peer"] = first;
    assert_eq!(restore_err(v), SnapshotError::DuplicatePeer { index: 7 });

    let mut v = good.clone();
    v["peers"][2]["last"] = (-200_000_000_000i64).into(); // before the new clock's origin
    assert_eq!(restore_err(v), SnapshotError::Time { index: 2 });

    let mut v = good.clone();
    v["thresholds"] = serde_json::json!([3.0, -1.0]);
    assert!(matches!(restore_err(v), SnapshotError::Settings(_)));

    let mut v = good.clone();
    v["thresholds"] = serde_json::json!([]);
    assert!(matches!(restore_err(v), SnapshotError::Settings(_)));

    // A zero max pause is refused as the guard is deserialised, as its
    // constructor refuses it (before, only by `restore`).
    let mut v = good.clone();
    v["pause_guard"]["max_pause"] = serde_json::json!({"secs": 0, "nanos": 0});
    let err = restore_value(v).unwrap_err();
    assert!(
        err.starts_with("format") && err.contains("max_pause"),
        "{err}"
    );

    // Invalid configuration values are refused by the format layer, which
    // validates `Config` on the way in; unknown fields too.
    let mut v = good.clone();
    v["config"]["threshold"] = (-8.0).into();
    assert!(restore_value(v).unwrap_err().starts_with("format"));
    let mut v = good.clone();
    v["peers"][0]["extra"] = 1.into();
    assert!(restore_value(v).unwrap_err().starts_with("format"));
    let mut v = good.clone();
    v["peers"][0]["samples"][0] = (-1).into();
    assert!(restore_value(v).unwrap_err().starts_with("format"));

    // Errors explain themselves.
    let msg = SnapshotError::Window {
        index: 1,
        samples: 0,
        max: 64,
    }
    .to_string();
    assert!(msg.contains("#1") && msg.contains("64"), "{msg}");
}

#[test]
fn truncated_snapshots_are_errors_not_panics() {
    let json = serde_json::to_string(&valid_json()).unwrap();
    let step = (json.len() / 200).max(1);
    for cut in (0..json.len()).step_by(step) {
        let result = serde_json::from_str::<Snapshot<String>>(&json[..cut]);
        assert!(result.is_err(), "a prefix of {cut} bytes parsed");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any single-byte corruption: a format error, a restore error, or a
    /// valid monitor; never a panic.
    #[test]
    fn corrupted_bytes_never_panic(pos in 0usize..10_000, byte in any::<u8>()) {
        let mut bytes = serde_json::to_vec(&valid_json()).unwrap();
        let at = pos % bytes.len();
        bytes[at] = byte;
        if let Ok(snapshot) = serde_json::from_slice::<Snapshot<String>>(&bytes) {
            if let Ok(m) = Monitor::restore(snapshot, ms(50_000)) {
                // Whatever was restored is usable.
                m.tick(ms(60_000));
                let _ = m.peers(ms(60_000));
            }
        }
    }
}

#[test]
fn estimates_must_be_those_of_the_model() {
    // Bertier's model keeps two estimates per peer, the others none. A
    // snapshot with estimates its model would drop (found by fuzzing: the
    // restored monitor then saved another snapshot), or a Bertier peer
    // without them, is refused.
    let mut v = valid_json();
    v["peers"][0]["estimates"] = serde_json::json!(["1", "2"]);
    assert_eq!(restore_err(v), SnapshotError::Estimates { index: 0 });

    let (m, r) = populated_with(Model::Bertier);
    let mut v = serde_json::to_value(m.snapshot(r)).unwrap();
    assert!(v["peers"][3]["estimates"].is_array());
    assert!(restore_value(v.clone()).is_ok());
    v["peers"][3]["estimates"] = Value::Null;
    assert_eq!(restore_err(v), SnapshotError::Estimates { index: 3 });
}
