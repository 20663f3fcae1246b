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

#[path = "../benches/support/counting.rs"]
mod counting;

use counting::Counting;

#[global_allocator]
static GLOBAL: Counting = Counting;

fn row<S: Subject>(arrivals: &[u64]) {
    let (s, heap) = counting::heap_bytes_of(|| {
        let mut s = S::new();
        for &t in arrivals {
            s.heartbeat(t);
        }
        // One query too, in case an implementation allocates lazily.
        let last = *arrivals.last().expect("non-empty stream");
        std::hint::black_box(s.phi(last + 150));
        s
    });
    let inline = std::mem::size_of::<S>();
    println!(
        "{:<34} {:>10} {:>8} {:>10}",
        S::NAME,
        heap,
        inline,
        heap + inline as isize
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
