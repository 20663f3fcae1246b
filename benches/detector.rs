//! Single-detector costs: heartbeat, phi for each model, suspicion deadline,
//! at window sizes 10, 1000 and 100 000.
//!
//! Run: `cargo bench --bench detector`.
//!
//! Inputs are pre-generated (a 100 ms stream with ±20 ms jitter), so no clock
//! is read inside a timed loop. Each detector is filled past its window size
//! first, so the ring buffer is full and every heartbeat evicts a sample.

use accrual::{Config, Detector, Model, Timestamp};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use std::time::Duration;

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

fn heartbeat(c: &mut Criterion) {
    let intervals = intervals_ns();
    let mut group = c.benchmark_group("heartbeat");
    for window in WINDOWS {
        let (mut d, mut t) = filled(Model::Normal, window, &intervals);
        let mut i = 0usize;
        group.bench_function(BenchmarkId::from_parameter(window), |b| {
            b.iter(|| {
                t += intervals[i % PATTERN];
                i = i.wrapping_add(1);
                black_box(d.heartbeat(Timestamp::from_nanos(t)))
            })
        });
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
                b.iter(|| {
                    i = i.wrapping_add(1);
                    black_box(d.phi(queries[i % PATTERN]))
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
            b.iter(|| black_box(black_box(&d).suspicion_deadline()))
        });
        let other = d.threshold(3.0).expect("valid threshold");
        group.bench_function(BenchmarkId::new("other-threshold", window), |b| {
            b.iter(|| black_box(black_box(&d).deadline_for(black_box(&other))))
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
            let (mut d, mut t) = filled(model, window, &intervals);
            let mut i = 0usize;
            group.bench_function(BenchmarkId::new(model.name(), window), |b| {
                b.iter(|| {
                    t += intervals[i % PATTERN];
                    i = i.wrapping_add(1);
                    black_box(d.heartbeat(Timestamp::from_nanos(t)))
                })
            });
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
                b.iter(|| black_box(black_box(&d).deadline_for(black_box(&other))))
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
        let (mut d, mut t) = filled(model, 1000, &intervals);
        let mut i = 0usize;
        group.bench_function(BenchmarkId::new(model.name(), 1000), |b| {
            b.iter(|| {
                t += intervals[i % PATTERN];
                i = i.wrapping_add(1);
                black_box(d.heartbeat(Timestamp::from_nanos(t))).ok();
                black_box(d.phi(Timestamp::from_nanos(t + 150_000_000)))
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
