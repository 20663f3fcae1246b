//! Snapshot restore from arbitrary bytes, in any serde format: decoding
//! either fails with the format's error or gives a snapshot; restoring
//! that either fails with a `SnapshotError` or gives a monitor; nothing
//! panics, and memory stays bounded by what the bytes hold (the fuzzer's
//! memory limit catches a restore that allocates for windows the snapshot
//! does not fill). A restored monitor saves an equal snapshot, and that
//! snapshot written in the same format reads back equal, bit for bit; so
//! does its snapshot after one more heartbeat per peer, whose model
//! estimates the crate computed itself rather than parsed from text.
//!
//! The configuration and the pause guard, decoded on their own from the
//! same bytes, must be values their constructors accept: serde is no way
//! around validation.

use accrual::monitor::{Monitor, PauseGuard, Snapshot};
use accrual::{Config, Timestamp};
use bincode::Options;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A serde format: how the bytes are read and written.
pub trait Format {
    fn name(&self) -> &'static str;
    fn decode<T: DeserializeOwned>(&self, bytes: &[u8]) -> Option<T>;
    fn encode<T: Serialize>(&self, value: &T) -> Vec<u8>;
}

/// JSON through `serde_json` as its default features build it.
pub struct Json;

impl Format for Json {
    fn name(&self) -> &'static str {
        "JSON"
    }
    fn decode<T: DeserializeOwned>(&self, bytes: &[u8]) -> Option<T> {
        serde_json::from_slice(bytes).ok()
    }
    fn encode<T: Serialize>(&self, value: &T) -> Vec<u8> {
        serde_json::to_vec(value).expect("a snapshot serialises to JSON")
    }
}

/// postcard, the compact format of embedded and no_std programs.
pub struct Postcard;

impl Format for Postcard {
    fn name(&self) -> &'static str {
        "postcard"
    }
    fn decode<T: DeserializeOwned>(&self, bytes: &[u8]) -> Option<T> {
        postcard::from_bytes(bytes).ok()
    }
    fn encode<T: Serialize>(&self, value: &T) -> Vec<u8> {
        postcard::to_allocvec(value).expect("a snapshot serialises to postcard")
    }
}

/// bincode 1 with its default options (variable-length integers); reads
/// are limited to the input's size so that a length prefix cannot make
/// bincode itself allocate more than the bytes hold.
pub struct Bincode;

impl Format for Bincode {
    fn name(&self) -> &'static str {
        "bincode"
    }
    fn decode<T: DeserializeOwned>(&self, bytes: &[u8]) -> Option<T> {
        bincode::DefaultOptions::new()
            .with_limit(bytes.len() as u64)
            .deserialize(bytes)
            .ok()
    }
    fn encode<T: Serialize>(&self, value: &T) -> Vec<u8> {
        bincode::DefaultOptions::new()
            .serialize(value)
            .expect("a snapshot serialises to bincode")
    }
}

/// The reference times restores are made at: the origin (so that saved
/// arrivals before the reference fall outside the clock) and a later time.
const REFERENCES: [u64; 2] = [0, 1 << 62];

/// Decodes `bytes` in `format` as a snapshot, a configuration and a pause
/// guard, and checks each as described above.
pub fn check(format: &impl Format, bytes: &[u8]) {
    if let Some(config) = format.decode::<Config>(bytes) {
        assert_eq!(
            config.to_builder().build().as_ref(),
            Ok(&config),
            "{}: a decoded configuration that the builder refuses",
            format.name()
        );
    }
    if let Some(guard) = format.decode::<PauseGuard>(bytes) {
        assert_eq!(
            PauseGuard::new(guard.max_pause(), guard.grace()),
            Ok(guard),
            "{}: a decoded pause guard that `PauseGuard::new` refuses",
            format.name()
        );
    }
    let Some(snapshot) = format.decode::<Snapshot<String>>(bytes) else {
        return;
    };
    for reference in REFERENCES.map(Timestamp::from_nanos) {
        let Ok(monitor) = Monitor::restore(snapshot.clone(), reference) else {
            continue;
        };
        let again = monitor.snapshot(reference);
        assert_eq!(
            canonical(&again),
            canonical(&snapshot),
            "{}: the restored monitor saves another snapshot",
            format.name()
        );
        let written = format.encode(&again);
        let Some(back) = format.decode::<Snapshot<String>>(&written) else {
            panic!(
                "{}: a snapshot the crate wrote does not read back",
                format.name()
            );
        };
        assert_eq!(
            canonical(&back),
            canonical(&again),
            "{}: a snapshot changed in a round trip",
            format.name()
        );
        // Values the crate computes itself (not parsed from text): one
        // more heartbeat per peer, then the same round trip.
        for peer in snapshot.peers() {
            let last = monitor.stats(peer).and_then(|s| s.last_heartbeat);
            let next = last.unwrap_or(reference).saturating_add(ONE_SECOND);
            let _ = monitor.heartbeat(peer.as_str(), next);
        }
        let computed = monitor.snapshot(reference);
        let written = format.encode(&computed);
        let back = format.decode::<Snapshot<String>>(&written);
        assert!(
            back.as_ref()
                .is_some_and(|b| canonical(b) == canonical(&computed)),
            "{}: a snapshot of computed estimates changed in a round trip",
            format.name()
        );
    }
}

const ONE_SECOND: std::time::Duration = std::time::Duration::from_secs(1);

/// The snapshot as a JSON value, its peers sorted by key (a monitor saves
/// its peers in shard order, which its hasher's seed decides) and its
/// thresholds in increasing order.
fn canonical(snapshot: &Snapshot<String>) -> serde_json::Value {
    let mut value = serde_json::to_value(snapshot).expect("a snapshot is a JSON value");
    if let Some(peers) = value.get_mut("peers").and_then(|p| p.as_array_mut()) {
        peers.sort_by(|a, b| a["peer"].as_str().cmp(&b["peer"].as_str()));
    }
    // A monitor saves in the version this crate writes, whichever earlier
    // one it read.
    if let Some(version) = value.get_mut("version") {
        *version = accrual::monitor::SNAPSHOT_VERSION.into();
    }
    // A monitor keeps the expected response within the clock's range
    // (`MonitorBuilder::expected_response_after`): a longer one saves as
    // the range.
    let clock = std::time::Duration::from_nanos(u64::MAX);
    if let Some(expected) = value.get_mut("expected_response_after") {
        let d: std::time::Duration =
            serde_json::from_value(expected.clone()).expect("a saved duration");
        *expected = serde_json::to_value(d.min(clock)).expect("a duration is a JSON value");
    }
    // A monitor keeps its thresholds sorted (the builder sorts them), so a
    // snapshot listing them in another order restores to the same monitor.
    if let Some(thresholds) = value.get_mut("thresholds").and_then(|t| t.as_array_mut()) {
        let key = |v: &serde_json::Value| {
            v.as_str()
                .and_then(|s| s.parse::<f64>().ok())
                .or_else(|| v.as_f64())
        };
        thresholds.sort_by(|a, b| {
            key(a)
                .partial_cmp(&key(b))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }
    value
}
