//! Memory of one detector, for `accrual` and the other Rust phi crates.
//!
//! Run: `cargo run --release --example peer_memory`
//!
//! Each implementation is built with a 1000-sample window where that can be
//! configured and fed the same 10 000 heartbeats; a counting allocator then
//! reports the heap it holds (live bytes, not capacity reserved by the
//! allocator) and `size_of` its inline part.

#[path = "../benches/support/peers.rs"]
mod peers;

use peers::{AccrualAkka, AccrualNormal, Pafd, PhiAccrual, PhiDetector, Subject};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::SeqCst);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
        // SAFETY: `ptr` was allocated by `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::SeqCst);
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn row<S: Subject>(arrivals: &[u64]) {
    let before = LIVE.load(Ordering::SeqCst);
    let mut s = S::new();
    for &t in arrivals {
        s.heartbeat(t);
    }
    // One query too, in case an implementation allocates lazily.
    let last = *arrivals.last().expect("non-empty stream");
    std::hint::black_box(s.phi(last + 150));
    let heap = LIVE.load(Ordering::SeqCst) - before;
    let inline = std::mem::size_of::<S>();
    println!(
        "{:<34} {:>10} {:>8} {:>10}",
        S::NAME,
        heap,
        inline,
        heap + inline
    );
    drop(s);
}

fn main() {
    let arrivals = peers::arrivals_ms(10_000);
    println!(
        "{:<34} {:>10} {:>8} {:>10}",
        "implementation", "heap (B)", "inline", "total"
    );
    row::<AccrualNormal>(&arrivals);
    row::<AccrualAkka>(&arrivals);
    row::<PhiDetector>(&arrivals);
    row::<Pafd>(&arrivals);
    row::<PhiAccrual>(&arrivals);
}
