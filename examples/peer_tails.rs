//! Phi after long silences, for `accrual` and the other Rust phi crates.
//!
//! Run: `cargo run --release --example peer_tails`
//!
//! Every implementation is fed the same 2000 heartbeats (100 ms mean,
//! σ ≈ 11.5 ms, window 1000, no acceptable pause, 1 ms std floor where
//! configurable), then asked for phi after a silence of 1×, 2×, 10×, 100×
//! and 1000× the mean interval. A detector that ranks silent peers by phi
//! needs these to be finite and increasing.

#[path = "../benches/support/peers.rs"]
mod peers;

use peers::{AccrualAkka, AccrualNormal, Pafd, PhiAccrual, PhiDetector, Subject};

const MULTIPLES: [u64; 5] = [1, 2, 10, 100, 1000];

fn row<S: Subject>(arrivals: &[u64]) {
    let mut s = S::new();
    for &t in arrivals {
        s.heartbeat(t);
    }
    let last = *arrivals.last().expect("non-empty stream");
    let phis: Vec<f64> = MULTIPLES.iter().map(|k| s.phi(last + 100 * k)).collect();
    let finite = phis.iter().all(|p| p.is_finite());
    let ordered = phis.windows(2).all(|w| w[0] < w[1]);
    let cells: Vec<String> = phis.iter().map(|p| format!("{p:>11.4e}")).collect();
    println!(
        "{:<34} {}  {:>6} {:>7}",
        S::NAME,
        cells.join(" "),
        if finite { "yes" } else { "no" },
        if ordered { "yes" } else { "no" }
    );
}

fn main() {
    let arrivals = peers::arrivals_ms(2000);
    println!(
        "{:<34} {:>11} {:>11} {:>11} {:>11} {:>11}  {:>6} {:>7}",
        "implementation", "1×", "2×", "10×", "100×", "1000×", "finite", "ordered"
    );
    row::<AccrualNormal>(&arrivals);
    row::<AccrualAkka>(&arrivals);
    row::<PhiDetector>(&arrivals);
    row::<Pafd>(&arrivals);
    row::<PhiAccrual>(&arrivals);
}
