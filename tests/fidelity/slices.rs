//! The real heartbeat slices in `tests/data/planetlab/`.
//!
//! Each file is a run of consecutive rows copied unchanged from a sender
//! log of the PlanetLab heartbeat experiment (`node,seq,arrival_ms`, one
//! heartbeat every 100 ms; the full logs, 100 001 heartbeats per node, are
//! `../shared/data/planetlab-send/node{0,1,3,5}.csv` next to the
//! repository). The file name is the node and the first sequence number.

use super::papers::Heartbeat;
use std::path::Path;

/// A slice: its file name and its heartbeats as exact nanosecond times.
pub struct Slice {
    pub name: &'static str,
    /// `(seq, arrival in ns since the slice's first heartbeat)`.
    pub rows: Vec<(u64, u64)>,
}

/// The slices, and why each was chosen.
pub const FILES: [&str; 5] = [
    // The most regular node (σ about 0.2 ms), with its two longest
    // intervals (101.0 and 101.06 ms at seq 65583 and 65588).
    "node0-64500.csv",
    // A 133.35 ms interval followed by a 66.7 ms one (seq 53150).
    "node1-52000.csv",
    // A 117 ms / 83 ms pair (seq 38378).
    "node3-37000.csv",
    // The sender's 1,016 ms stall (seq 61387).
    "node5-60000.csv",
    // A 217 ms interval (seq 90351) on the noisiest node (σ about 3 ms).
    "node5-89000.csv",
];

// Each event sits more than 999 heartbeats into its slice and more than
// 999 before its end, so the window is full when it enters and the slice
// goes on until it has left.

/// Reads one slice. Times are parsed exactly (`ms.fraction` as integer
/// nanoseconds) and shifted to start at zero.
pub fn load(name: &'static str) -> Slice {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/planetlab")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("node,seq,arrival_ms"), "{name}: header");
    let raw: Vec<(u64, u64)> = lines
        .map(|line| {
            let mut cols = line.split(',');
            let (_node, seq, at) = (cols.next(), cols.next(), cols.next());
            let seq: u64 = seq.and_then(|s| s.parse().ok()).expect("seq");
            (seq, exact_nanos(at.expect("arrival_ms")))
        })
        .collect();
    let t0 = raw[0].1;
    Slice {
        name,
        rows: raw.into_iter().map(|(s, t)| (s, t - t0)).collect(),
    }
}

/// `"6050000.319294"` (milliseconds) as 6 050 000 319 294 nanoseconds.
fn exact_nanos(ms: &str) -> u64 {
    let (whole, frac) = ms.split_once('.').unwrap_or((ms, ""));
    assert!(frac.len() <= 6, "{ms}: finer than a nanosecond");
    let frac_ns: u64 = format!("{frac:0<6}").parse().expect("fraction");
    whole.parse::<u64>().expect("whole ms") * 1_000_000 + frac_ns
}

impl Slice {
    /// The heartbeats with their times rounded to whole microseconds, the
    /// resolution at which the engine keeps intervals (`src/window.rs`):
    /// both sides of a comparison get these, so that it compares the
    /// algorithms, not the clocks' resolution.
    pub fn micros(&self) -> Vec<(u64, u64)> {
        self.rows
            .iter()
            .map(|&(s, ns)| (s, (ns + 500) / 1_000 * 1_000))
            .collect()
    }

    /// Rows in nanoseconds as the papers' detectors take them.
    pub fn heartbeats(rows: &[(u64, u64)]) -> Vec<Heartbeat> {
        rows.iter()
            .map(|&(seq, ns)| Heartbeat {
                seq,
                at_ms: ns as f64 / 1e6,
            })
            .collect()
    }
}
