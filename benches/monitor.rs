//! Multi-peer monitor costs: heartbeat ingest from one and two threads,
//! tick with nothing due and with k peers due, and a full phi sweep.
//!
//! Run: `cargo bench --bench monitor` (or a group: `-- ingest`, `-- tick`,
//! `-- sweep`).
//!
//! Every peer uses `Config::for_interval(100 ms)` with a 100-sample window
//! (the size of the memory target), and is filled before measuring. Peers
//! are `u64` ids, and heartbeats arrive round-robin in the order the peers
//! joined, each peer every 100 ms of simulated time (the pattern of periodic
//! heartbeats): timestamps are computed, no clock is read in a timed loop.
//!
//! * `ingest/1/N`: one thread, N peers, heartbeats only.
//! * `ingest/2/N`: two threads at once, each feeding its own half of the
//!   peers (the first and the second half, as two transport threads owning
//!   different connections do); shards, and so locks, are shared.
//! * `ingest/1-batch/N`: as `ingest/1`, through `Monitor::heartbeat_batch`
//!   in batches of 1024.
//! * `ingest/1-shuffled-batch/100000`: as `ingest/1-shuffled`, through
//!   `Monitor::heartbeat_batch` in batches of 1024.
//! * `ingest/1-shuffled/100000`: one thread, peers visited in a random
//!   order unrelated to the order they joined (the worst case for memory
//!   locality; the other ingest benches visit them in join order).
//! * `ingest_ticked/1/N`: as `ingest/1`, with a subscriber and a tick every
//!   10 ms of simulated time (a live system's steady state: stale queue
//!   entries are popped and re-queued as deadlines move).
//! * `tick/idle/N`: a tick at a time when no deadline is due.
//! * `tick/due/K`: a tick that announces K suspicions among 100,000 peers.
//! * `sweep/N`: `Monitor::peers(now)`, phi of every peer, repeated on the
//!   same monitor (after the first sweep every peer's fit is cached).
//! * `sweep/after-heartbeats/N`: the same after every peer has sent a
//!   heartbeat (not timed), so every fit is computed: a periodic sweep of a
//!   live monitor.

use accrual::{Config, Monitor, Timestamp};
use criterion::{
    black_box, criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput,
};
use std::time::{Duration, Instant};

const INTERVAL_NS: u64 = 100_000_000;
const WINDOW: usize = 100;
/// Heartbeats per timed iteration of the ingest benches.
const CHUNK: u64 = 100_000;
/// Heartbeats per call of the batch ingest bench (what one `recvmmsg` of a
/// busy transport might return).
const BATCH: usize = 1024;
const START_NS: u64 = 1_000_000_000;

fn config() -> Config {
    Config::for_interval(Duration::from_nanos(INTERVAL_NS))
        .and_then(|c| c.to_builder().max_sample_size(WINDOW).build())
        .expect("valid benchmark configuration")
}

