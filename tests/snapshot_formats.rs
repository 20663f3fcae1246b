//! Snapshots in any serde format (feature `serde`): bit-exact through a
//! default `serde_json` (whose float parsing does not round-trip every
//! `f64`), readable back from the binary formats bincode and postcard, a
//! pause guard validated on the way in, and a restore that allocates for
//! the samples a snapshot holds, not for the window it allows.
#![cfg(feature = "serde")]

use accrual::monitor::{Monitor, PauseGuard, Snapshot};
use accrual::{Config, Model, Timestamp};
use serde_json::Value;
use std::time::Duration;

#[path = "../benches/support/counting.rs"]
mod counting;

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

/// Offsets from the snapshot's reference at which phi is compared.
const OFFSETS_MS: [u64; 33] = [
    0, 1, 7, 33, 50, 75, 99, 100, 101, 120, 150, 173, 200, 250, 300, 333, 400, 450, 500, 600, 700,
    800, 900, 1_000, 1_200, 1_500, 2_000, 2_500, 3_000, 5_000, 10_000, 60_000, 100_000,
];

/// A monitor of `peers` peers under `model`, each with its own interval
/// and jitter (an xorshift generator), and the time of its snapshot.
fn populated(model: Model, peers: u64, window: usize) -> (Monitor<u64>, Timestamp) {
    let config = Config::builder()
        .model(model)
        .max_sample_size(window)
        .acceptable_pause(Duration::from_millis(20))
        .min_std_deviation(Duration::from_millis(1))
        .first_heartbeat_estimate(Duration::from_millis(100))
        .build()
        .unwrap();
    let monitor = Monitor::builder()
        .config(config)
        .thresholds([1.0, 3.0])
        .build()
        .unwrap();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for p in 0..peers {
        let mut t = 1_000_000_000 + p * 3_000_000;
        for _ in 0..(40 + p % 50) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            t += 60_000_000 + (p % 7) * 11_000_000 + x % 45_000_000;
            monitor.heartbeat(&p, Timestamp::from_nanos(t)).unwrap();
        }
    }
    (monitor, Timestamp::from_millis(20_000))
}

/// Compares every peer's phi at [`OFFSETS_MS`] and both level deadlines,
/// bit for bit, between `before` (at `old_ref`) and `after` (at `new_ref`).
/// Returns how many values were compared.
fn assert_same(
    before: &Monitor<u64>,
    after: &Monitor<u64>,
    peers: u64,
    old_ref: Timestamp,
    new_ref: Timestamp,
    what: &str,
) -> usize {
    let shift = |t: Timestamp| {
        let shifted = i128::from(t.as_nanos()) - i128::from(old_ref.as_nanos())
            + i128::from(new_ref.as_nanos());
        Timestamp::from_nanos(u64::try_from(shifted).unwrap())
    };
    let mut compared = 0;
    for p in 0..peers {
        for ms in OFFSETS_MS {
            let old_t = old_ref.saturating_add(Duration::from_millis(ms));
            let old = before.phi(&p, old_t).unwrap();
            let new = after.phi(&p, shift(old_t)).unwrap();
            assert_eq!(
                old.to_bits(),
                new.to_bits(),
                "{what}: peer {p} +{ms} ms: {old} {new}"
            );
            compared += 1;
        }
        for level in 0..2 {
            let old = before.level_deadline(&p, level).unwrap();
            let new = after.level_deadline(&p, level).unwrap();
            assert_eq!(shift(old), new, "{what}: peer {p} level {level}");
            compared += 1;
        }
    }
    compared
}

/// Whether any number in `v` is a float: a snapshot whose floats all travel
/// as text never depends on the format's float parsing.
fn has_float(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.is_f64(),
        Value::Array(a) => a.iter().any(has_float),
        Value::Object(o) => o.values().any(has_float),
        _ => false,
    }
}

#[test]
fn bertier_round_trips_bit_exactly_through_a_default_serde_json() {
    // 200 peers × (33 phis + 2 deadlines) = 7 000 values, as in the issue
    // (47 of which changed when the estimates travelled as JSON numbers).
    // The dev-dependency serde_json is built without `float_roundtrip`
    // (Cargo.toml), and the check below makes the test independent of it:
    // no float is left for the parser to round.
    const PEERS: u64 = 200;
    let (before, old_ref) = populated(Model::Bertier, PEERS, 64);
    let json = serde_json::to_string(&before.snapshot(old_ref)).unwrap();
    let value: Value = serde_json::from_str(&json).unwrap();
    assert!(!has_float(&value), "a float travels as a JSON number");
    let snapshot: Snapshot<u64> = serde_json::from_str(&json).unwrap();
    let new_ref = Timestamp::from_millis(1_234_567);
    let after = Monitor::restore(snapshot, new_ref).unwrap();
    assert_eq!(
        assert_same(&before, &after, PEERS, old_ref, new_ref, "json"),
        7_000
    );
}

