//! Heartbeat ingest throughput of a `Monitor`, best and median of several
//! runs of about three million heartbeats: a quick check whose best run is
//! less sensitive than criterion's median to other processes sharing the
//! machine (they can only make a run slower).
//!
//! Run: `cargo run --release --example monitor_ingest -- [peers] [threads] [runs]`
//! (defaults: 100,000 peers, 1 thread, 7 runs).
//!
//! Same pattern as `benches/monitor.rs` (`ingest/T/N`): `Config::for_interval(100 ms)`,
//! a 100-sample window filled before measuring, `u64` peer ids, each thread
//! feeding its own contiguous share of the peers round-robin in the order
//! they joined, every peer every 100 ms of simulated time.

use accrual::{Config, Monitor, Timestamp};
use std::time::{Duration, Instant};

const INTERVAL_NS: u64 = 100_000_000;

/// Sends `rounds` rounds of heartbeats to peers `first..first + count`,
/// starting at simulated time `t`; returns the time after the last one.
fn feed(m: &Monitor<u64>, first: u64, count: u64, rounds: u64, mut t: u64) -> u64 {
    let step = INTERVAL_NS / count;
    for _ in 0..rounds {
        for i in 0..count {
            m.heartbeat(&(first + i), Timestamp::from_nanos(t))
                .expect("increasing timestamps");
            t += step;
        }
    }
    t
}

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>().ok());
    let peers = args.next().flatten().unwrap_or(100_000);
    let threads = args.next().flatten().unwrap_or(1).max(1);
    let runs = args.next().flatten().unwrap_or(7).max(1);
    let config = Config::for_interval(Duration::from_nanos(INTERVAL_NS))
        .and_then(|c| c.to_builder().max_sample_size(100).build())
        .expect("valid configuration");
    let m: Monitor<u64> = Monitor::builder()
        .config(config)
        .capacity(peers as usize)
        .build()
        .expect("valid settings");
    let share = peers / threads;
    let mut clocks: Vec<u64> = (0..threads)
        .map(|j| feed(&m, j * share, share, 102, 1_000_000_000))
        .collect();
    // About three million heartbeats per run.
    let rounds = 3_000_000 / (share * threads) + 1;
    let mut rates = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        std::thread::scope(|s| {
            for (j, clock) in clocks.iter_mut().enumerate() {
                let m = &m;
                s.spawn(move || *clock = feed(m, j as u64 * share, share, rounds, *clock));
            }
        });
        rates.push((rounds * share * threads) as f64 / start.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "{peers} peers, {threads} thread(s), {runs} runs: best {:.1}, median {:.1} million heartbeats/s",
        rates[rates.len() - 1] / 1e6,
        rates[rates.len() / 2] / 1e6
    );
}
