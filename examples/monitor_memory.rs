//! Measures the memory a `Monitor` uses per peer, with a counting global
//! allocator (not an estimate).
//!
//! Run: `cargo run --release --example monitor_memory [peers] [window]`
//! (defaults: 1,000,000 peers, window of 100 samples).
//!
//! Every peer is created by a heartbeat and then fed enough heartbeats to
//! fill its window, so the figure is the steady state (queue entries
//! included). Prints the live heap bytes per peer, split into the window's
//! samples (4 bytes each) and the per-peer overhead, plus the process's
//! resident set size from `/proc/self/statm` where available (which adds the
//! allocator's own per-allocation overhead, about 16 bytes per window with
//! glibc).

use accrual::{Config, Monitor, Timestamp};
use std::time::{Duration, Instant};

#[path = "../benches/support/counting.rs"]
mod counting;

use counting::Counting;

#[global_allocator]
static GLOBAL: Counting = Counting;

fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let peers: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let window: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);

    let config = Config::builder()
        .max_sample_size(window)
        .build()
        .expect("valid window size");
    let rss_before = rss_bytes();
    let before = counting::live_bytes();
    let allocs_before = counting::live_allocations();
    let started = Instant::now();

    let monitor = Monitor::<u64>::new(config);
    // Rounds of one heartbeat per peer, 1 s apart, until every window is
    // full; a tick after each round pops and re-queues due entries as a
    // live system would.
    let rounds = window as u64 + 2;
    for round in 0..rounds {
        let t = Timestamp::from(Duration::from_secs(round));
        for peer in 0..peers {
            // Offsets of up to ~1 ms spread the peers' deadlines.
            let at = t.saturating_add(Duration::from_nanos(peer * 997 % 1_000_000));
            monitor.heartbeat(&peer, at).expect("increasing timestamps");
        }
        monitor.tick(t);
    }
    let elapsed = started.elapsed();

    let bytes = (counting::live_bytes() - before) as f64;
    let allocs = counting::live_allocations() - allocs_before;
    let per_peer = bytes / peers as f64;
    let samples = 4.0 * window as f64;
    println!("peers: {peers}, window: {window} samples, fed {rounds} rounds in {elapsed:.1?}");
    println!(
        "live heap: {:.1} MB ({:.1} MiB), {allocs} allocations",
        bytes / 1e6,
        bytes / (1024.0 * 1024.0)
    );
    println!(
        "per peer: {per_peer:.1} bytes = {samples:.0} bytes of samples (4 bytes x {window}) \
         + {:.1} bytes of overhead",
        per_peer - samples
    );
    println!(
        "peak heap: {:.1} MB",
        (counting::peak_bytes() - before) as f64 / 1e6
    );
    if let (Some(a), Some(b)) = (rss_before, rss_bytes()) {
        println!(
            "resident set growth: {:.1} MB ({:.1} bytes per peer, allocator overhead included)",
            (b.saturating_sub(a)) as f64 / 1e6,
            b.saturating_sub(a) as f64 / peers as f64
        );
    }
    std::hint::black_box(&monitor);
}
