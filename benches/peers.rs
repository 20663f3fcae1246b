//! `accrual` against the other Rust phi crates, on one pre-generated stream.
//!
//! Run: `cargo bench --bench peers`.
//!
//! Every implementation gets the same arrivals (100 ms mean, σ ≈ 11.5 ms,
//! whole milliseconds), window 1000 where it can be set, no acceptable pause
//! and a 1 ms standard-deviation floor. Detectors are pre-filled with 10 000
//! heartbeats, so every window has wrapped. Time comes from a simulated
//! millisecond counter; inputs are fed in chunks by `support/batched.rs`,
//! so no timed loop reads a clock or `black_box`es a result. Phi is queried 1.5 mean
//! intervals (± the stream's jitter) after the last heartbeat.
//!
//! `floor` is the cheapest conceivable heartbeat: one ring-buffer store and
//! two integer additions (Σx and Σx²), to show how close the others come to
//! the hardware's limit.

#[path = "support/batched.rs"]
mod batched;
#[path = "support/peers.rs"]
mod peers;

use batched::time_batched;
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use peers::{AccrualAkka, AccrualNormal, Pafd, PhiAccrual, PhiDetector, Subject, WINDOW};

/// Stream length, a power of two so the benches index it with a mask.
const STREAM: usize = 1 << 16;
const PREFILL: usize = 10_000;

/// The stream continued forever: after its end it repeats, shifted by its
/// own length in time, so arrivals keep increasing.
struct Feed {
    arrivals: Vec<u64>,
    period_ms: u64,
    next: usize,
}

impl Feed {
    fn new() -> Feed {
        let arrivals = peers::arrivals_ms(STREAM);
        let period_ms = arrivals[STREAM - 1] - arrivals[0] + 100;
        Feed {
            arrivals,
            period_ms,
            next: 0,
        }
    }
    #[inline]
    fn next(&mut self) -> u64 {
        let i = self.next;
        self.next += 1;
        self.arrivals[i & (STREAM - 1)] + (i / STREAM) as u64 * self.period_ms
    }
}

fn prefilled<S: Subject>(feed: &mut Feed) -> (S, u64) {
    let mut s = S::new();
    let mut last = 0;
    for _ in 0..PREFILL {
        last = feed.next();
        s.heartbeat(last);
    }
    (s, last)
}

/// The floor: ring store plus Σx and Σx² updates, nothing else.
struct Floor {
    ring: Vec<u32>,
    head: usize,
    sum: u64,
    sum_sq: u64,
    last: u64,
}

impl Floor {
    #[inline]
    fn heartbeat(&mut self, t_ms: u64) {
        let x = t_ms.wrapping_sub(self.last) as u32;
        self.last = t_ms;
        let old = std::mem::replace(&mut self.ring[self.head], x);
        self.head = if self.head + 1 == self.ring.len() {
            0
        } else {
            self.head + 1
        };
        self.sum = self
            .sum
            .wrapping_add(u64::from(x))
            .wrapping_sub(u64::from(old));
        self.sum_sq = self
            .sum_sq
            .wrapping_add(u64::from(x) * u64::from(x))
            .wrapping_sub(u64::from(old) * u64::from(old));
    }
}

fn bench_heartbeat<S: Subject>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
) {
    let mut feed = Feed::new();
    let (mut s, _) = prefilled::<S>(&mut feed);
    group.bench_function(BenchmarkId::from_parameter(S::NAME), |b| {
        b.iter_custom(|iters| {
            time_batched(
                iters,
                || feed.next(),
                |t| {
                    s.heartbeat(t);
                    0
                },
            )
        })
    });
}

fn bench_phi<S: Subject>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
) {
    let mut feed = Feed::new();
    let (mut s, last) = prefilled::<S>(&mut feed);
    let jitter = peers::arrivals_ms(1024);
    let queries: Vec<u64> = jitter
        .windows(2)
        .map(|w| last + 50 + (w[1] - w[0]))
        .collect();
    let mut i = 0usize;
    group.bench_function(BenchmarkId::from_parameter(S::NAME), |b| {
        b.iter_custom(|iters| {
            time_batched(
                iters,
                || {
                    i = i.wrapping_add(1);
                    queries[i % queries.len()]
                },
                |t| s.phi(t).to_bits(),
            )
        })
    });
}

fn heartbeat(c: &mut Criterion) {
    let mut group = c.benchmark_group("peers/heartbeat");
    bench_heartbeat::<AccrualNormal>(&mut group);
    bench_heartbeat::<AccrualAkka>(&mut group);
    bench_heartbeat::<PhiDetector>(&mut group);
    bench_heartbeat::<Pafd>(&mut group);
    bench_heartbeat::<PhiAccrual>(&mut group);
    let mut feed = Feed::new();
    let mut floor = Floor {
        ring: vec![0; WINDOW],
        head: 0,
        sum: 0,
        sum_sq: 0,
        last: 0,
    };
    for _ in 0..PREFILL {
        floor.heartbeat(feed.next());
    }
    group.bench_function(BenchmarkId::from_parameter("floor"), |b| {
        b.iter_custom(|iters| {
            time_batched(
                iters,
                || feed.next(),
                |t| {
                    floor.heartbeat(t);
                    0
                },
            )
        })
    });
    black_box((floor.sum, floor.sum_sq));
    group.finish();
}

fn phi(c: &mut Criterion) {
    let mut group = c.benchmark_group("peers/phi");
    bench_phi::<AccrualNormal>(&mut group);
    bench_phi::<AccrualAkka>(&mut group);
    bench_phi::<PhiDetector>(&mut group);
    bench_phi::<Pafd>(&mut group);
    bench_phi::<PhiAccrual>(&mut group);
    group.finish();
}

criterion_group!(benches, heartbeat, phi);
criterion_main!(benches);