fn monitor(peers: u64) -> Monitor<u64> {
    Monitor::<u64>::builder()
        .config(config())
        .capacity(peers as usize)
        .shards(
            std::env::var("SHARDS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(64),
        )
        .build()
        .expect("valid monitor settings")
}

/// The feed of one thread: it owns peers `first, first + stride, ...`
/// (`count` of them) and sends them heartbeats round-robin, each peer every
/// `INTERVAL_NS`.
struct Feed {
    first: u64,
    stride: u64,
    count: u64,
    /// If set, the round visits the feed's peers in this order (positions
    /// in `0..count`) instead of in the order they joined.
    order: Option<Vec<u64>>,
    /// Position of the next peer in the round.
    i: u64,
    /// Time of the next heartbeat.
    t: u64,
    /// Time between two heartbeats of the feed (peers of a round are spread
    /// over the interval).
    step: u64,
}

impl Feed {
    fn new(first: u64, stride: u64, count: u64) -> Self {
        Feed {
            first,
            stride,
            count,
            order: None,
            i: 0,
            t: START_NS,
            step: INTERVAL_NS / count,
        }
    }

    /// The next (peer, time), without divisions in the timed loop.
    #[inline]
    fn next(&mut self) -> (u64, Timestamp) {
        let position = match &self.order {
            Some(order) => order[self.i as usize],
            None => self.i,
        };
        let peer = self.first + position * self.stride;
        let t = Timestamp::from_nanos(self.t);
        self.t += self.step;
        self.i += 1;
        if self.i == self.count {
            self.i = 0;
        }
        (peer, t)
    }

    /// The simulated time of the last heartbeat sent.
    fn now(&self) -> Timestamp {
        Timestamp::from_nanos(self.t - self.step)
    }

    fn send(&mut self, m: &Monitor<u64>, n: u64) {
        for _ in 0..n {
            let (peer, t) = self.next();
            m.heartbeat(&peer, t).expect("increasing timestamps");
        }
    }

    /// `send` through [`Monitor::heartbeat_batch`], [`BATCH`] at a time.
    fn send_batched(&mut self, m: &Monitor<u64>, n: u64) {
        let mut batch: Vec<(u64, Timestamp)> = Vec::with_capacity(BATCH);
        let mut left = n;
        while left > 0 {
            let len = left.min(BATCH as u64);
            batch.clear();
            batch.extend((0..len).map(|_| self.next()));
            let refs: Vec<(&u64, Timestamp)> = batch.iter().map(|(p, t)| (p, *t)).collect();
            m.heartbeat_batch(&refs, |_, outcome| {
                black_box(outcome).expect("increasing timestamps");
            });
            left -= len;
        }
    }
}

/// A monitor whose peers' windows are full, with the feeds that filled it.
fn filled(peers: u64, threads: u64) -> (Monitor<u64>, Vec<Feed>) {
    let m = monitor(peers);
    let share = peers / threads;
    let mut feeds: Vec<Feed> = (0..threads)
        .map(|j| Feed::new(j * share, 1, share))
        .collect();
    for feed in &mut feeds {
        let n = feed.count * (WINDOW as u64 + 2);
        feed.send(&m, n);
    }
    (m, feeds)
}

/// A fixed pseudo-random permutation of `0..n` (Fisher–Yates, xorshift).
fn permutation(n: u64) -> Vec<u64> {
    let mut v: Vec<u64> = (0..n).collect();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
    v
}

fn ingest(c: &mut Criterion) {
    let mut group = c.benchmark_group("ingest");
    group.throughput(Throughput::Elements(CHUNK));
    // Every monitor is built before any is dropped: a monitor built from
    // chunks another one freed (in the random order a table drop frees
    // them) would not have its records in join order, and the result would
    // depend on which benches ran before.
    let sizes = [10_000u64, 100_000];
    let mut one: Vec<_> = sizes.iter().map(|&n| filled(n, 1)).collect();
    let mut two: Vec<_> = sizes.iter().map(|&n| filled(n, 2)).collect();
    let mut shuffled = filled(100_000, 1);
    shuffled.1[0].order = Some(permutation(100_000));
    let mut shuffled_batched = filled(100_000, 1);
    shuffled_batched.1[0].order = Some(permutation(100_000));
    for (k, &peers) in sizes.iter().enumerate() {
        let (m, feeds) = &mut one[k];
        group.bench_function(BenchmarkId::new("1", peers), |b| {
            b.iter(|| feeds[0].send(m, CHUNK))
        });
        let (m, feeds) = &mut two[k];
        group.bench_function(BenchmarkId::new("2", peers), |b| {
            b.iter_custom(|iters| {
                let m = &m;
                let start = Instant::now();
                std::thread::scope(|s| {
                    for feed in feeds.iter_mut() {
                        s.spawn(move || feed.send(m, iters * CHUNK / 2));
                    }
                });
                start.elapsed()
            })
        });
    }
    let mut batched: Vec<_> = sizes.iter().map(|&n| filled(n, 1)).collect();
    for (k, &peers) in sizes.iter().enumerate() {
        let (m, feeds) = &mut batched[k];
        group.bench_function(BenchmarkId::new("1-batch", peers), |b| {
            b.iter(|| feeds[0].send_batched(m, CHUNK))
        });
    }
    // Worst case for memory locality: each round visits the peers in a
    // random (fixed) order unrelated to the order they joined in.
    let (m, feeds) = &mut shuffled;
    group.bench_function(BenchmarkId::new("1-shuffled", 100_000), |b| {
        b.iter(|| feeds[0].send(m, CHUNK))
    });
    let (m, feeds) = &mut shuffled_batched;
    group.bench_function(BenchmarkId::new("1-shuffled-batch", 100_000), |b| {
        b.iter(|| feeds[0].send_batched(m, CHUNK))
    });
    group.finish();
}

fn ingest_ticked(c: &mut Criterion) {
    let mut group = c.benchmark_group("ingest_ticked");
    group.throughput(Throughput::Elements(CHUNK));
    for peers in [10_000u64, 100_000] {
        let (m, mut feeds) = filled(peers, 1);
        let events = m.subscribe();
        // A tick every 10 ms of simulated time.
        let per_tick = peers / 10;
        group.bench_function(BenchmarkId::new("1", peers), |b| {
            b.iter(|| {
                let feed = &mut feeds[0];
                for _ in 0..CHUNK / per_tick {
                    feed.send(&m, per_tick);
                    m.tick(feed.now());
                }
                black_box(events.try_iter().count())
            })
        });
    }
    group.finish();
}

fn tick(c: &mut Criterion) {
    let mut group = c.benchmark_group("tick");
    for peers in [10_000u64, 100_000, 1_000_000] {
        if peers >= 1_000_000 {
            group.sample_size(10);
        }
        // Two heartbeats per peer are enough here: deadlines exist, none due.
        let m = monitor(peers);
        let mut feed = Feed::new(0, 1, peers);
        feed.send(&m, 2 * peers);
        let now = feed.now();
        m.tick(now);
        group.bench_function(BenchmarkId::new("idle", peers), |b| {
            b.iter(|| black_box(m.tick(black_box(now))))
        });
    }
    group.sample_size(100);

    // k of 100,000 peers due per tick: every peer sends one heartbeat, their
    // deadlines spread evenly over `SPREAD_NS`; each tick advances time so
    // that k deadlines pass. With one threshold each due peer is announced
    // once and leaves the queue, so a monitor serves 100,000 / k ticks, then
    // a fresh one is built (outside the timing).
    const PEERS: u64 = 100_000;
    const SPREAD_NS: u64 = 100_000_000;
    let build = || {
        let m = Monitor::<u64>::builder()
            .config(config())
            .capacity(PEERS as usize)
            .no_pause_guard()
            .build()
            .expect("valid monitor settings");
        for p in 0..PEERS {
            m.heartbeat(
                &p,
                Timestamp::from_nanos(START_NS + p * (SPREAD_NS / PEERS)),
            )
            .expect("first heartbeat");
        }
        let first = m.next_check().expect("deadlines are queued");
        m.tick(Timestamp::from_nanos(first.as_nanos() - 1));
        (m, first.as_nanos())
    };
    for k in [1u64, 100, 10_000] {
        let step = k * (SPREAD_NS / PEERS);
        let (mut m, mut first) = build();
        let mut done = 0u64;
        group.bench_function(BenchmarkId::new("due", k), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    if (done + 1) * k > PEERS {
                        (m, first) = build();
                        done = 0;
                    }
                    done += 1;
                    let now = Timestamp::from_nanos(first + done * step - 1);
                    let start = Instant::now();
                    let announced = m.tick(now);
                    total += start.elapsed();
                    debug_assert_eq!(announced as u64, k);
                    black_box(announced);
                }
                total
            })
        });
    }
    group.finish();
}

fn sweep(c: &mut Criterion) {
    let mut group = c.benchmark_group("sweep");
    for peers in [10_000u64, 100_000] {
        let (m, feeds) = filled(peers, 1);
        let now = feeds[0].now().saturating_add(Duration::from_millis(50));
        group.throughput(Throughput::Elements(peers));
        group.bench_function(BenchmarkId::from_parameter(peers), |b| {
            b.iter(|| black_box(m.peers(now)))
        });
    }
    // Every peer heard from since the previous sweep, so no fit is cached:
    // what a periodic sweep of a live monitor meets.
    for peers in [10_000u64, 100_000] {
        let (m, mut feeds) = filled(peers, 1);
        let feed = &mut feeds[0];
        group.throughput(Throughput::Elements(peers));
        group.bench_function(BenchmarkId::new("after-heartbeats", peers), |b| {
            b.iter_batched(
                || {
                    feed.send(&m, peers);
                    feed.now().saturating_add(Duration::from_millis(50))
                },
                |now| m.peers(now),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, ingest, ingest_ticked, tick, sweep);
criterion_main!(benches);