#[test]
fn snapshots_of_every_model_round_trip_through_bincode_and_postcard() {
    const PEERS: u64 = 12;
    for model in Model::ALL {
        let (before, old_ref) = populated(model, PEERS, 32);
        let snapshot = before.snapshot(old_ref);
        let new_ref = Timestamp::from_millis(5_000_000);

        let bytes = bincode::serialize(&snapshot).unwrap();
        let back: Snapshot<u64> =
            bincode::deserialize(&bytes).unwrap_or_else(|e| panic!("{model}: bincode: {e}"));
        assert_eq!(back, snapshot, "{model}: bincode");
        let after = Monitor::restore(back, new_ref).unwrap();
        assert_same(&before, &after, PEERS, old_ref, new_ref, "bincode");

        let bytes = postcard::to_stdvec(&snapshot).unwrap();
        let back: Snapshot<u64> =
            postcard::from_bytes(&bytes).unwrap_or_else(|e| panic!("{model}: postcard: {e}"));
        assert_eq!(back, snapshot, "{model}: postcard");
        let after = Monitor::restore(back, new_ref).unwrap();
        assert_same(&before, &after, PEERS, old_ref, new_ref, "postcard");
    }
}

#[test]
fn snapshots_written_with_plain_numbers_still_read() {
    // The JSON of earlier versions: floats as numbers, Bertier's estimates
    // as numbers too, and the empty fields left out (`skipped_last` when
    // false; the estimates were left out only for models without them, so
    // every Bertier peer has its own).
    let json = r#"{"version":1,"config":{"model":"bertier","threshold":8.0,"max_sample_size":8,"min_std_deviation":{"secs":0,"nanos":1000000},"acceptable_pause":{"secs":0,"nanos":0},"first_heartbeat_estimate":{"secs":0,"nanos":100000000},"interval_warning_fraction":0.6666666666666666},"thresholds":[2.5,8.0],"expected_response_after":{"secs":0,"nanos":100000000},"pause_guard":null,"peers":[{"peer":1,"last":-5,"samples":[100000,100250],"estimates":[12.5,3.25],"never_heard":false},{"peer":2,"last":0,"samples":[99000],"estimates":[0.0,0.5],"skipped_last":true,"never_heard":false}]}"#;
    let snapshot: Snapshot<u64> = serde_json::from_str(json).unwrap();
    assert_eq!(snapshot.config().interval_warning_fraction(), 2.0 / 3.0);
    let monitor = Monitor::restore(snapshot, Timestamp::from_millis(1_000)).unwrap();
    assert_eq!(monitor.thresholds(), &[2.5, 8.0]);
    // Written back, the estimates and every float are exact strings.
    let again = serde_json::to_value(monitor.snapshot(Timestamp::from_millis(1_000))).unwrap();
    assert!(!has_float(&again));
    let peer = again["peers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["peer"] == 1)
        .unwrap();
    assert_eq!(peer["estimates"], serde_json::json!(["12.5", "3.25"]));
}

#[test]
fn a_pause_guard_read_through_serde_is_validated_like_its_constructor() {
    let zero = r#"{"max_pause":{"secs":0,"nanos":0},"grace":{"secs":1,"nanos":0}}"#;
    let err = serde_json::from_str::<PauseGuard>(zero).unwrap_err();
    assert!(err.to_string().contains("max_pause"), "{err}");
    // A valid one reads back as built.
    let guard = PauseGuard::new(Duration::from_millis(75), Duration::ZERO).unwrap();
    let json = serde_json::to_string(&guard).unwrap();
    assert_eq!(serde_json::from_str::<PauseGuard>(&json).unwrap(), guard);
    let bytes = postcard::to_stdvec(&guard).unwrap();
    assert_eq!(postcard::from_bytes::<PauseGuard>(&bytes).unwrap(), guard);
    // And in binary formats too.
    let zero = PauseGuardFields {
        max_pause: Duration::ZERO,
        grace: Duration::from_secs(1),
    };
    let bytes = bincode::serialize(&zero).unwrap();
    assert!(bincode::deserialize::<PauseGuard>(&bytes).is_err());
}

/// The wire shape of a pause guard, to write an invalid one.
#[derive(serde::Serialize)]
struct PauseGuardFields {
    max_pause: Duration,
    grace: Duration,
}

/// The snapshot of the issue: the empirical model with the largest window,
/// 8 peers of 3 samples each, in under 900 bytes.
fn small_snapshot_of_a_huge_window() -> String {
    let peers: Vec<String> = (0..8)
        .map(|p| {
            format!(r#"{{"peer":{p},"last":{p},"samples":[1000,1025,998],"never_heard":false}}"#)
        })
        .collect();
    format!(
        r#"{{"version":1,"config":{{"model":"empirical","threshold":8.0,"max_sample_size":16777216,"min_std_deviation":{{"secs":0,"nanos":100}},"acceptable_pause":{{"secs":0,"nanos":0}},"first_heartbeat_estimate":{{"secs":0,"nanos":1000}},"interval_warning_fraction":0.5}},"thresholds":[8.0],"expected_response_after":{{"secs":0,"nanos":1000}},"pause_guard":null,"peers":[{}]}}"#,
        peers.join(",")
    )
}

#[test]
fn restore_allocates_for_the_samples_held_not_the_window_allowed() {
    let json = small_snapshot_of_a_huge_window();
    assert!(json.len() < 900, "{}", json.len());
    let snapshot: Snapshot<u64> = serde_json::from_str(&json).unwrap();
    let (monitor, heap) = counting::heap_bytes_of(|| {
        Monitor::restore(snapshot, Timestamp::from_millis(60_000)).unwrap()
    });
    // A full window of 2²⁴ samples would be 64 MiB per peer (and 256 MiB
    // more for the empirical model's sorted mirror). What is held is the
    // monitor's shards and 8 small records: well under a megabyte.
    assert!(
        heap < 1 << 20,
        "{heap} bytes held after restoring 24 samples"
    );
    assert_eq!(monitor.len(), 8);
    assert_eq!(monitor.stats(&3).unwrap().samples, 3);
    // The windows grow as heartbeats come.
    let mut t = monitor.stats(&3).unwrap().last_heartbeat.unwrap();
    for _ in 0..100 {
        t = t.saturating_add(Duration::from_millis(1));
        monitor.heartbeat(&3, t).unwrap();
    }
    assert_eq!(monitor.stats(&3).unwrap().samples, 103);
}

/// A restored window that grows as heartbeats come behaves exactly as one
/// allocated in full: the same phis and deadlines, for every model, through
/// several doublings and past the point where the window is full and evicts.
#[test]
fn a_restored_window_grows_into_the_same_detector() {
    const PEERS: u64 = 6;
    for model in Model::ALL {
        // 40 to 95 samples in a window of 150: restored partly full.
        let (before, old_ref) = populated(model, PEERS, 150);
        let snapshot = before.snapshot(old_ref);
        let json = serde_json::to_string(&snapshot).unwrap();
        let back: Snapshot<u64> = serde_json::from_str(&json).unwrap();
        let new_ref = Timestamp::from_millis(3_000_000);
        let after = Monitor::restore(back, new_ref).unwrap();
        let shift = old_ref.as_nanos().abs_diff(new_ref.as_nanos());
        // 200 more heartbeats each, the same in both: the restored windows
        // grow from their samples to 150, then evict.
        let mut x: u64 = 0xDEAD_BEEF;
        for round in 0..200u64 {
            for p in 0..PEERS {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let t = old_ref.as_nanos() + round * 100_000_000 + p * 1_000 + x % 30_000_000;
                let a = before.heartbeat(&p, Timestamp::from_nanos(t)).unwrap();
                let b = after
                    .heartbeat(&p, Timestamp::from_nanos(t + shift))
                    .unwrap();
                assert_eq!(a.kind(), b.kind(), "{model} peer {p} round {round}");
            }
        }
        let old_ref = Timestamp::from_nanos(old_ref.as_nanos() + 200 * 100_000_000);
        let new_ref = Timestamp::from_nanos(old_ref.as_nanos() + shift);
        assert_same(&before, &after, PEERS, old_ref, new_ref, "grown");
        for p in 0..PEERS {
            let (old, new) = (before.stats(&p).unwrap(), after.stats(&p).unwrap());
            assert_eq!(
                (old.samples, old.mean, old.std_deviation),
                (new.samples, new.mean, new.std_deviation),
                "{model}"
            );
            assert!(new.samples > 140, "{model}: {}", new.samples);
        }
    }
}
