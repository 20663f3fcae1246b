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

/// The snapshot as a JSON value (floats as exact `f64`s, never as text),
/// its peers sorted by key (a monitor saves its peers in shard order,
/// which its hasher's seed decides) and its thresholds in increasing order.
fn canonical(snapshot: &Snapshot<String>) -> serde_json::Value {
    let mut value = serde_json::to_value(snapshot).expect("a snapshot is a JSON value");
    if let Some(peers) = value.get_mut("peers").and_then(|p| p.as_array_mut()) {
        peers.sort_by(|a, b| a["peer"].as_str().cmp(&b["peer"].as_str()));
    }
    // The monitor takes its thresholds in any order and sorts them.
    if let Some(thresholds) = value.get_mut("thresholds").and_then(|t| t.as_array_mut()) {
        let number = |v: &serde_json::Value| {
            v.as_f64()
                .or_else(|| v.as_str()?.parse().ok())
                .unwrap_or(f64::NAN)
        };
        thresholds.sort_by(|a, b| number(a).total_cmp(&number(b)));
    }
    value
}
