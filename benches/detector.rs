//! Single-detector costs: heartbeat, phi for each model, suspicion deadline,
//! at window sizes 10, 1000 and 100 000.
//!
//! Run: `cargo bench --bench detector`.
//!
//! Inputs are pre-generated (a 100 ms stream with ±20 ms jitter) and fed in
//! chunks by `support/batched.rs`, so no clock is read and nothing is
//! `black_box`ed inside a timed loop. Each detector is filled past its
//! window size first, so the ring buffer is full and every heartbeat evicts
//! a sample.

use accrual::{Config, Detector, Model, Timestamp};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::time::Duration;

#[path = "support/batched.rs"]
mod batched;
use batched::time_batched;

const WINDOWS: [usize; 3] = [10, 1000, 100_000];
/// Pre-generated jitter pattern length (a power of two for cheap indexing).
const PATTERN: usize = 4096;

/// Intervals of 100 ms ± 20 ms from a fixed-seed xorshift generator.
fn intervals_ns() -> Vec<u64> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..PATTERN)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            80_000_000 + x % 40_000_001
        })
        .collect()
}

fn config(model: Model, window: usize) -> Config {
    Config::builder()
        .model(model)
        .threshold(typical_threshold(model))
        .max_sample_size(window)
        .acceptable_pause(Duration::ZERO)
        .min_std_deviation(Duration::from_millis(1))
        .first_heartbeat_estimate(Duration::from_millis(100))
        .build()
        .expect("valid benchmark configuration")
}

/// A threshold in each model's own units that a live 100 ms ± 20 ms stream
/// never reaches, so every interval is learnt: phi 8, a 100 ms margin for
/// Chen and 2W-FD, four margins for Bertier.
fn typical_threshold(model: Model) -> f64 {
    match model {
        Model::Chen | Model::TwoWindow => 100.0,
        Model::Bertier => 4.0,
        _ => 8.0,
    }
}

/// A detector whose window is full, and the time of its last heartbeat.
fn filled(model: Model, window: usize, intervals: &[u64]) -> (Detector, u64) {
    let mut d = Detector::new(config(model, window));
    let mut t = 1_000_000_000u64;
    for i in 0..window + 2 * PATTERN {
        t += intervals[i % PATTERN];
        d.heartbeat(Timestamp::from_nanos(t)).expect("increasing");
    }
    (d, t)
}

/// The arrival times after `t`, continuing the stream of `intervals`.
fn continued(intervals: &[u64], mut t: u64) -> impl FnMut() -> u64 + '_ {
    let mut i = 0usize;
    move || {
        t += intervals[i % PATTERN];
        i = i.wrapping_add(1);
        t
    }
}

/// Times heartbeats on a detector whose window is full, continuing its
/// stream of intervals.
fn bench_heartbeats(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    id: BenchmarkId,
    model: Model,
    window: usize,
    intervals: &[u64],
) {
    let (mut d, t) = filled(model, window, intervals);
    let mut next = continued(intervals, t);
    group.bench_function(id, |b| {
        b.iter_custom(|iters| {
            time_batched(
                iters,
                || Timestamp::from_nanos(next()),
                |at| u64::from(d.heartbeat(at).is_ok_and(|a| a.is_recorded())),
            )
        })
    });
}

/// A deadline as a number for the checksum.
fn deadline_nanos(deadline: Option<Timestamp>) -> u64 {
    deadline.map_or(0, |t| t.as_nanos())
}

fn heartbeat(c: &mut Criterion) {
    let intervals = intervals_ns();
    let mut group = c.benchmark_group("heartbeat");
    for window in WINDOWS {
        let id = BenchmarkId::from_parameter(window);
        bench_heartbeats(&mut group, id, Model::Normal, window, &intervals);
    }
    group.finish();
}

fn phi(c: &mut Criterion) {
    let intervals = intervals_ns();
    let mut group = c.benchmark_group("phi");
    for model in Model::ALL {
        for window in WINDOWS {
            let (d, last) = filled(model, window, &intervals);
            // Silences between 0.8× and 2.2× the mean interval: the range a
            // live system queries most.
            let queries: Vec<Timestamp> = intervals
                .iter()
                .map(|&x| Timestamp::from_nanos(last + (x - 60_000_000) * 2))
                .collect();
            let mut i = 0usize;
            group.bench_function(BenchmarkId::new(model.name(), window), |b| {
                b.iter_custom(|iters| {
                    time_batched(
                        iters,
                        || {
                            i = i.wrapping_add(1);
                            queries[i % PATTERN]
                        },
                        |at| d.phi(at).to_bits(),
                    )
                })
            });
        }
    }
    group.finish();
}

fn deadline(c: &mut Criterion) {
    let intervals = intervals_ns();
    let mut group = c.benchmark_group("deadline");
    for window in WINDOWS {
        let (d, _) = filled(Model::Normal, window, &intervals);
        group.bench_function(BenchmarkId::new("configured", window), |b| {
            b.iter_custom(|iters| {
                time_batched(iters, || &d, |d| deadline_nanos(d.suspicion_deadline()))
            })
        });
        let other = d.threshold(3.0).expect("valid threshold");
        group.bench_function(BenchmarkId::new("other-threshold", window), |b| {
            b.iter_custom(|iters| {
                time_batched(iters, || &d, |d| deadline_nanos(d.deadline_for(&other)))
            })
        });
    }
    group.finish();
}

/// Heartbeat and deadline of every model (the `heartbeat` group above is the
/// default model): O(1) for all but the empirical model, O(log window) there.
fn models(c: &mut Criterion) {
    let intervals = intervals_ns();
    let mut group = c.benchmark_group("model-heartbeat");
    for model in Model::ALL {
        for window in WINDOWS {
            let id = BenchmarkId::new(model.name(), window);
            bench_heartbeats(&mut group, id, model, window, &intervals);
        }
    }
    group.finish();
    let mut group = c.benchmark_group("model-deadline");
    for model in Model::ALL {
        for window in WINDOWS {
            let (d, _) = filled(model, window, &intervals);
            // Not the configured threshold, whose deadline is cached.
            let other = d
                .threshold(typical_threshold(model) / 2.0)
                .expect("valid threshold");
            group.bench_function(BenchmarkId::new(model.name(), window), |b| {
                b.iter_custom(|iters| {
                    time_batched(iters, || &d, |d| deadline_nanos(d.deadline_for(&other)))
                })
            });
        }
    }
    group.finish();
}

/// A heartbeat followed by a phi query: the query cannot use a cached fit,
/// so this is the cost of the first query after each heartbeat.
fn heartbeat_then_phi(c: &mut Criterion) {
    let intervals = intervals_ns();
    let mut group = c.benchmark_group("heartbeat+phi");
    for model in Model::ALL {
        let (mut d, t) = filled(model, 1000, &intervals);
        let mut next = continued(&intervals, t);
        group.bench_function(BenchmarkId::new(model.name(), 1000), |b| {
            b.iter_custom(|iters| {
                time_batched(iters, &mut next, |t| {
                    let recorded = d
                        .heartbeat(Timestamp::from_nanos(t))
                        .is_ok_and(|a| a.is_recorded());
                    u64::from(recorded) ^ d.phi(Timestamp::from_nanos(t + 150_000_000)).to_bits()
                })
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    heartbeat,
    phi,
    deadline,
    models,
    heartbeat_then_phi
);
criterion_main!(benches);
