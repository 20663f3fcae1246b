//! Memory per peer of a monitor, measured with a counting allocator: the
//! window's samples (4 bytes each) plus a bounded per-peer overhead. The
//! full-scale figure (1,000,000 peers, 600 MB target) comes from
//! `cargo run --release --example monitor_memory`; this test checks the same
//! accounting on 20,000 peers so that a regression fails CI.

use accrual::{Config, Monitor, Timestamp};
use std::time::Duration;

#[path = "../benches/support/counting.rs"]
mod counting;

use counting::Counting;

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn bytes_per_peer_are_the_samples_plus_a_bounded_overhead() {
    const PEERS: u64 = 20_000;
    const WINDOW: usize = 100;
    let config = Config::builder().max_sample_size(WINDOW).build().unwrap();
    let before = counting::live_bytes();
    let m: Monitor<u64> = Monitor::new(config);
    for round in 0..3 {
        for p in 0..PEERS {
            let at = Timestamp::from(Duration::from_millis(round * 1_000 + p % 1_000));
            m.heartbeat(&p, at).unwrap();
        }
        m.tick(Timestamp::from(Duration::from_millis(round * 1_000)));
    }
    let per_peer = (counting::live_bytes() - before) as f64 / PEERS as f64;
    let samples = 4.0 * WINDOW as f64;
    // Record (120 bytes), slot pointer, index bucket, queue entry, with the
    // vectors' growth slack: measured at about 160 bytes at this size.
    assert!(per_peer >= samples, "{per_peer}");
    assert!(per_peer - samples < 200.0, "{per_peer} bytes per peer");
    drop(m);
    let left = counting::live_bytes() - before;
    assert!(left < 64 * 1024, "{left} bytes still allocated after drop");
}
