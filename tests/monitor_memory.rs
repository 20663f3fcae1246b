//! Memory per peer of a monitor, measured with a counting allocator: the
//! window's samples (4 bytes each) plus a bounded per-peer overhead. The
//! full-scale figure (1,000,000 peers, 600 MB target) comes from
//! `cargo run --release --example monitor_memory`; this test checks the same
//! accounting on 20,000 peers so that a regression fails CI.

use accrual::{Config, Monitor, Timestamp};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::SeqCst);
        // SAFETY: the caller's contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::SeqCst);
        // SAFETY: the caller's contract.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::SeqCst);
        // SAFETY: the caller's contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn bytes_per_peer_are_the_samples_plus_a_bounded_overhead() {
    const PEERS: u64 = 20_000;
    const WINDOW: usize = 100;
    let config = Config::builder().max_sample_size(WINDOW).build().unwrap();
    let before = LIVE.load(Ordering::SeqCst);
    let m: Monitor<u64> = Monitor::new(config);
    for round in 0..3 {
        for p in 0..PEERS {
            let at = Timestamp::from(Duration::from_millis(round * 1_000 + p % 1_000));
            m.heartbeat(&p, at).unwrap();
        }
        m.tick(Timestamp::from(Duration::from_millis(round * 1_000)));
    }
    let per_peer = (LIVE.load(Ordering::SeqCst) - before) as f64 / PEERS as f64;
    let samples = 4.0 * WINDOW as f64;
    // Record (120 bytes), slot pointer, index bucket, queue entry, with the
    // vectors' growth slack: measured at about 160 bytes at this size.
    assert!(per_peer >= samples, "{per_peer}");
    assert!(per_peer - samples < 200.0, "{per_peer} bytes per peer");
    drop(m);
    let left = LIVE.load(Ordering::SeqCst) - before;
    assert!(left < 64 * 1024, "{left} bytes still allocated after drop");
}
