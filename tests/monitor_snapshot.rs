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

/// Peers whose heartbeats carry sequence numbers: the numbers say how many
/// sending periods each interval spans (a 1 s sender stall is one period,
/// a 200 ms gap with a number skipped is two), which the margin models'
/// expected arrival depends on and the intervals alone do not give back.
/// A restored peer answers exactly as the saved one, refuses the numbers
/// the saved one would refuse, and learns on alike.
#[test]
fn numbered_peers_round_trip_exactly() {
    for model in Model::ALL {
        let config = Config::builder()
            .model(model)
            .max_sample_size(16)
            .acceptable_pause(Duration::ZERO)
            .first_heartbeat_estimate(Duration::from_millis(100))
            .build()
            .unwrap();
        let before = Monitor::<String>::builder().config(config).build().unwrap();
        // (gap ms, number step): steady 100 ms, a stall of 1 s without a
        // lost heartbeat, a lost one, steady again; a second peer stops
        // numbering after a while.
        let plan: Vec<(u64, u64)> = (0..10)
            .map(|_| (100, 1))
            .chain([(1_000, 1), (200, 2), (110, 1), (90, 1)])
            .chain((0..4).map(|_| (100, 1)))
            .collect();
        let (mut t, mut seq) = (1_000, 7);
        for &(gap, step) in &plan {
            t += gap;
            seq += step;
            before.heartbeat_seq("numbered", ms(t), seq).unwrap();
            before.heartbeat_seq("then-not", ms(t), seq).unwrap();
        }
        before.heartbeat("then-not", ms(t + 100)).unwrap();
        let reference = ms(t + 150);
        let json = serde_json::to_string(&before.snapshot(reference)).unwrap();
        let after = Monitor::restore(serde_json::from_str(&json).unwrap(), reference).unwrap();
        for peer in ["numbered", "then-not"] {
            for offset_ms in [0u64, 50, 120, 250, 1_000] {
                let at = ms(t + 150 + offset_ms);
                assert_eq!(
                    before.phi(peer, at).unwrap().to_bits(),
                    after.phi(peer, at).unwrap().to_bits(),
                    "{model} {peer} +{offset_ms} ms"
                );
            }
        }
        // The last number travels: a stale one is refused after a restore
        // as before it.
        let next = ms(t + 300);
        assert_eq!(
            before.heartbeat_seq("numbered", next, seq),
            after.heartbeat_seq("numbered", next, seq),
            "{model}"
        );
        assert!(
            after.heartbeat_seq("numbered", next, seq).is_err(),
            "{model}"
        );
        for m in [&before, &after] {
            m.heartbeat_seq("numbered", next, seq + 3).unwrap();
            m.heartbeat_seq("then-not", next, 1).unwrap();
        }
        for peer in ["numbered", "then-not"] {
            let at = ms(t + 420);
            assert_eq!(
                before.phi(peer, at).unwrap().to_bits(),
                after.phi(peer, at).unwrap().to_bits(),
                "{model} {peer} after one more heartbeat"
            );
        }
        // And the restored monitor saves the snapshot it was given (the
        // peers in shard order, which the hasher's seed decides).
        let saved = |m: &Monitor<String>| {
            let mut v = serde_json::to_value(m.snapshot(reference)).unwrap();
            let peers = v["peers"].as_array_mut().unwrap();
            peers.sort_by(|a, b| a["peer"].as_str().cmp(&b["peer"].as_str()));
            v
        };
        assert_eq!(saved(&after), saved(&before), "{model}");
    }
}

#[test]
fn periods_must_be_one_per_sample_and_at_least_one() {
    let config = Config::builder()
        .model(Model::Chen)
        .max_sample_size(8)
        .build()
        .unwrap();
    let m = Monitor::<String>::builder().config(config).build().unwrap();
    for (i, t) in [0u64, 100, 300, 400].into_iter().enumerate() {
        m.heartbeat_seq("p", ms(t), 1 + 2 * i as u64).unwrap();
    }
    let good = serde_json::to_value(m.snapshot(ms(400))).unwrap();
    // The two bootstrap seeds (0.75 s and 1.25 s: one period of the 1 s
    // estimate each), then three intervals two numbers apart.
    assert_eq!(
        good["peers"][0]["steps"],
        serde_json::json!([1, 1, 2, 2, 2])
    );
    let refused = |change: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        change(&mut v["peers"][0]["steps"]);
        restore_err(v)
    };
    assert_eq!(
        refused(&|s| {
            s.as_array_mut().unwrap().pop();
        }),
        SnapshotError::Steps { index: 0 }
    );
    assert_eq!(
        refused(&|s| s.as_array_mut().unwrap().push(1.into())),
        SnapshotError::Steps { index: 0 }
    );
    assert_eq!(
        refused(&|s| s[1] = 0.into()),
        SnapshotError::Steps { index: 0 }
    );
    assert_eq!(
        refused(&|s| *s = Value::Array(vec![])),
        SnapshotError::Steps { index: 0 }
    );
    assert!(restore_value(good).is_ok());
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

    // Versions 1 and 2 are read (1 had no sequence numbers: the JSON of a
    // version-1 snapshot is a version-2 one without them); 0 and 3 are
    // not.
    let mut v = good.clone();
    v["version"] = 1.into();
    for peer in v["peers"].as_array_mut().unwrap() {
        let peer = peer.as_object_mut().unwrap();
        peer.remove("last_seq");
        peer.remove("steps");
    }
    assert!(restore_value(v).is_ok());
    for version in [0, 3] {
        let mut v = good.clone();
        v["version"] = version.into();
        assert_eq!(
            restore_err(v),
            SnapshotError::Version {
                found: version,
                supported: 2
            }
        );
    }

    // Sending periods: one per sample, each at least one, and only for
    // the models that count them (Akka here does not).
    let mut v = good.clone();
    let samples = v["peers"][5]["samples"].as_array().unwrap().len();
    v["peers"][5]["steps"] = Value::Array((0..samples).map(|_| 1.into()).collect());
    assert_eq!(restore_err(v), SnapshotError::Steps { index: 5 });

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
    // snapshot with estimates its model would drop (the restored monitor
    // would save another snapshot), or a Bertier peer without them, is
    // refused.
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
