//! A self-contained tour: a simulated peer, the three models, what they say.
//!
//! Run: `cargo run --release --example demo`
//!
//! The peer sends a heartbeat every 100 ms for ten minutes over a link with
//! jitter (sum of four uniform ±10 ms delays), 0.5 % independent loss and a
//! rare burst of loss, then crashes. The simulation is seeded, so every run
//! prints the same numbers. For each model the demo reports how many times a
//! live peer was wrongly suspected, how long after the crash it was
//! suspected, and phi after long silences, which stays finite and ordered.

use accrual::{Config, Detector, Model, Timestamp};
use std::time::Duration;

/// A small deterministic generator (xorshift64*), enough for a demo.
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Arrival times (ns) of the heartbeats that got through, and the crash time.
fn simulate() -> (Vec<u64>, u64) {
    let mut rng = Rng(0x5EED_2004);
    let interval_ns = 100_000_000u64;
    let beats = 6_000u64;
    let mut arrivals = Vec::new();
    let mut burst_left = 0;
    for k in 0..beats {
        let send = 1_000_000_000 + k * interval_ns;
        if burst_left > 0 {
            burst_left -= 1;
            continue;
        }
        if rng.next_f64() < 0.0005 {
            burst_left = 4; // lose this and the next four heartbeats
            continue;
        }
        if rng.next_f64() < 0.005 {
            continue;
        }
        let jitter: f64 = (0..4).map(|_| rng.next_f64() * 20.0 - 10.0).sum();
        let delay_ms = 20.0 + jitter;
        arrivals.push(send + (delay_ms * 1e6) as u64);
    }
    arrivals.sort_unstable();
    let crash = 1_000_000_000 + beats * interval_ns;
    (arrivals, crash)
}

fn main() {
    let (arrivals, crash_ns) = simulate();
    let config = |model| {
        Config::for_interval(Duration::from_millis(100))
            .and_then(|c| c.to_builder().model(model).build())
            .expect("valid demo configuration")
    };
    println!(
        "{} heartbeats over {:.0} s (100 ms interval, jitter, loss), then a crash.\n",
        arrivals.len(),
        (crash_ns - 1_000_000_000) as f64 / 1e9
    );
    println!(
        "{:<12} {:>9} {:>14}   phi after a silence of k × 100 ms",
        "model", "mistakes", "detection"
    );
    println!(
        "{:<12} {:>9} {:>14}   {:>9} {:>9} {:>9} {:>9} {:>11}",
        "", "", "", "k=1", "k=2", "k=10", "k=100", "k=1000"
    );
    for model in Model::ALL {
        let mut detector = Detector::new(config(model));
        // A heartbeat that arrives after phi crossed the threshold ends a
        // wrong suspicion of the live peer: the detector reports it.
        let mut mistakes = 0;
        for &t in &arrivals {
            let arrival = detector
                .heartbeat(Timestamp::from_nanos(t))
                .expect("arrivals are sorted");
            if arrival.is_recovery() {
                mistakes += 1;
            }
        }
        let last = detector.last_heartbeat().expect("heartbeats were fed");
        let deadline = detector.suspicion_deadline().expect("monitoring");
        let detection_ms = deadline.as_nanos().saturating_sub(crash_ns) as f64 / 1e6;
        let phis: Vec<String> = [1u64, 2, 10, 100, 1000]
            .iter()
            .map(|k| {
                let t = last.saturating_add(Duration::from_millis(100 * k));
                format!("{:.4e}", detector.phi(t))
            })
            .collect();
        println!(
            "{:<12} {:>9} {:>11.1} ms   {:>9} {:>9} {:>9} {:>9} {:>11}",
            model.name(),
            mistakes,
            detection_ms,
            phis[0],
            phis[1],
            phis[2],
            phis[3],
            phis[4]
        );
    }
    println!(
        "\nmistakes: suspicions of the live peer (threshold 8); detection: time from \
         the crash until phi reaches 8.\nFor chen and 2w-fd the level and threshold are \
         milliseconds past the expected arrival, for bertier multiples of its margin."
    );
}
