//! The papers' detectors (the independent implementations of
//! `tests/fidelity/papers.rs`) on whole traces, for `papers/fidelity.md`.
//!
//! ```sh
//! cargo run --release --example fidelity -- ../shared/data/planetlab-send/node{0,1,3,5}.csv
//! ```
//!
//! Reads `node,seq,arrival_ms` files (one node each), and prints one CSV row
//! per model and threshold with the mistakes, the mistake time and the
//! mean detection time summed over the files: phi (normal model, window of
//! 999 intervals, σ floor 1 ns), Chen, 2W-FD (short window 1) and Bertier
//! (β 1, φ 4, γ 0.1), all with 1,000 arrivals and η = 100 ms. Nothing here
//! uses the engine.

#[path = "../tests/fidelity/papers.rs"]
mod papers;

use papers::{qos, Bertier, Chen, Heartbeat, Phi, Replay, TwoWindow};

/// One file's heartbeats, times exact to the nanosecond, shifted to start
/// at zero.
fn read(path: &str) -> Vec<Heartbeat> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("node,seq,arrival_ms"), "{path}: header");
    let rows: Vec<(u64, u64)> = lines
        .map(|line| {
            let cols: Vec<&str> = line.split(',').collect();
            let (whole, frac) = cols[2].split_once('.').unwrap_or((cols[2], ""));
            let ns = whole.parse::<u64>().expect("ms") * 1_000_000
                + format!("{frac:0<6}").parse::<u64>().expect("fraction");
            (cols[1].parse().expect("seq"), ns)
        })
        .collect();
    let t0 = rows[0].1;
    rows.iter()
        .map(|&(seq, ns)| Heartbeat {
            seq,
            at_ms: (ns - t0) as f64 / 1e6,
        })
        .collect()
}

fn main() {
    let traces: Vec<Vec<Heartbeat>> = std::env::args().skip(1).map(|p| read(&p)).collect();
    let (window, eta_ms) = (1000, 100.0);
    let phi = Phi {
        window: window - 1,
        first_interval_ms: eta_ms,
        min_std_ms: 1e-6,
    };
    let chen = Chen { window, eta_ms };
    let two = TwoWindow {
        short: 1,
        long: window,
        eta_ms,
    };
    let bertier = Bertier::paper(window, eta_ms);
    println!("model,threshold,samples,mistakes,mistake_ms,mean_detection_ms");
    let report = |model: &str, threshold: f64, taus: &dyn Fn(&[Heartbeat]) -> Vec<f64>| {
        let mut total = Replay::default();
        for t in &traces {
            let r = qos(t, &taus(t));
            total.samples += r.samples;
            total.detection_ms += r.detection_ms;
            total.mistakes += r.mistakes;
            total.mistake_ms += r.mistake_ms;
        }
        println!(
            "{model},{threshold},{},{},{:.6},{:.6}",
            total.samples,
            total.mistakes,
            total.mistake_ms,
            total.detection_ms / total.samples as f64
        );
    };
    for threshold in [0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 10.0, 16.0] {
        report("normal", threshold, &|t| phi.freshness_points(t, threshold));
    }
    for alpha in [0.1, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0] {
        report("chen", alpha, &|t| chen.freshness_points(t, alpha));
        report("2w-fd", alpha, &|t| two.freshness_points(t, alpha));
    }
    for scale in [0.5, 1.0, 2.0, 4.0, 8.0] {
        report("bertier", scale, &|t| bertier.freshness_points(t, scale));
    }
}
